"""/fleet: issue, rotate and revoke device broker credentials; render the broker's files (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from hub.api.deps import SessionDep, require_role
from hub.api.params import IdPath
from hub.fleet import issue_device_credentials, render_broker_files, revoke_device_credentials
from hub.fleet.broker_files import ACL_FILE, PASSWORD_FILE
from hub.models.users import Role

router = APIRouter(prefix="/fleet", tags=["fleet"], dependencies=[require_role(Role.ADMIN)])


class IssuedCredentials(BaseModel):
    """A device's new broker login: the password is shown in this answer only."""

    device_id: int
    username: str
    password: str
    issued_at: datetime
    next_step: str


class BrokerFilesOut(BaseModel):
    """The site broker's password_file and acl_file, as the hub would write them."""

    password_file_name: str
    password_file: str
    acl_file_name: str
    acl_file: str
    users: list[str]
    next_step: str


@router.post("/devices/{device_id}/credentials", response_model=IssuedCredentials,
             status_code=status.HTTP_201_CREATED)
def issue_credentials(
    session: SessionDep, device_id: IdPath, response: Response
) -> IssuedCredentials:
    """Issue (or rotate) a device's broker password; the old one stops at the next broker reload."""
    creds = issue_device_credentials(session, device_id=device_id)
    response.headers["Cache-Control"] = "no-store"
    return IssuedCredentials(
        device_id=device_id,
        username=creds.username,
        password=creds.password,
        issued_at=creds.issued_at,
        next_step="write the password to the device's broker.password_file, regenerate the "
                  "broker files and reload mosquitto (kill -HUP)",
    )


@router.delete("/devices/{device_id}/credentials", status_code=status.HTTP_204_NO_CONTENT)
def revoke_credentials(session: SessionDep, device_id: IdPath) -> Response:
    """Revoke a device's broker login (effective at the next broker reload)."""
    revoke_device_credentials(session, device_id=device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/broker-acl", response_model=BrokerFilesOut)
def broker_acl(session: SessionDep, response: Response) -> BrokerFilesOut:
    """The password_file and acl_file for the site broker, from the devices table."""
    files = render_broker_files(session)
    response.headers["Cache-Control"] = "no-store"
    return BrokerFilesOut(
        password_file_name=PASSWORD_FILE,
        password_file=files.password_file,
        acl_file_name=ACL_FILE,
        acl_file=files.acl_file,
        users=list(files.users),
        next_step="save both next to mosquitto.conf (password_file / acl_file lines) and "
                  "reload mosquitto (kill -HUP)",
    )

