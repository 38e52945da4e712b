"""/members: the CRM's people; phone numbers in clear only to these roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import EDITORS, MEMBER_DESK, CipherDep, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.models.members import MemberCreate, MemberPublic, MemberUpdate
from hub.services import members as svc

router = APIRouter(prefix="/members", tags=["members"], dependencies=[require_role(*MEMBER_DESK)])


@router.get("", response_model=Page[MemberPublic])
def list_members(
    session: SessionDep,
    cipher: CipherDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="name or member number")] = None,
    employer: Annotated[str | None, Query(max_length=120)] = None,
    department: Annotated[str | None, Query(max_length=120, description="or school class")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="exact phone")] = None,
) -> Page[MemberPublic]:
    """A page of members, filtered."""
    rows, total = svc.list_members(
        session=session,
        cipher=cipher,
        q=q,
        employer=employer,
        department=department,
        phone=phone,
        limit=page.limit,
        offset=page.offset,
    )
    items = [svc.member_public(member=m, cipher=cipher) for m in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=MemberPublic, status_code=status.HTTP_201_CREATED)
def create_member(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, data: MemberCreate
) -> MemberPublic:
    """Create a member."""
    member = svc.create_member(session=session, data=data, cipher=cipher, actor=user.username)
    return svc.member_public(member=member, cipher=cipher)


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(session: SessionDep, cipher: CipherDep, member_id: IdPath) -> MemberPublic:
    """One member."""
    return svc.member_public(
        member=svc.get_member(session=session, member_id=member_id), cipher=cipher
    )


@router.patch("/{member_id}", response_model=MemberPublic)
def update_member(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath, data: MemberUpdate
) -> MemberPublic:
    """Change a member, including withdrawing consents."""
    member = svc.update_member(
        session=session, member_id=member_id, data=data, cipher=cipher, actor=user.username
    )
    return svc.member_public(member=member, cipher=cipher)


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[require_role(*EDITORS)],
)
def delete_member(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath
) -> Response:
    """Erase a member."""
    svc.delete_member(session=session, member_id=member_id, cipher=cipher, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
