"""Face-ID of a member: status, enrolment at the member desk, withdrawal of the consent.

Kiosks enrol through the wire (``face.enrolled``); the desk enrols here with a template
its own webcam computed (the photo never reaches the hub). Nothing returns a template.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import MEMBER_DESK, CipherDep, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath
from hub.face import service as face_svc
from hub.models.face import FaceStatus
from hub.services.common import commit_or_conflict
from protocol.face import FACE_CONSENT_VERSION, MAX_ABS_COMPONENT, TEMPLATE_DIM
from protocol.ids import UUID7_PATTERN

router = APIRouter(prefix="/members", tags=["face"], dependencies=[require_role(*MEMBER_DESK)])

Component = Annotated[float, Field(ge=-MAX_ABS_COMPONENT, le=MAX_ABS_COMPONENT,
                                   allow_inf_nan=False)]


class FaceEnrolIn(BaseModel):
    """A template computed at the member desk, and the member's separate face consent."""

    template: list[Component] = Field(min_length=TEMPLATE_DIM, max_length=TEMPLATE_DIM)
    template_id: str = Field(pattern=UUID7_PATTERN)
    model: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    consent: Literal[True] = Field(description="the member read and accepted the face consent")
    consent_version: str = Field(default=FACE_CONSENT_VERSION, pattern=r"^[a-z][a-z0-9_]{0,31}$")
    consent_lang: Literal["zh_Hans", "en"]
    consented_at: datetime | None = None


@router.get("/{member_id}/face", response_model=FaceStatus)
def get_face(session: SessionDep, member_id: IdPath) -> FaceStatus:
    """Whether the member consented and enrolled (never the template)."""
    return face_svc.face_status(session, member_id)


@router.put("/{member_id}/face", response_model=FaceStatus)
def enrol_face(session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath,
               data: FaceEnrolIn) -> FaceStatus:
    """Enrol (or re-enrol) the member's face with the consent given at the desk."""
    face_svc.enrol(session, cipher=cipher, member_id=member_id, vector=data.template,
                   template_id=data.template_id, model=data.model,
                   consent_version=data.consent_version, consent_lang=data.consent_lang,
                   enrolled_by=f"user:{user.username}", consented_at=data.consented_at)
    commit_or_conflict(session, message="this template id is already enrolled")
    return face_svc.face_status(session, member_id)


@router.delete("/{member_id}/face", status_code=status.HTTP_204_NO_CONTENT)
def withdraw_face(session: SessionDep, user: CurrentUser, member_id: IdPath) -> Response:
    """The member withdrew the face consent: the template is deleted now, from kiosks next."""
    face_svc.withdraw(session, member_id=member_id, actor=user.username)
    commit_or_conflict(session, message="face consent withdrawal failed")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
