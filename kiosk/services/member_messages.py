"""What the hub asked the kiosk to tell an identified member (CRM, schema 1.1).

The member cache carries each member's waiting messages: campaign greetings with their
offer, and follow-ups to a complaint. The menu screen shows those meant for the screen,
the receipt prints those meant for it; an expired one is never shown. A 1.0 cache has
no messages and nothing is shown.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.i18n import Text
from protocol.member_cache import CachedMember, MemberMessage


def _live(message: MemberMessage, now: datetime) -> bool:
    return message.valid_until is None or message.valid_until > now


def _text(message: MemberMessage) -> Text:
    if message.offer_zh or message.offer_en:
        return Text(f"{message.text_zh}（{message.offer_zh}）",
                    f"{message.text_en} ({message.offer_en})")
    return Text(message.text_zh, message.text_en)


def screen_greetings(member: CachedMember, now: datetime) -> tuple[Text, ...]:
    """The greetings and follow-ups for the menu screen, follow-ups first."""
    shown = [m for m in member.messages if m.on_screen and _live(m, now)]
    shown.sort(key=lambda m: m.kind != "follow_up")
    return tuple(_text(m) for m in shown)


def receipt_lines(member: CachedMember | None, now: datetime) -> tuple[Text, ...]:
    """The campaign lines to print on the member's receipt."""
    if member is None:
        return ()
    return tuple(_text(m) for m in member.messages if m.on_receipt and _live(m, now))
