"""``event.ack``: the hub's answer to uplink events, after it has committed them."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from protocol.fields import ShortText, Uuid7, WireModel

AckResult = Literal["ok", "duplicate", "conflict", "rejected"]
"""ok: stored now; duplicate: stored before with the same content; conflict: same id,
different content; rejected: will never be accepted (reason says why)."""

MAX_ACKS = 1000


class Ack(WireModel):
    """The outcome for one message id; ``reason`` is required unless the result is ok/duplicate."""

    message_id: Uuid7
    result: AckResult
    reason: ShortText | None = None

    @model_validator(mode="after")
    def _reason_when_refused(self) -> Self:
        if self.result in ("conflict", "rejected") and not self.reason:
            raise ValueError(f"an ack with result {self.result!r} needs a reason")
        return self


class EventAck(WireModel):
    """A batch of acks for one device."""

    acks: tuple[Ack, ...] = Field(min_length=1, max_length=MAX_ACKS)
