"""CRM campaigns: who was targeted (treatment or holdout), what they were sent, automations.

``crm_member_message`` is what the kiosk shows a member at their next visit (a campaign
greeting or a complaint follow-up), carried to devices in the member cache downlink.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field, json_list_field, utc_field


class Campaign(SQLModel, table=True):
    """A campaign: a segment, an optional coupon offer, a message, a window and a holdout."""

    __tablename__ = "crm_campaign"
    __table_args__ = (
        sa.CheckConstraint("holdout_bp BETWEEN 0 AND 5000", name="holdout_share"),
        sa.CheckConstraint("ends_at > starts_at", name="window_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    # hub.crm.segments' segment (its table is that helper's); None for an automation.
    segment_id: int | None = Field(default=None)
    automation: str | None = Field(default=None, max_length=16, index=True)
    coupon_template_id: int | None = Field(default=None, foreign_key="coupon_template.id")
    message_zh: str = Field(max_length=200)
    message_en: str = Field(max_length=200)
    channels: list[str] = json_list_field()
    holdout_bp: int = Field(default=1000, ge=0, le=5000)
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)
    frequency_cap: int = Field(default=2, ge=1, le=31)  # campaigns per member in 30 days
    allow_overlap: bool = False
    status: str = Field(default="draft", max_length=16, index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    launched_at: datetime | None = utc_field()
    launched_by: str | None = Field(default=None, max_length=64)


class CampaignMember(SQLModel, table=True):
    """A member a launched campaign chose: ``arm`` treatment (sent) or holdout (nothing)."""

    __tablename__ = "crm_campaign_member"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "member_id", name="one_per_member"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="crm_campaign.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    arm: str = Field(max_length=16)
    coupon_id: int | None = Field(default=None, foreign_key="coupon.id")
    created_at: datetime = created_at_field()


class MemberMessage(SQLModel, table=True):
    """A greeting or follow-up waiting for the member's next kiosk visit."""

    __tablename__ = "crm_member_message"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=16)
    campaign_id: int | None = Field(default=None, foreign_key="crm_campaign.id",
                                    ondelete="CASCADE", index=True)
    case_id: int | None = Field(default=None, foreign_key="crm_case.id", ondelete="CASCADE",
                                index=True)
    text_zh: str = Field(max_length=200)
    text_en: str = Field(max_length=200)
    offer_zh: str = Field(default="", max_length=200)
    offer_en: str = Field(default="", max_length=200)
    on_screen: bool = True
    on_receipt: bool = False
    valid_from: datetime = utc_field(nullable=False)
    valid_until: datetime | None = utc_field()
    # Set by ingest when the member's next order after the message came in: shown.
    delivered_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class Automation(SQLModel, table=True):
    """A built-in automation (birthday, win-back, welcome, thank-you) and its switch."""

    __tablename__ = "crm_automation"

    code: str = Field(primary_key=True, max_length=16)
    enabled: bool = False
    coupon_template_id: int | None = Field(default=None, foreign_key="coupon_template.id")
    holdout_bp: int = Field(default=1000, ge=0, le=5000)
    message_zh: str = Field(default="", max_length=200)
    message_en: str = Field(default="", max_length=200)
    updated_at: datetime | None = utc_field()
    updated_by: str | None = Field(default=None, max_length=64)
