"""What a signed-in member may read and change: only their own rows, by their member id.

Every function takes the member id from the session (never from the request), so a member
cannot name another member's data; an order or coupon of someone else is "not found",
exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Field, Session, col, func, select

from hub.accounts import ledger
from hub.accounts.audit import record_change
from hub.accounts.wallet import member_wallet
from hub.coupons.issue import coupon_token
from hub.crm.profile import mask_phone
from hub.crypto import FieldCipher
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.identity.tokens import member_code
from hub.members_io.privacy import personal_data
from hub.models.coupons import Coupon, CouponStatus, CouponTemplate
from hub.models.member_portal import ErasureRequest, ErasureState
from hub.models.members import Member, MemberUpdate
from hub.models.notify import NotifyContact
from hub.models.orders import Order, OrderLine, Payment
from hub.models.patch import PatchModel
from hub.models.sites import Site
from hub.notify.channels import email_of, mask
from hub.notify.service import set_contact
from hub.services.members import update_member
from rules.money import format_cents


class ConsentsOut(BaseModel):
    """Each consent and when it was given (None: not given)."""

    data: bool
    data_at: datetime | None
    marketing: bool
    marketing_at: datetime | None
    face: bool
    face_at: datetime | None


class ProfileOut(BaseModel):
    """The member as the page shows them (phone masked)."""

    member_no: str
    name: str
    phone_masked: str
    department: str | None
    consents: ConsentsOut


class BalancesOut(BaseModel):
    """Money and points now, in fen; ``*_text`` formatted as yuan."""

    paid_cents: int
    bonus_cents: int
    subsidy_cents: int
    points: int
    debt_cents: int
    paid_text: str
    bonus_text: str
    subsidy_text: str
    tier_zh: str | None
    tier_en: str | None


class LedgerEntryOut(BaseModel):
    """One movement on one of the member's accounts."""

    id: int
    at: datetime
    account: str
    kind: str
    amount: int
    balance_after: int
    order_id: str | None
    reason: str | None


class LedgerPage(BaseModel):
    """A page of movements, newest first."""

    total: int
    items: list[LedgerEntryOut]


class ReceiptLineOut(BaseModel):
    """A dish on the receipt."""

    name_zh: str
    name_en: str
    qty: int
    weight_g: int | None
    line_total_cents: int
    line_total_text: str


class PaymentOut(BaseModel):
    """How part of the order was paid."""

    method: str
    amount_cents: int
    amount_text: str


class OrderOut(BaseModel):
    """An order with its receipt: lines, discount, total and payments."""

    id: str
    order_no: str
    site_zh: str
    site_en: str
    placed_at: datetime
    subtotal_cents: int
    discount_cents: int
    total_cents: int
    total_text: str
    lines: list[ReceiptLineOut]
    payments: list[PaymentOut]


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    total: int
    items: list[OrderOut]


class CouponOut(BaseModel):
    """A coupon of the wallet; an open one carries the signed code its QR shows."""

    id: int
    name_zh: str
    name_en: str
    kind: str
    amount_cents: int
    percent_bp: int
    min_spend_cents: int
    status: str
    valid_from: datetime
    valid_until: datetime
    token: str | None


class QrOut(BaseModel):
    """The rotating member code (CM1) a kiosk verifies offline, and when it stops working."""

    token: str
    expires_at: datetime


class ConsentChange(PatchModel):
    """Consents the member changes; a field left out stays as it is, null is refused."""

    marketing: bool = Field(default=None)
    face: bool = Field(default=None)


class ContactOut(BaseModel):
    """Where notifications reach the member: the e-mail address masked, and the language."""

    email_masked: str | None
    language: Literal["zh", "en"]


class ContactChange(PatchModel):
    """The member's e-mail and notification language; left out stays, an empty or null
    address removes it, a null language is refused (every member has one)."""

    email: str | None = Field(default=None, max_length=254)
    language: Literal["zh", "en"] = Field(default=None)


class ErasureOut(BaseModel):
    """The member's erasure request and what staff did with it."""

    id: int
    state: str
    requested_at: datetime
    handled_at: datetime | None


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError("member not found")
    return member


def _consents(member: Member) -> ConsentsOut:
    return ConsentsOut(
        data=member.consent_data_at is not None, data_at=member.consent_data_at,
        marketing=member.consent_marketing_at is not None,
        marketing_at=member.consent_marketing_at,
        face=member.consent_face_at is not None, face_at=member.consent_face_at,
    )


def profile(session: Session, *, cipher: FieldCipher, member_id: int) -> ProfileOut:
    """The member's own profile and consents."""
    member = _member(session, member_id)
    phone = cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None
    return ProfileOut(member_no=member.member_no, name=member.name,
                      phone_masked=mask_phone(phone), department=member.department,
                      consents=_consents(member))


def balances(session: Session, *, member_id: int, now: datetime) -> BalancesOut:
    """Stored value, bonus, the subsidy usable now, points and tier."""
    w = member_wallet(session, member_id=member_id, meal_period=None, at=now)
    wallet = w.wallet
    return BalancesOut(
        paid_cents=wallet.paid_balance_cents, bonus_cents=wallet.bonus_balance_cents,
        subsidy_cents=wallet.subsidy_cents, points=wallet.points_balance,
        debt_cents=w.debt_cents, paid_text=format_cents(wallet.paid_balance_cents),
        bonus_text=format_cents(wallet.bonus_balance_cents),
        subsidy_text=format_cents(wallet.subsidy_cents),
        tier_zh=w.tier_name_zh, tier_en=w.tier_name_en,
    )


def ledger_page(session: Session, *, member_id: int, limit: int, offset: int) -> LedgerPage:
    """The member's ledger, newest first."""
    rows, total = ledger.list_entries(session, member_id=member_id, limit=limit, offset=offset)
    return LedgerPage(total=total, items=[
        LedgerEntryOut(id=int(e.id or 0), at=e.created_at, account=str(e.account),
                       kind=str(e.kind), amount=e.amount, balance_after=e.balance_after,
                       order_id=e.order_id, reason=e.reason)
        for e in rows
    ])


def _orders_out(session: Session, orders: list[Order]) -> list[OrderOut]:
    ids = [o.id for o in orders]
    lines: dict[str, list[OrderLine]] = {}
    payments: dict[str, list[Payment]] = {}
    if ids:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_(ids))
                                 .order_by(col(OrderLine.order_id), col(OrderLine.line_no))):
            lines.setdefault(line.order_id, []).append(line)
        for pay in session.exec(select(Payment).where(col(Payment.order_id).in_(ids))
                                .order_by(col(Payment.id))):
            payments.setdefault(pay.order_id, []).append(pay)
    sites = {s.id: s for s in session.exec(
        select(Site).where(col(Site.id).in_({o.site_id for o in orders})))}
    out = []
    for o in orders:
        site = sites.get(o.site_id)
        out.append(OrderOut(
            id=o.id, order_no=o.order_no, placed_at=o.placed_at,
            site_zh=site.name_zh if site else "", site_en=site.name_en if site else "",
            subtotal_cents=o.subtotal_cents, discount_cents=o.discount_cents,
            total_cents=o.total_cents, total_text=format_cents(o.total_cents),
            lines=[ReceiptLineOut(name_zh=ln.name_zh, name_en=ln.name_en, qty=ln.qty,
                                  weight_g=ln.weight_g, line_total_cents=ln.line_total_cents,
                                  line_total_text=format_cents(ln.line_total_cents))
                   for ln in lines.get(o.id, [])],
            payments=[PaymentOut(method=p.method, amount_cents=p.amount_cents,
                                 amount_text=format_cents(p.amount_cents))
                      for p in payments.get(o.id, [])],
        ))
    return out


def order_page(session: Session, *, member_id: int, limit: int, offset: int) -> OrderPage:
    """The member's orders with receipts, newest first."""
    mine = select(Order).where(Order.member_id == member_id)
    total = session.exec(select(func.count()).select_from(mine.subquery())).one()
    orders = list(session.exec(
        mine.order_by(col(Order.placed_at).desc(), col(Order.id)).limit(limit).offset(offset)))
    return OrderPage(total=int(total), items=_orders_out(session, orders))


def order_receipt(session: Session, *, member_id: int, order_id: str) -> OrderOut:
    """One of the member's orders; someone else's is not found."""
    order = session.get(Order, order_id)
    if order is None or order.member_id != member_id:
        raise NotFoundError("order not found")
    return _orders_out(session, [order])[0]


def coupon_wallet(session: Session, *, cipher: FieldCipher, member_id: int,
                  now: datetime) -> list[CouponOut]:
    """The member's coupons, open ones first, each open one with its signed CC1 code."""
    rows = session.exec(
        select(Coupon, CouponTemplate).join(CouponTemplate,
                                            col(CouponTemplate.id) == Coupon.template_id)
        .where(Coupon.member_id == member_id).order_by(col(Coupon.valid_until), col(Coupon.id))
    ).all()
    out = []
    for coupon, template in rows:
        status = coupon.status
        if status == CouponStatus.ISSUED.value and coupon.valid_until <= now:
            status = "expired"
        token = None
        if status == CouponStatus.ISSUED.value and coupon.id is not None:
            token = coupon_token(session=session, cipher=cipher, coupon_id=coupon.id)
        out.append(CouponOut(
            id=int(coupon.id or 0), name_zh=template.name_zh, name_en=template.name_en,
            kind=str(template.kind), amount_cents=template.amount_cents,
            percent_bp=template.percent_bp, min_spend_cents=template.min_spend_cents,
            status=status, valid_from=coupon.valid_from, valid_until=coupon.valid_until,
            token=token,
        ))
    out.sort(key=lambda c: c.token is None)  # stable: open coupons first, soonest ending first
    return out


def member_qr(session: Session, *, cipher: FieldCipher, member_id: int, now: datetime) -> QrOut:
    """The member's current code: hub.identity.tokens, the code every kiosk verifies."""
    code = member_code(session=session, cipher=cipher, member_id=member_id, now=now)
    return QrOut(token=code.token, expires_at=code.expires_at)


def change_consents(session: Session, *, cipher: FieldCipher, member_id: int,
                    change: ConsentChange) -> ConsentsOut:
    """Give or withdraw marketing consent, withdraw face consent (audited, commits).

    Face consent is given only at a kiosk's face screen, where the member sees what is
    collected and the template is made; here it can only be withdrawn (template deleted).
    """
    if change.face:
        raise InvalidInputError("face consent is given at a kiosk's face screen; here it can "
                                "only be withdrawn", field="face")
    fields: dict[str, bool] = {}
    if change.marketing is not None:
        fields["consent_marketing"] = change.marketing
    if change.face is False:
        fields["consent_face"] = False
    member = update_member(session=session, member_id=member_id,
                           data=MemberUpdate.model_validate(fields), cipher=cipher,
                           actor=f"member-web:{member_id}")
    return _consents(member)


def contact(session: Session, *, cipher: FieldCipher, member_id: int) -> ContactOut:
    """The member's notification address (masked, as every page and log line shows it)."""
    _member(session, member_id)
    address = email_of(session, cipher, member_id)
    row = session.get(NotifyContact, member_id)
    language = "en" if row is not None and row.language == "en" else "zh"
    return ContactOut(email_masked=mask(address) if address else None, language=language)


def change_contact(session: Session, *, cipher: FieldCipher, member_id: int,
                   change: ContactChange, now: datetime) -> ContactOut:
    """Set or clear the member's e-mail, change their language (audited, commits).

    The rule (address checked, stored encrypted) is hub.notify's ``set_contact``, the one
    the staff's ``canteen-hub notify contact`` uses; a refused address changes nothing.
    """
    before = contact(session, cipher=cipher, member_id=member_id)
    fields = change.model_dump(exclude_unset=True)
    email = (fields["email"] or None) if "email" in fields else email_of(session, cipher,
                                                                          member_id)
    set_contact(session, cipher, member_id=member_id, email=email,
                language=fields.get("language", before.language), now=now)
    after = contact(session, cipher=cipher, member_id=member_id)
    # Masked addresses only (the audit log outlives an erasure); the note keeps a new
    # address that happens to mask like the old one on the record.
    note = None if "email" not in fields else ("e-mail set" if email else "e-mail removed")
    record_change(session, actor=f"member-web:{member_id}", action="notify_contact.update",
                  entity="notify_contact", entity_id=member_id, member_id=member_id, at=now,
                  before=before.model_dump(), after=after.model_dump(), note=note)
    session.commit()
    return after


def export(session: Session, *, cipher: FieldCipher, member_id: int) -> dict[str, object]:
    """Everything the hub holds about the member (hub.members_io.privacy), plus orders."""
    data: dict[str, object] = personal_data(session=session, cipher=cipher, member_id=member_id)
    orders = list(session.exec(select(Order).where(Order.member_id == member_id)
                               .order_by(col(Order.placed_at))))
    data["orders"] = [o.model_dump(mode="json") for o in _orders_out(session, orders)]
    return data


def _erasure_out(row: ErasureRequest) -> ErasureOut:
    return ErasureOut(id=int(row.id or 0), state=row.state, requested_at=row.requested_at,
                      handled_at=row.handled_at)


def erasure_state(session: Session, *, member_id: int) -> ErasureOut | None:
    """The member's latest erasure request, if any."""
    row = session.exec(select(ErasureRequest).where(ErasureRequest.member_id == member_id)
                       .order_by(col(ErasureRequest.id).desc())).first()
    return None if row is None else _erasure_out(row)


def request_erasure(session: Session, *, member_id: int, now: datetime) -> ErasureOut:
    """Record the member's request for staff (commits); one open request at a time."""
    _member(session, member_id)
    open_row = session.exec(select(ErasureRequest).where(
        ErasureRequest.member_id == member_id,
        ErasureRequest.state == ErasureState.OPEN.value)).first()
    if open_row is not None:
        raise ConflictError("an erasure request is already waiting for the canteen's staff")
    row = ErasureRequest(member_id=member_id, requested_at=now)
    session.add(row)
    session.commit()
    session.refresh(row)
    return _erasure_out(row)
