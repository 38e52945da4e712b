"""/users: admin-only user management."""

from __future__ import annotations

from fastapi import APIRouter, status

from hub.api.deps import CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.models.users import Role, UserCreate, UserPublic, UserUpdate
from hub.services import users as svc

router = APIRouter(prefix="/users", tags=["users"], dependencies=[require_role(Role.ADMIN)])


@router.get("", response_model=Page[UserPublic])
def list_users(session: SessionDep, page: PageDep) -> Page[UserPublic]:
    """A page of users."""
    rows, total = svc.list_users(session=session, limit=page.limit, offset=page.offset)
    items = [UserPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(session: SessionDep, user: CurrentUser, data: UserCreate) -> UserPublic:
    """Create a user with a role (audited)."""
    created = svc.create_user(session=session, data=data, actor=user.username)
    return UserPublic.model_validate(created)


@router.get("/{user_id}", response_model=UserPublic)
def get_user(session: SessionDep, user_id: IdPath) -> UserPublic:
    """One user."""
    return UserPublic.model_validate(svc.get_user(session=session, user_id=user_id))


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(
    session: SessionDep, user: CurrentUser, user_id: IdPath, data: UserUpdate
) -> UserPublic:
    """Change a user's role, active flag or password (audited: who, before, after)."""
    changed = svc.update_user(session=session, user_id=user_id, data=data, actor=user.username)
    return UserPublic.model_validate(changed)
