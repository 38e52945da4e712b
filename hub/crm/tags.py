"""Member tags: manual ones by staff, automatic ones from rules, each with its evidence.

A rule is refreshed set-based: one statement finds every member it matches (or, at
ingest, every touched member it matches), Python only takes set differences, and the
changes go in as a bulk insert and a bulk delete. A tag keeps the time it was first given
while the rule keeps matching; it is removed when the rule stops matching.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from hub.crm import definitions as d
from hub.crm import query as q
from hub.crm.builtin_rules import BUILTIN_RULES
from hub.db_types import utcnow
from hub.models.crm import MemberTag, TagRule

log = logging.getLogger(__name__)
RULE = TagRule.__table__  # type: ignore[attr-defined]
EVIDENCE_ORDERS = 3
CHUNK = 500
TAG_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class TagView:
    """A member's tag as the profile shows it: what, since when, why."""

    tag: str
    name_zh: str
    name_en: str
    source: str  # "rule" or "manual"
    rule_id: int | None
    given_at: datetime
    given_by: str | None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def order_ids(self) -> list[str]:
        """The orders that made the rule match (newest first)."""
        return list(self.evidence.get("orders", []))


def member_tags(session: Session, member_id: int) -> list[TagView]:
    """Every tag of a member, rule tags with their rule's names and evidence."""
    rules = {r.id: r for r in session.exec(select(TagRule))}
    rows = session.exec(select(MemberTag).where(MemberTag.member_id == member_id)
                        .order_by(MemberTag.tag)).all()
    out = []
    for row in rows:
        rule = rules.get(row.rule_id) if row.rule_id is not None else None
        out.append(TagView(
            tag=row.tag, name_zh=rule.name_zh if rule else row.tag,
            name_en=rule.name_en if rule else row.tag,
            source="rule" if rule else "manual", rule_id=row.rule_id, given_at=row.given_at,
            given_by=row.given_by, evidence=dict(row.evidence or {}),
        ))
    return out


def members_with_tag(session: Session, tag: str) -> list[int]:
    """Ids of the members who have ``tag``."""
    return list(session.exec(select(MemberTag.member_id).where(MemberTag.tag == tag)
                             .order_by(sa.asc(q.TAG.c.member_id))))


# ---- manual tags -----------------------------------------------------------------------

class TagError(ValueError):
    """A tag change refused: ``field`` and the reason."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field = field_name
        self.reason = reason
        super().__init__(f"{field_name}: {reason}")


def add_manual_tag(session: Session, *, member_id: int, tag: str, actor: str,
                   note: str = "", at: datetime | None = None) -> MemberTag:
    """Give a member a tag by hand (no commit); a tag a rule gives is refused."""
    code = tag.strip()
    if not TAG_CODE.fullmatch(code):
        raise TagError("tag", "1-32 letters, digits, '_', '.' or '-', starting with one of "
                              "the first two")
    if session.exec(select(TagRule.id).where(TagRule.code == code)).first() is not None:
        raise TagError("tag", f"{code!r} is given by a rule, not by hand")
    if session.exec(select(MemberTag.id).where(MemberTag.member_id == member_id,
                                               MemberTag.tag == code)).first() is not None:
        raise TagError("tag", f"the member already has {code!r}")
    row = MemberTag(member_id=member_id, tag=code, given_by=actor[:64],
                    given_at=at or utcnow(), evidence={"note": note[:200]} if note else {})
    session.add(row)
    return row


def remove_manual_tag(session: Session, *, member_id: int, tag: str) -> bool:
    """Take a manual tag off a member (no commit); False when there was none."""
    row = session.exec(select(MemberTag).where(
        MemberTag.member_id == member_id, MemberTag.tag == tag,
        MemberTag.rule_id.is_(None))).first()  # type: ignore[union-attr]
    if row is None:
        return False
    session.delete(row)
    return True


# ---- rules -----------------------------------------------------------------------------

def ensure_builtin_rules(session: Session) -> int:
    """Add the shipped rules the hub does not have yet (by code); returns how many."""
    have = set(session.exec(select(TagRule.code)))
    added = 0
    for code, (zh, en, definition) in BUILTIN_RULES.items():
        if code in have:
            continue
        d.parse(definition, for_rule=True)  # a shipped rule is checked like any other
        session.add(TagRule(code=code, name_zh=zh, name_en=en, definition=definition,
                            builtin=True))
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class RefreshResult:
    """What one rule's refresh changed."""

    rule: str
    matched: int
    added: int
    removed: int


def refresh_rule(conn: Connection, rule: TagRule, *, at: datetime,
                 members: Sequence[int] | None = None) -> RefreshResult:
    """Re-evaluate one rule for all members (or ``members``) and write the difference."""
    node = d.parse(rule.definition, for_rule=True)
    full = members is None
    ctx = q.make_context(conn, at, state=None if full else rule.state)
    if members is not None and not members:
        return RefreshResult(rule.code, 0, 0, 0)
    matched: set[int] = set()
    have: set[int] = set()
    for part in _parts(members):
        matched.update(conn.execute(q.matching(ctx, node, members=part)).scalars())
        have_q = sa.select(q.TAG.c.member_id).where(q.TAG.c.rule_id == rule.id)
        if part is not None:
            have_q = have_q.where(q.TAG.c.member_id.in_(part))
        have.update(conn.execute(have_q).scalars())
    gone = sorted(have - matched)
    for start in range(0, len(gone), CHUNK):
        conn.execute(q.TAG.delete().where(q.TAG.c.rule_id == rule.id,
                                          q.TAG.c.member_id.in_(gone[start:start + CHUNK])))
    new = sorted(matched - have)
    if new:
        # A member who has the same tag by hand keeps the manual one.
        manual: set[int] = set()
        for start in range(0, len(new), CHUNK):
            manual.update(conn.execute(sa.select(q.TAG.c.member_id).where(
                q.TAG.c.tag == rule.code, q.TAG.c.member_id.in_(new[start:start + CHUNK])
            )).scalars())
        new = [m for m in new if m not in manual]
        proof = evidence(ctx, node, new)
        rows = [{"member_id": m, "tag": rule.code, "rule_id": rule.id, "given_at": at,
                 "given_by": None, "evidence": {"orders": proof.get(m, [])}} for m in new]
        for start in range(0, len(rows), CHUNK):
            conn.execute(q.TAG.insert(), rows[start:start + CHUNK])
    if full:
        conn.execute(RULE.update().where(RULE.c.id == rule.id).values(
            state=ctx.fresh_state, refreshed_at=at))
    return RefreshResult(rule.code, len(matched), len(new), len(gone))


def _parts(members: Sequence[int] | None) -> Iterable[Sequence[int] | None]:
    if members is None:
        yield None
        return
    ordered = sorted(set(members))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def refresh_all(session: Session, *, at: datetime | None = None) -> list[RefreshResult]:
    """The full refresh (a job): every active rule for every member, then commit."""
    at = at or utcnow()
    ensure_builtin_rules(session)
    rules = session.exec(select(TagRule).where(TagRule.active.is_(True))  # type: ignore[attr-defined]
                         .order_by(sa.asc(RULE.c.id))).all()
    conn = session.connection()
    results = [refresh_rule(conn, rule, at=at) for rule in rules]
    session.commit()
    return results


def retag_members(conn: Connection, members: Sequence[int], *, at: datetime) -> int:
    """Re-evaluate every active rule for the members an ingest batch touched.

    Uses each rule's cut-offs from the last full refresh (a top-20 % rule does not rank
    every member per batch). Returns how many tags changed.
    """
    if not members:
        return 0
    rules = conn.execute(sa.select(RULE).where(RULE.c.active.is_(True))
                         .order_by(RULE.c.id)).mappings().all()
    changed = 0
    for row in rules:
        rule = TagRule(**dict(row))
        result = refresh_rule(conn, rule, at=at, members=members)
        changed += result.added + result.removed
    return changed


def evidence(ctx: q.Context, node: Any, members: Sequence[int]) -> dict[int, list[str]]:
    """The orders that show why each member matched: the newest few of the first
    order-based condition (the N orders of a consecutive-orders condition)."""
    leaf = _evidence_leaf(node)
    if leaf is None or not members:
        return {}
    limit, days, extra = EVIDENCE_ORDERS, getattr(leaf, "window_days", None), None
    if isinstance(leaf, d.ConsecutiveLeaf):
        limit = leaf.count
    elif isinstance(leaf, d.MetricLeaf):
        if leaf.metric == "share_meal_period":
            extra = q.O.c.meal_period == leaf.meal_period
        elif leaf.metric == "share_weekdays":
            extra = q.local_dow(ctx).between(1, 5)
        elif leaf.metric == "share_weekends":
            extra = q.local_dow(ctx).in_([0, 6])
        elif leaf.metric == "share_dish" and leaf.dish is not None:
            extra = q.has_dish(ctx, leaf.dish)
    elif isinstance(leaf, d.ModifierLeaf):
        extra = q.O.c.id.in_(sa.select(q.modifier_orders(ctx, leaf.code, leaf.window_days)
                                       .subquery().c.id))
    elif isinstance(leaf, d.RateDropLeaf):
        days = leaf.recent_days + leaf.baseline_days
    elif isinstance(leaf, d.FirstVisitLeaf | d.RecencyLeaf):
        days, limit = None, 1
    out: dict[int, list[str]] = {}
    for start in range(0, len(members), CHUNK):
        ranked = q.last_orders(ctx, days, extra, members=members[start:start + CHUNK]).subquery()
        rows = ctx.conn.execute(sa.select(ranked.c.member_id, ranked.c.id)
                                .where(ranked.c.rn <= limit)
                                .order_by(ranked.c.member_id, ranked.c.rn))
        for member_id, order_id in rows:
            out.setdefault(member_id, []).append(order_id)
    return out


_ORDER_LEAVES = (d.ConsecutiveLeaf, d.ModifierLeaf, d.MetricLeaf, d.TopPercentLeaf,
                 d.RateDropLeaf, d.FirstVisitLeaf, d.RecencyLeaf, d.SiteLeaf)


def _evidence_leaf(node: Any) -> Any:
    """The first order-based leaf not under a NOT, preferring the most telling kinds."""
    found: list[Any] = []

    def walk(n: Any) -> None:
        if isinstance(n, d.AllNode | d.AnyNode):
            for item in n.items:
                walk(item)
        elif isinstance(n, _ORDER_LEAVES):
            found.append(n)

    walk(node)
    for kind in _ORDER_LEAVES:
        for leaf in found:
            if isinstance(leaf, kind) and not (isinstance(leaf, d.MetricLeaf)
                                               and leaf.metric in ("visits", "spend_cents",
                                                                   "distinct_days")
                                               and any(isinstance(x, d.MetricLeaf)
                                                       and x.metric.startswith("share_")
                                                       for x in found)):
                return leaf
    return None


# ---- dry run ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DryRun:
    """What a definition would select now: how many of how many, and ten of them."""

    count: int
    total: int
    sample: list[dict[str, Any]]

    @property
    def extreme(self) -> bool:
        """It would tag everyone or no one (saving it then needs a confirmed dry run)."""
        return self.count == 0 or self.count == self.total


def dry_run(session: Session, definition: dict[str, Any], *, for_rule: bool,
            at: datetime | None = None, sample: int = 10) -> DryRun:
    """Count and sample the members a definition matches, writing nothing."""
    node = d.parse(definition, for_rule=for_rule)
    conn = session.connection()
    ctx = q.make_context(conn, at or utcnow())
    ids = q.matching(ctx, node).subquery()
    count = conn.execute(sa.select(sa.func.count()).select_from(ids)).scalar_one()
    total = conn.execute(sa.select(sa.func.count()).select_from(q.M)
                         .where(q.M.c.active.is_(True))).scalar_one()
    rows = conn.execute(sa.select(q.M.c.id, q.M.c.member_no, q.M.c.name, q.M.c.department)
                        .where(q.M.c.id.in_(sa.select(ids.c.id)))
                        .order_by(q.M.c.id).limit(sample)).mappings().all()
    return DryRun(count=count, total=total, sample=[dict(r) for r in rows])



# ---- rule editing ----------------------------------------------------------------------

class RuleError(ValueError):
    """A rule refused: ``problems`` lists (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))


class NeedsConfirmation(RuleError):
    """The rule would tag everyone or no one: saved only once the dry run is confirmed."""

    def __init__(self, run: DryRun) -> None:
        self.run = run
        who = "no one" if run.count == 0 else f"every member ({run.count})"
        super().__init__([("confirm", f"this rule would tag {who}; confirm the dry run "
                                      "to save it")])


def save_rule(session: Session, *, code: str, name_zh: str, name_en: str,
              definition: Any, actor: str, active: bool = True, confirm: bool = False,
              rule_id: int | None = None, at: datetime | None = None) -> tuple[TagRule, DryRun]:
    """Validate, dry-run and save a rule, then tag its members; committed. Nothing is
    written when it is refused (RuleError, NeedsConfirmation)."""
    from hub.accounts.audit import record_audit

    at = at or utcnow()
    problems: list[tuple[str, str]] = []
    code = (code or "").strip()
    if not TAG_CODE.fullmatch(code):
        problems.append(("code", "1-32 letters, digits, '_', '.' or '-'"))
    for name, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not 1 <= len((value or "").strip()) <= 60:
            problems.append((name, "1-60 characters"))
    node = None
    try:
        node = d.parse(definition, for_rule=True)
    except d.DefinitionError as err:
        problems.extend((f"definition.{loc}" if loc else "definition", why)
                        for loc, why in err.problems)
    rule = session.get(TagRule, rule_id) if rule_id is not None else None
    if rule_id is not None and rule is None:
        problems.append(("id", f"no rule {rule_id}"))
    if not problems:
        clash = session.exec(select(TagRule).where(TagRule.code == code)).first()
        if clash is not None and clash.id != rule_id:
            problems.append(("code", f"a rule {code!r} exists"))
        if rule is not None and rule.builtin and rule.code != code:
            problems.append(("code", "a shipped rule keeps its code"))
        manual = session.exec(select(MemberTag.id).where(
            MemberTag.tag == code, MemberTag.rule_id.is_(None))).first()  # type: ignore[union-attr]
        if manual is not None and (rule is None or rule.code != code):
            problems.append(("code", f"{code!r} is already a manual tag"))
    if problems:
        raise RuleError(problems)
    run = dry_run(session, d.dump(node), for_rule=True, at=at)
    if run.extreme and not confirm:
        raise NeedsConfirmation(run)
    canonical = d.dump(node)
    if rule is None:
        rule = TagRule(code=code, name_zh=name_zh.strip(), name_en=name_en.strip(),
                       definition=canonical, active=active)
    else:
        if rule.code != code:
            conn = session.connection()
            conn.execute(q.TAG.update().where(q.TAG.c.rule_id == rule.id).values(tag=code))
        rule.code, rule.name_zh, rule.name_en = code, name_zh.strip(), name_en.strip()
        rule.definition, rule.active, rule.updated_at = canonical, active, at
    session.add(rule)
    session.flush()
    record_audit(session, actor=actor, action="crm.rule.save", entity="crm_tag_rule",
                 entity_id=rule.id or 0, at=at, after={"code": code, "definition": canonical,
                                                       "active": active})
    conn = session.connection()
    if active:
        refresh_rule(conn, rule, at=at)
    else:
        conn.execute(q.TAG.delete().where(q.TAG.c.rule_id == rule.id))
    session.commit()
    session.refresh(rule)
    return rule, run


def delete_rule(session: Session, *, rule_id: int, actor: str) -> bool:
    """Delete a rule and the tags it gave; committed. False when there is no such rule."""
    from hub.accounts.audit import record_audit

    rule = session.get(TagRule, rule_id)
    if rule is None:
        return False
    session.connection().execute(q.TAG.delete().where(q.TAG.c.rule_id == rule_id))
    record_audit(session, actor=actor, action="crm.rule.delete", entity="crm_tag_rule",
                 entity_id=rule_id, before={"code": rule.code, "definition": rule.definition})
    session.delete(rule)
    session.commit()
    return True
