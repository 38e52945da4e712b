"""Member identifiers: QR codes, cards, member search, public keys and member-cache deltas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from hub.api.deps import EDITORS, MEMBER_DESK, CipherDep, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath
from hub.db_types import utcnow
from hub.identity import cards as card_svc
from hub.identity import keys as key_svc
from hub.identity import search as search_svc
from hub.identity.delta import build_member_delta
from hub.identity.tokens import member_code
from hub.models.identity import CardBlock, CardCreate, CardPublic
from hub.models.members import MemberPublic
from hub.models.users import Role
from hub.services.members import member_public
from protocol.member_cache import MemberCacheDelta
from protocol.tokens import MEMBER_SKEW_STEPS, MEMBER_STEP_S

members_router = APIRouter(
    prefix="/members", tags=["identity"], dependencies=[require_role(*MEMBER_DESK)]
)
desk_router = APIRouter(
    prefix="/member-desk", tags=["identity"], dependencies=[require_role(*MEMBER_DESK)]
)
devices_router = APIRouter(
    prefix="/identity", tags=["identity"], dependencies=[require_role(*EDITORS)]
)


class MemberCodeOut(BaseModel):
    """A member's current QR code."""

    token: str
    key_id: str
    member_no: str
    expires_at: datetime


class PublicKeys(BaseModel):
    """What devices need to verify member and coupon codes offline."""

    keys: dict[str, str]
    step_seconds: int = MEMBER_STEP_S
    skew_steps: int = MEMBER_SKEW_STEPS


class SiteDeviceKeys(PublicKeys):
    """Public keys plus the site's identifier-hash key (secret: devices of the site only)."""

    site_id: int
    identifier_key: str


@members_router.get("/{member_id}/qr-token", response_model=MemberCodeOut)
def get_member_code(session: SessionDep, cipher: CipherDep, member_id: IdPath) -> MemberCodeOut:
    """The member's rotating QR code (valid about two minutes)."""
    code = member_code(session=session, cipher=cipher, member_id=member_id, now=utcnow())
    return MemberCodeOut(
        token=code.token, key_id=code.key_id, member_no=code.member_no, expires_at=code.expires_at
    )


@members_router.get("/{member_id}/cards", response_model=list[CardPublic])
def list_cards(session: SessionDep, member_id: IdPath) -> list[CardPublic]:
    """A member's cards (last four digits only)."""
    rows = card_svc.list_cards(session=session, member_id=member_id)
    return [CardPublic.model_validate(c) for c in rows]


@members_router.post(
    "/{member_id}/cards", response_model=CardPublic, status_code=status.HTTP_201_CREATED
)
def add_card(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath, data: CardCreate
) -> CardPublic:
    """Register a card to a member."""
    card = card_svc.add_card(
        session=session,
        cipher=cipher,
        member_id=member_id,
        card_no=data.card_no,
        actor=user.username,
    )
    return CardPublic.model_validate(card)


@members_router.post("/{member_id}/cards/{card_id}/block", response_model=CardPublic)
def block_card(
    session: SessionDep, user: CurrentUser, member_id: IdPath, card_id: IdPath, data: CardBlock
) -> CardPublic:
    """Block a lost card at once; kiosks drop it with the next member-cache delta."""
    card = card_svc.block_card(
        session=session,
        member_id=member_id,
        card_id=card_id,
        reason=data.reason,
        actor=user.username,
    )
    return CardPublic.model_validate(card)


@desk_router.get("/search", response_model=list[MemberPublic])
def search_members(
    session: SessionDep,
    cipher: CipherDep,
    q: Annotated[str | None, Query(max_length=100, description="name or member number")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="exact phone")] = None,
    card_no: Annotated[str | None, Query(max_length=40, description="exact card number")] = None,
    employer: Annotated[str | None, Query(max_length=120)] = None,
) -> list[MemberPublic]:
    """Find members by name, exact phone, card number or employer (at most 50)."""
    rows = search_svc.search_members(
        session=session, cipher=cipher, q=q, phone=phone, card_no=card_no, employer=employer
    )
    return [member_public(member=m, cipher=cipher) for m in rows]


@devices_router.get("/public-keys", response_model=PublicKeys)
def public_keys(session: SessionDep) -> PublicKeys:
    """Every published signing key (devices accept codes signed by any of them)."""
    return PublicKeys(keys=key_svc.published_public_keys(session=session))


@devices_router.post(
    "/signing-keys/rotate", response_model=PublicKeys, dependencies=[require_role(Role.ADMIN)]
)
def rotate(session: SessionDep, cipher: CipherDep, user: CurrentUser) -> PublicKeys:
    """Start signing with a new key; the old one stays published until revoked."""
    key_svc.rotate_signing_key(session=session, cipher=cipher, actor=user.username)
    return PublicKeys(keys=key_svc.published_public_keys(session=session))


@devices_router.post(
    "/signing-keys/{key_id}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[require_role(Role.ADMIN)],
)
def revoke(session: SessionDep, user: CurrentUser, key_id: str) -> Response:
    """Stop publishing a key (leaked): its codes are refused once devices update."""
    key_svc.revoke_signing_key(session=session, key_id=key_id, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@devices_router.get(
    "/sites/{site_id}/device-keys",
    response_model=SiteDeviceKeys,
    dependencies=[require_role(Role.ADMIN)],
)
def device_keys(session: SessionDep, cipher: CipherDep, site_id: IdPath) -> SiteDeviceKeys:
    """What a device of the site is configured with (admin only: holds the site hash key)."""
    key = key_svc.site_identity_key(session=session, cipher=cipher, site_id=site_id)
    # Keys must exist before the first code is shown, so make the signing key now if needed.
    key_svc.active_signing_key(session=session, cipher=cipher)
    return SiteDeviceKeys(
        keys=key_svc.published_public_keys(session=session),
        site_id=site_id,
        identifier_key=key.decode(),
    )


@devices_router.get("/sites/{site_id}/member-delta", response_model=MemberCacheDelta | None)
def member_delta(
    session: SessionDep,
    cipher: CipherDep,
    site_id: IdPath,
    from_version: Annotated[int, Query(ge=0, le=2**53 - 1)] = 0,
) -> MemberCacheDelta | Response:
    """The member-cache delta a device at ``from_version`` applies next; 204 when up to date."""
    delta = build_member_delta(session, cipher=cipher, site_id=site_id, from_version=from_version)
    if delta is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return delta


def _all_routers() -> APIRouter:
    """Identity, coupon and import/export routers as one (each keeps its own role check)."""
    from hub.api.routes import coupons, members_io

    combined = APIRouter()
    for sub in (members_router, desk_router, devices_router, coupons.desk_router,
                coupons.editors_router, members_io.router):
        combined.include_router(sub)
    return combined


router = _all_routers()
