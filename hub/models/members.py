"""Members (diners): profile, dietary needs and consents; the phone is encrypted at rest."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, json_list_field, utc_field
from hub.models.bounds import MAX_ID
from hub.models.patch import PatchModel
from hub.models.validators import CODE_PATTERN, check_allergens, check_preferences, normalise_phone


class MemberBase(SQLModel):
    """Profile fields stored in clear."""

    member_no: str = Field(max_length=32, schema_extra={"pattern": CODE_PATTERN})
    name: str = Field(min_length=1, max_length=120)
    employer: str | None = Field(default=None, max_length=120)
    # The organisation whose canteens the member may eat at (their sites' member caches
    # hold them; hub.identity.entitlement). None: only sites without an organisation.
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ge=1, le=MAX_ID
    )
    department: str | None = Field(default=None, max_length=120)
    school_class: str | None = Field(default=None, max_length=60)
    birthday: date | None = None
    dietary_preferences: list[str] = json_list_field()
    allergens: list[str] = json_list_field()
    active: bool = True

    @field_validator("dietary_preferences")
    @classmethod
    def _prefs(cls, value: list[str]) -> list[str]:
        return check_preferences(value)

    @field_validator("allergens")
    @classmethod
    def _allergens(cls, value: list[str]) -> list[str]:
        return check_allergens(value)


class ConsentInput(SQLModel):
    """Consents as the API takes them; the hub records when each was given."""

    consent_data: bool = False
    consent_marketing: bool = False
    consent_face: bool = False


class MemberCreate(MemberBase, ConsentInput):
    """Input to create a member; phone in clear, encrypted before storage."""

    phone: str | None = Field(default=None, max_length=32)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)


class MemberUpdate(PatchModel):
    """Partial update of a member; a consent set to false withdraws it."""

    name: str = Field(default=None, min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    employer: str | None = Field(default=None, max_length=120)
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)  # null: no organisation
    department: str | None = Field(default=None, max_length=120)
    school_class: str | None = Field(default=None, max_length=60)
    birthday: date | None = None
    dietary_preferences: list[str] = Field(default=None)
    allergens: list[str] = Field(default=None)
    active: bool = Field(default=None)
    consent_data: bool = Field(default=None)
    consent_marketing: bool = Field(default=None)
    consent_face: bool = Field(default=None)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)

    @field_validator("dietary_preferences")
    @classmethod
    def _prefs(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_preferences(value)

    @field_validator("allergens")
    @classmethod
    def _allergens(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_allergens(value)


class Member(MemberBase, table=True):
    """A member row: phone as Fernet ciphertext plus a keyed HMAC for exact search."""

    id: int | None = Field(default=None, primary_key=True)
    member_no: str = Field(max_length=32, unique=True)
    phone_encrypted: str | None = Field(default=None, max_length=512)
    phone_hash: str | None = Field(default=None, max_length=64, unique=True)
    consent_data_at: datetime | None = utc_field()
    consent_marketing_at: datetime | None = utc_field()
    consent_face_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = utc_field()


class MemberPublic(MemberBase):
    """A member as authorised roles see it, phone decrypted."""

    id: int
    phone: str | None = None
    consent_data_at: datetime | None = None
    consent_marketing_at: datetime | None = None
    consent_face_at: datetime | None = None
    created_at: datetime
    updated_at: datetime | None = None
