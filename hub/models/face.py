"""Face templates: one per member, encrypted at rest, kept only while the face consent is.

The vector itself is Fernet ciphertext (``hub.crypto.FieldCipher``) of its base64 float32
bytes; nothing in clear says anything about the face. The consent lives on the member
(``Member.consent_face_at``); a template without it is deleted, never sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, utc_field


class FaceTemplate(SQLModel, table=True):
    """A member's enrolled face template."""

    __tablename__ = "face_template"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    template_id: str = Field(max_length=36, unique=True)  # uuid7 made by the enrolling device
    model: str = Field(max_length=64)  # the embedder that made it
    template_encrypted: str = Field(max_length=2048)
    consent_version: str = Field(max_length=64)  # the consent text accepted
    consent_lang: str = Field(max_length=8)
    enrolled_by: str = Field(max_length=80)  # "device:<site>/<device>" or "user:<name>"
    enrolled_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class FaceStatus(SQLModel):
    """What staff may see about a member's face-ID: never the template."""

    member_id: int
    consent_face_at: datetime | None = None
    enrolled: bool = False
    template_id: str | None = None
    model: str | None = None
    consent_version: str | None = None
    enrolled_by: str | None = None
    enrolled_at: datetime | None = None
