"""/fleet/claim: a device trades its one-time code for its login; claim codes and decommissioning.

``POST /fleet/claim`` is the one fleet route without a token: the code is the credential
(single use, expiring, and tries are limited per address). Everything else needs an admin.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Literal

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import CurrentUser, SessionDep, SettingsDep, require_role
from hub.api.params import IdPath
from hub.errors import ERROR_RESPONSES
from hub.fleet.claim import (
    DEFAULT_TTL,
    BrokerAddress,
    BrokerUnavailable,
    cancel_claim_code,
    claim_device,
    code_state,
    create_claim_code,
    decommission_device,
    list_claim_codes,
)
from hub.fleet.dynsec import DynsecAdmin, DynsecError
from hub.models.users import Role
from hub.settings import Settings
from protocol.claim import DEVICE_CODE_PATTERN, ClaimGrant, ClaimRequest, claim_qr_text

public_router = APIRouter(prefix="/fleet", tags=["fleet"])
router = APIRouter(prefix="/fleet", tags=["fleet"], dependencies=[require_role(Role.ADMIN)])

CLAIM_RESPONSES: dict[int | str, dict[str, object]] = {
    403: {**ERROR_RESPONSES[403], "description": "unknown, used, cancelled or expired code"},
    429: {**ERROR_RESPONSES[403], "description": "too many refused codes from this address"},
}


class ClaimCodeIn(BaseModel):
    """A code for one new device."""

    site_id: int = Field(ge=1, le=2_147_483_647)
    kind: Literal["kiosk", "kds", "pickup"]
    device_code: str = Field(pattern=DEVICE_CODE_PATTERN, max_length=32)
    device_name: str = Field("", max_length=120)
    ttl_minutes: int = Field(int(DEFAULT_TTL.total_seconds() // 60), ge=5, le=7 * 24 * 60)


class ClaimCodeIssued(BaseModel):
    """The new code, in this answer only: as text, as QR text and as a QR SVG."""

    id: int
    code: str
    qr_text: str
    qr_svg: str
    site: str
    device_code: str
    kind: str
    expires_at: datetime


class ClaimCodeOut(BaseModel):
    """A code as listed later: never the code itself, only its last characters."""

    id: int
    hint: str
    site: str
    device_code: str
    kind: str
    state: Literal["open", "claimed", "cancelled", "expired"]
    created_by: str
    created_at: datetime
    expires_at: datetime
    claimed_at: datetime | None
    device_id: int | None


class Decommissioned(BaseModel):
    """What decommissioning did."""

    device_id: int
    had_login: bool
    cut_off_now: bool
    next_step: str


def qr_svg(text: str) -> str:
    """An SVG QR code of ``text`` (qrcode's path image: no Pillow needed on the hub)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


def broker_address(settings: Settings) -> BrokerAddress:
    """What claimed devices are told: host, port and, with TLS, the site CA certificate."""
    ca = None
    if settings.mqtt_tls_ca_file is not None:
        try:
            ca = settings.mqtt_tls_ca_file.read_text(encoding="utf-8")
        except OSError as err:
            raise BrokerUnavailable(f"the broker's CA file cannot be read: {err}") from err
    return BrokerAddress(settings.claim_broker_host or settings.mqtt_host,
                         settings.claim_broker_port or settings.mqtt_port, ca)


@contextmanager
def plugin(settings: Settings) -> Iterator[DynsecAdmin | None]:
    """The hub's plugin admin, connected (None when the hub manages broker files instead)."""
    admin = DynsecAdmin.from_settings(settings)
    if admin is None:
        yield None
        return
    try:
        admin.__enter__()
    except DynsecError as err:
        raise BrokerUnavailable(f"the broker's security plugin is unreachable: {err}") from err
    try:
        yield admin
    finally:
        admin.close()


def hub_url(request: Request) -> str:
    """The hub's address as the administrator reached it (what the device will call)."""
    return str(request.base_url).rstrip("/")


@public_router.post("/claim", response_model=ClaimGrant, status_code=status.HTTP_201_CREATED,
                    responses=CLAIM_RESPONSES)
def claim(body: ClaimRequest, request: Request, response: Response, session: SessionDep,
          settings: SettingsDep) -> ClaimGrant:
    """A new device claims its identity and broker login with its one-time code (no token)."""
    remote = request.client.host if request.client else "unknown"
    response.headers["Cache-Control"] = "no-store"
    broker = broker_address(settings)
    with plugin(settings) as admin:
        return claim_device(session, code=body.code, remote=remote, broker=broker, dynsec=admin)


@router.post("/claim-codes", response_model=ClaimCodeIssued,
             status_code=status.HTTP_201_CREATED)
def new_claim_code(body: ClaimCodeIn, request: Request, response: Response,
                   session: SessionDep, user: CurrentUser) -> ClaimCodeIssued:
    """Make a one-time code for a new device; the code is shown in this answer only."""
    issued = create_claim_code(
        session, site_id=body.site_id, kind=body.kind, device_code=body.device_code,
        device_name=body.device_name, created_by=user.username,
        ttl=timedelta(minutes=body.ttl_minutes))
    response.headers["Cache-Control"] = "no-store"
    text = claim_qr_text(hub_url(request), issued.code)
    return ClaimCodeIssued(id=issued.id, code=issued.code, qr_text=text, qr_svg=qr_svg(text),
                           site=issued.site, device_code=issued.device_code, kind=issued.kind,
                           expires_at=issued.expires_at)


@router.get("/claim-codes", response_model=list[ClaimCodeOut])
def claim_codes(session: SessionDep) -> list[ClaimCodeOut]:
    """Recent claim codes, newest first (200 at most)."""
    return [
        ClaimCodeOut(id=row.id or 0, hint=row.hint, site=site, device_code=row.device_code,
                     kind=row.kind, state=code_state(row),
                     created_by=row.created_by, created_at=row.created_at,
                     expires_at=row.expires_at, claimed_at=row.claimed_at,
                     device_id=row.device_id)
        for row, site in list_claim_codes(session)
    ]


@router.delete("/claim-codes/{claim_id}", status_code=status.HTTP_204_NO_CONTENT)
def cancel_code(session: SessionDep, claim_id: IdPath) -> Response:
    """Cancel an unused code."""
    cancel_claim_code(session, claim_id=claim_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/devices/{device_id}/decommission", response_model=Decommissioned)
def decommission(session: SessionDep, settings: SettingsDep,
                 device_id: IdPath) -> Decommissioned:
    """Disable a device and revoke its login; with the broker plugin, cut it off at once."""
    with plugin(settings) as admin:
        had = decommission_device(session, device_id=device_id, dynsec=admin)
    step = ("none: the broker dropped the device's login and connection" if admin else
            "regenerate the broker files and reload mosquitto (kill -HUP)")
    return Decommissioned(device_id=device_id, had_login=had, cut_off_now=admin is not None,
                          next_step=step)
