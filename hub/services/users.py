"""Users: create, authenticate, update; passwords only ever as argon2 hashes.

Every create and change (role, active flag, password) is audited; never a hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlmodel import Session, select

from hub.accounts.audit import SYSTEM_ACTOR, record_change, snapshot
from hub.errors import ConflictError
from hub.models.users import Role, User, UserCreate, UserUpdate
from hub.security import hash_password, verify_password
from hub.services.common import (
    commit_or_conflict,
    exists,
    fetch_page,
    flush_or_conflict,
    get_or_404,
)


@cache
def _dummy_hash() -> str:
    # Verified against when the user does not exist, so timing does not reveal usernames.
    return hash_password("canteen-edge-no-such-user")


def create_user(*, session: Session, data: UserCreate, actor: str = SYSTEM_ACTOR) -> User:
    """Create a user; 409 if the username is taken."""
    if exists(session, select(User).where(User.username == data.username)):
        raise ConflictError(f"username {data.username!r} already exists")
    user = User(
        username=data.username,
        role=data.role,
        active=data.active,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    flush_or_conflict(session, message=f"username {data.username!r} already exists")
    assert user.id is not None
    record_change(session, actor=actor, action="user.create", entity="user",
                  entity_id=user.id, before=None, after=snapshot(user))
    commit_or_conflict(session, message=f"username {data.username!r} already exists")
    session.refresh(user)
    return user


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    if not user.active or not verify_password(password, user.password_hash):
        return None
    return user


def _keep_an_admin(session: Session, user: User, *, role: str, active: bool) -> None:
    """Refuse to demote or deactivate the last active admin (nobody could administer the hub)."""
    if user.role != Role.ADMIN or not user.active or (role == Role.ADMIN and active):
        return
    # Lock the other admins' rows (PostgreSQL) so two admins cannot demote each other at once.
    other = session.exec(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active == True, User.id != user.id)  # noqa: E712
        .with_for_update()
    ).first()
    if other is None:
        raise ConflictError(
            f"{user.username!r} is the last active admin: make another user admin first"
        )


def update_user(
    *, session: Session, user_id: int, data: UserUpdate, actor: str = SYSTEM_ACTOR
) -> User:
    """Change role, active flag or password of a user."""
    user = get_or_404(session, User, user_id, what="user")
    before = snapshot(user)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    role, active = changes.get("role", user.role), changes.get("active", user.active)
    _keep_an_admin(session, user, role=role, active=active)
    password = changes.pop("password", None)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(password)
    session.add(user)
    record_change(session, actor=actor, action="user.update", entity="user", entity_id=user_id,
                  before=before, after=snapshot(user),
                  note=None if password is None else "password changed")
    commit_or_conflict(session, message="user update conflicts with existing data")
    session.refresh(user)
    return user


def list_users(*, session: Session, limit: int, offset: int) -> tuple[Sequence[User], int]:
    """A page of users ordered by username."""
    return fetch_page(session, select(User), order_by=User.username, limit=limit, offset=offset)


def get_user(*, session: Session, user_id: int) -> User:
    """One user, else 404."""
    return get_or_404(session, User, user_id, what="user")
