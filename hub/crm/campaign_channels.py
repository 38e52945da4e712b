"""How a campaign reaches a member: one interface, a class per channel.

Today: the kiosk greeting (on the menu screen once the member is identified) and a line
on the receipt; both travel to the kiosk as member messages in the member cache downlink.
The member web page and SMS can be added as further ``Channel`` classes: the launch calls
``deliver`` of each channel the campaign names and knows nothing else about them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from hub.models.coupons import CouponTemplate
from hub.models.crm_campaigns import Campaign, MemberMessage
from protocol.member_cache import MAX_MEMBER_MESSAGES
from protocol.member_cache import MemberMessage as WireMessage
from protocol.vocab import Label


@dataclass(frozen=True)
class Delivery:
    """What a channel needs to reach the treatment members of a launch."""

    campaign: Campaign
    member_ids: Sequence[int]
    offer: CouponTemplate | None
    now: datetime


class Channel(Protocol):
    """A way to reach a member; ``deliver`` returns how many members it queued for."""

    code: str
    label: Label

    def deliver(self, session: Session, delivery: Delivery) -> int:
        """Queue the campaign's message (and offer) for each member; flush, do not commit."""
        ...


def _offer_text(offer: CouponTemplate | None) -> tuple[str, str]:
    if offer is None:
        return "", ""
    return offer.name_zh, offer.name_en


class _MemberMessageChannel:
    """Both kiosk channels: a member message the member cache carries to the site's kiosks."""

    code = ""
    label = Label("", "")
    on_screen = False
    on_receipt = False

    def deliver(self, session: Session, delivery: Delivery) -> int:
        """One member message per member, valid for the campaign's window."""
        c = delivery.campaign
        zh, en = _offer_text(delivery.offer)
        session.add_all([
            MemberMessage(member_id=m, kind="campaign", campaign_id=c.id, text_zh=c.message_zh,
                          text_en=c.message_en, offer_zh=zh, offer_en=en,
                          on_screen=self.on_screen, on_receipt=self.on_receipt,
                          valid_from=max(c.starts_at, delivery.now), valid_until=c.ends_at,
                          created_at=delivery.now)
            for m in delivery.member_ids
        ])
        return len(delivery.member_ids)


class KioskGreeting(_MemberMessageChannel):
    """The kiosk greets the identified member with the message and the offer (menu screen)."""

    code = "kiosk"
    label = Label("自助机问候", "Kiosk greeting")
    on_screen = True


class ReceiptLine(_MemberMessageChannel):
    """The kiosk prints the message and the offer on the member's receipt."""

    code = "receipt"
    label = Label("小票附言", "Receipt line")
    on_receipt = True


CHANNELS: Mapping[str, Channel] = {c.code: c for c in (KioskGreeting(), ReceiptLine())}


def pending_messages(
    session: Session, *, now: datetime, member_ids: Sequence[int] | None = None
) -> dict[int, tuple[WireMessage, ...]]:
    """Member id -> the messages a kiosk should hold for them now (not shown yet, in their
    window), newest first and at most MAX_MEMBER_MESSAGES: what the member cache carries."""
    q = select(MemberMessage).where(
        col(MemberMessage.delivered_at).is_(None), MemberMessage.valid_from <= now,
        (col(MemberMessage.valid_until).is_(None)) | (col(MemberMessage.valid_until) > now))
    if member_ids is not None:
        q = q.where(col(MemberMessage.member_id).in_(list(member_ids)))
    out: dict[int, list[WireMessage]] = {}
    for m in session.exec(q.order_by(col(MemberMessage.member_id), col(MemberMessage.id).desc())):
        held = out.setdefault(m.member_id, [])
        if len(held) < MAX_MEMBER_MESSAGES:
            held.append(WireMessage(
                code=f"m{m.id}", kind="follow_up" if m.kind == "follow_up" else "campaign",
                text_zh=m.text_zh, text_en=m.text_en, offer_zh=m.offer_zh,
                offer_en=m.offer_en, on_screen=m.on_screen, on_receipt=m.on_receipt,
                valid_until=m.valid_until))
    return {k: tuple(v) for k, v in out.items()}
