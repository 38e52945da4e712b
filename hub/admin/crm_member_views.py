"""Admin pages of the CRM's people side: member search and the member profile (客户画像),
the tag rules editor with its dry run, and the segment builder with its live count.

Pages parse the form and render; every read and write goes through hub.crm (profile, tags,
segments: the same functions as /api/v1/crm), so the definition a page sends is checked by
the one validator (hub.crm.definitions), a refusal names the field and the reason, and
nothing is written. Every profile view is written to the audit log (``crm.profile.view``).
Managers and admins only (the shell's ShellAuthorization keeps cashiers out).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from hub.admin.crm_cases_views import CRM
from hub.admin.member_desk import _ACCOUNT_LABELS, _COUPON_STATUS, _ENTRY_LABELS
from hub.crm import profile as prof
from hub.crm import query as q
from hub.crm import segments as seg_svc
from hub.crm import tags as tag_svc
from hub.crm.cases_profile import profile_parts
from hub.crm.definitions import DefinitionError
from hub.crypto import FieldCipher
from hub.errors import InvalidInputError, NotFoundError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.identity.search import search_members
from hub.models import Member, Site
from hub.models.account_rules import TierDefinition
from hub.models.crm import TagRule
from rules.dietary import ALLERGENS, PREFERENCES
from rules.errors import MoneyError
from rules.money import format_cents, parse_yuan

T = TypeVar("T")
SEARCH_BY = ("name", "phone", "card", "tag")
SEARCH_LABELS = {"name": _l("Name, number, department or employer"), "phone": _l("Phone"),
                 "card": _l("Card number"), "tag": _l("Tag")}
FIELD_LABELS = {"code": _l("Tag code"), "name_zh": _l("Name (Chinese)"),
                "name_en": _l("Name (English)"), "definition": _l("Definition"),
                "confirm": _l("Confirm"), "name": _l("Name"), "id": _l("Rule"),
                "tag": _l("Tag")}
SCORE_FIELDS = ("r", "f", "m")
EXAMPLE_RULE = {"kind": "all", "items": [
    {"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 8},
    {"kind": "metric", "metric": "share_meal_period", "meal_period": "breakfast",
     "window_days": 30, "op": ">=", "value": 0.5}]}


def problem_lines(problems: list[tuple[str, str]]) -> list[str]:
    """Each refusal as the page shows it: the field (labelled, with its JSON path), why."""
    out = []
    for where, why in problems:
        head, _, rest = where.partition(".")
        label = str(FIELD_LABELS.get(head, head))
        out.append(f"{label}{' › ' + rest if rest else ''}: {why}")
    return out


def definition_problems(err: DefinitionError) -> list[tuple[str, str]]:
    """The validator's (path, reason) pairs under the form's ``definition`` field."""
    return [(f"definition.{w}" if w else "definition", r) for w, r in err.problems]


def parse_json(text: str) -> tuple[Any, list[tuple[str, str]]]:
    """The definition typed in the page, or the refusal (the validator needs an object)."""
    if not text.strip():
        return None, [("definition", gettext("write a definition"))]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as err:
        return None, [("definition", gettext("not valid JSON (line %(line)s, column %(col)s):"
                                             " %(why)s") % {"line": err.lineno,
                                                            "col": err.colno, "why": err.msg})]


def _floats(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def segment_from_form(form: Any) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """The builder's fields as a segment definition (then checked by the one validator)."""
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    items: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    with_tags = [str(t) for t in form.getlist("tags") if str(t)]
    if with_tags:
        leaves = [{"kind": "tag", "tag": t} for t in with_tags]
        joined = "any" if text("tags_mode") == "any" else "all"
        items.append(leaves[0] if len(leaves) == 1 else {"kind": joined, "items": leaves})
    items.extend({"kind": "not", "item": {"kind": "tag", "tag": str(t)}}
                 for t in form.getlist("without_tags") if str(t))
    for name in SCORE_FIELDS:
        if text(f"{name}_min"):
            value = _floats(text(f"{name}_min"), 1, 5)
            if value is None:
                problems.append((f"{name}_min", gettext("a score from 1 to 5")))
            else:
                items.append({"kind": "score", "field": name, "op": ">=", "value": value})
    for name, op in (("churn_min", ">="), ("churn_max", "<=")):
        if text(name):
            value = _floats(text(name), 0, 1)
            if value is None:
                problems.append((name, gettext("a probability from 0 to 1")))
            else:
                items.append({"kind": "score", "field": "churn_probability", "op": op,
                              "value": value})
    if text("recency_days"):
        try:
            items.append({"kind": "recency", "op": "<=", "days": int(text("recency_days"))})
        except ValueError:
            problems.append(("recency_days", gettext("a whole number of days")))
    if text("visits_min"):
        try:
            items.append({"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=",
                          "value": int(text("visits_min"))})
        except ValueError:
            problems.append(("visits_min", gettext("a whole number of visits")))
    if text("spend_min"):
        try:
            cents = parse_yuan(text("spend_min"))
        except MoneyError:
            problems.append(("spend_min", gettext("an amount in yuan, e.g. 300")))
        else:
            items.append({"kind": "metric", "metric": "spend_cents", "window_days": 90,
                          "op": ">=", "value": cents})
    sites = [str(t) for t in form.getlist("sites") if str(t)]
    if sites:
        items.append({"kind": "site", "codes": sites, "window_days": 90})
    tiers = [str(t) for t in form.getlist("tiers") if str(t)]
    if tiers:
        items.append({"kind": "tier", "codes": tiers})
    departments = [d.strip() for d in text("departments").replace("，", ",").split(",")
                   if d.strip()]
    if departments:
        items.append({"kind": "department", "names": departments})
    if problems:
        return None, problems
    if not items:
        return None, [("definition", gettext("choose at least one condition"))]
    if len(items) == 1:
        return items[0], []
    return {"kind": "any" if text("mode") == "any" else "all", "items": items}, []


SEGMENT_FIELD_LABELS = {"r_min": _l("Recency score at least"),
                        "f_min": _l("Frequency score at least"),
                        "m_min": _l("Monetary score at least"),
                        "churn_min": _l("Churn probability at least"),
                        "churn_max": _l("Churn probability at most"),
                        "recency_days": _l("Visited in the last (days)"),
                        "visits_min": _l("Visits in the last 30 days at least"),
                        "spend_min": _l("Spend in the last 90 days at least (yuan)")}


class CrmPeopleView(BaseView):
    """Members (search, profile), tag rules (editor, dry run), segments (builder)."""

    category = CRM
    name = _l("Members")
    icon = "fa-solid fa-address-book"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.crm_people_engine

        def run() -> T:  # objects stay readable after the audit record's commit
            with Session(engine, expire_on_commit=False) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    def _common(self) -> dict[str, Any]:
        en = get_language() == "en"
        return {"name_in": (lambda zh, e: e if en else zh), "yuan": format_cents,
                "allergen_label": lambda c: (ALLERGENS[c].en if en else ALLERGENS[c].zh)
                if c in ALLERGENS else c,
                "preference_label": lambda c: (PREFERENCES[c].en if en else PREFERENCES[c].zh)
                if c in PREFERENCES else c,
                "entry_label": lambda k: _ENTRY_LABELS.get(str(k), str(k)),
                "account_label": lambda k: _ACCOUNT_LABELS.get(k, str(k)),
                "coupon_label": lambda k: _COUPON_STATUS.get(str(k), str(k))}

    # ---- members -------------------------------------------------------------------------

    @expose("/crm/members", identity="crm-members")
    async def members(self, request: Request) -> Response:
        """Find a member by name/number/department/employer, phone, card or tag."""
        by = request.query_params.get("by", "name")
        by = by if by in SEARCH_BY else "name"
        text = request.query_params.get("q", "").strip()[:60]
        cipher: FieldCipher = request.app.state.crm_people_cipher
        error = None

        def read(s: Session) -> tuple[list[prof.MemberHit], list[tuple[str, str, str]]]:
            known = _known_tags(s)
            if by == "name":
                return prof.search(s, text), known
            if not text:
                return [], known
            if by == "tag":
                ids = tag_svc.members_with_tag(s, text)[:50]
                found = s.exec(select(Member).where(col(Member.id).in_(ids))
                               .order_by(col(Member.id))).all() if ids else []
            else:
                found = search_members(session=s, cipher=cipher,
                                       **({"phone": text} if by == "phone" else {"card_no": text}))
            return prof.hits(s, list(found)), known

        hits: list[prof.MemberHit] = []
        known: list[tuple[str, str, str]] = []
        try:
            hits, known = await self._db(request, read)
        except InvalidInputError:
            error = gettext("Not a valid %(what)s: %(text)s") % {
                "what": str(SEARCH_LABELS[by]), "text": text}
        return await self.templates.TemplateResponse(
            request, "crm_people/members.html",
            {**self._common(), "by": by, "q": text, "hits": hits, "error": error,
             "fields": [(f, str(SEARCH_LABELS[f])) for f in SEARCH_BY], "known_tags": known},
            status_code=400 if error else 200)

    @expose("/crm/members/{member_id:int}", identity="crm-member")
    async def member(self, request: Request, *, error: str | None = None) -> Response:
        """The member profile (客户画像); the view is written to the audit log."""
        member_id = int(request.path_params["member_id"])
        cipher: FieldCipher = request.app.state.crm_people_cipher
        actor = str(request.state.admin_user.username)

        def read(s: Session) -> dict[str, Any] | None:
            try:
                p = prof.load_profile(s, cipher=cipher, member_id=member_id, actor=actor)
            except NotFoundError:
                return None
            tier = None
            if p.account.tier_code:
                tier = s.exec(select(TierDefinition)
                              .where(TierDefinition.code == p.account.tier_code)).first()
            rules = {r.id: r for r in s.exec(select(TagRule))}
            orders = _order_numbers(s, [o for t in p.tags for o in t.order_ids])
            return {"p": p, "tier": tier, "rules": rules, "order_nos": orders,
                    **profile_parts(s, member_id=member_id)}

        data = await self._db(request, read)
        if data is None:
            return await self.templates.TemplateResponse(
                request, "crm_people/member.html", {**self._common(), "p": None},
                status_code=404)
        return await self.templates.TemplateResponse(
            request, "crm_people/member.html",
            {**self._common(), **data, "error": error,
             "tagged": request.query_params.get("tagged", "")},
            status_code=400 if error else 200)

    @expose("/crm/members/{member_id:int}/tags", methods=["POST"], identity="crm-member-tags")
    async def member_tags(self, request: Request) -> Response:
        """Give a manual tag (with a note) or take one off; refusals shown on the profile."""
        member_id = int(request.path_params["member_id"])
        form = await request.form()
        action = str(form.get("action") or "add")
        tag = str(form.get("tag") or "").strip()[:40]
        actor = str(request.state.admin_user.username)

        def write(s: Session) -> str | None:
            if s.get(Member, member_id) is None:
                return "missing"
            try:
                if action == "remove":
                    if not tag_svc.remove_manual_tag(s, member_id=member_id, tag=tag):
                        return gettext("Refused: %(why)s") % {
                            "why": gettext("no manual tag %(tag)s") % {"tag": tag}}
                else:
                    tag_svc.add_manual_tag(s, member_id=member_id, tag=tag, actor=actor,
                                           note=str(form.get("note") or "").strip()[:200])
            except tag_svc.TagError as err:
                s.rollback()
                return gettext("Refused: %(why)s") % {
                    "why": f"{FIELD_LABELS.get('tag', 'tag')}: {err.reason}"}
            s.commit()
            return None

        error = await self._db(request, write)
        if error == "missing":
            return Response(status_code=404)
        url = request.url_for("admin:view-crm-member", member_id=member_id)
        if error is None:
            return RedirectResponse(f"{url}?tagged={action}", status_code=303)
        return await self.member(request, error=error)

    # ---- rules ---------------------------------------------------------------------------

    @expose("/crm/rules", identity="crm-rules", methods=["GET", "POST"])
    async def rules(self, request: Request) -> Response:
        """Every rule, and the editor: a new rule, or ``?edit=<id>``; dry run or save."""
        form: dict[str, Any] = {"code": "", "name_zh": "", "name_en": "", "active": True,
                                "definition": json.dumps(EXAMPLE_RULE, ensure_ascii=False,
                                                         indent=2), "id": ""}
        problems: list[tuple[str, str]] = []
        run: tag_svc.DryRun | None = None
        needs_confirm = False
        status = 200
        edit = request.query_params.get("edit", "")
        if request.method == "POST":
            posted = await request.form()
            form = {k: str(posted.get(k) or "").strip()
                    for k in ("code", "name_zh", "name_en", "definition", "id")}
            form["definition"] = str(posted.get("definition") or "")
            form["active"] = posted.get("active") == "on"
            action = str(posted.get("action") or "dry_run")
            confirm = posted.get("confirm") == "on"
            definition, problems = parse_json(form["definition"])
            rule_id = int(form["id"]) if form["id"].isdigit() else None
            actor = str(request.state.admin_user.username)

            def work(s: Session) -> tuple[tag_svc.DryRun | None, list[tuple[str, str]], bool,
                                          int | None]:
                if action == "save":
                    try:
                        rule, done = tag_svc.save_rule(
                            s, code=form["code"], name_zh=form["name_zh"],
                            name_en=form["name_en"], definition=definition, actor=actor,
                            active=bool(form["active"]), confirm=confirm, rule_id=rule_id)
                    except tag_svc.NeedsConfirmation as err:
                        s.rollback()
                        return err.run, err.problems, True, None
                    except tag_svc.RuleError as err:
                        s.rollback()
                        return None, err.problems, False, None
                    return done, [], False, rule.id
                try:
                    return tag_svc.dry_run(s, definition, for_rule=True), [], False, None
                except DefinitionError as err:
                    return None, definition_problems(err), False, None

            if not problems:
                run, problems, needs_confirm, saved = await self._db(request, work)
                if saved is not None:
                    url = request.url_for("admin:view-crm-rules")
                    return RedirectResponse(f"{url}?saved={saved}", status_code=303)
            status = 400 if problems and not needs_confirm else (409 if needs_confirm else 200)

        def read(s: Session) -> tuple[list[tuple[TagRule, int]], TagRule | None]:
            if tag_svc.ensure_builtin_rules(s):
                s.commit()
            counts: dict[str, int] = {str(t): int(n) for t, n in s.connection().execute(
                sa.select(q.TAG.c.tag, sa.func.count()).group_by(q.TAG.c.tag))}
            rows = s.exec(select(TagRule).order_by(col(TagRule.code))).all()
            chosen = s.get(TagRule, int(edit)) if edit.isdigit() else None
            return [(r, int(counts.get(r.code, 0))) for r in rows], chosen

        rows, chosen = await self._db(request, read)
        if chosen is not None and request.method == "GET":
            form = {"code": chosen.code, "name_zh": chosen.name_zh, "name_en": chosen.name_en,
                    "active": chosen.active, "id": str(chosen.id),
                    "definition": json.dumps(chosen.definition, ensure_ascii=False, indent=2)}
        return await self.templates.TemplateResponse(
            request, "crm_people/rules.html",
            {**self._common(), "rows": rows, "form": form, "run": run,
             "problems": problem_lines(problems), "needs_confirm": needs_confirm,
             "saved": request.query_params.get("saved", "")},
            status_code=status)

    # ---- segments ------------------------------------------------------------------------

    @expose("/crm/segments", identity="crm-segments", methods=["GET", "POST"])
    async def segments(self, request: Request) -> Response:
        """Saved segments with their counts, and the builder: count (live) and save."""
        problems: list[tuple[str, str]] = []
        run: tag_svc.DryRun | None = None
        definition: dict[str, Any] | None = None
        posted: Any = {}
        status = 200
        if request.method == "POST":
            posted = await request.form()
            action = str(posted.get("action") or "count")
            definition, problems = segment_from_form(posted)
            name = str(posted.get("name") or "").strip()
            actor = str(request.state.admin_user.username)

            def work(s: Session) -> tuple[tag_svc.DryRun | None, list[tuple[str, str]],
                                          int | None]:
                try:
                    if action == "save":
                        seg = seg_svc.save_segment(s, name=name, definition=definition,
                                                   actor=actor)
                        s.commit()
                        return None, [], seg.id
                    return tag_svc.dry_run(s, definition or {}, for_rule=False), [], None
                except seg_svc.SegmentError as err:
                    s.rollback()
                    return None, err.problems, None
                except DefinitionError as err:
                    return None, definition_problems(err), None

            if not problems:
                run, problems, saved = await self._db(request, work)
                if saved is not None:
                    url = request.url_for("admin:view-crm-segments")
                    return RedirectResponse(f"{url}?saved={saved}", status_code=303)
            lines = _segment_problems(problems)
            if request.headers.get("accept", "").startswith("application/json"):
                return JSONResponse({"count": run.count if run else None,
                                     "total": run.total if run else None,
                                     "problems": lines}, status_code=400 if lines else 200)
            status = 400 if problems else 200

        def read(s: Session) -> dict[str, Any]:
            saved = [(g, seg_svc.count_definition(s, g.definition))
                     for g in seg_svc.list_segments(s)]
            tiers = [(t.code, t.name_zh, t.name_en) for t in s.exec(
                select(TierDefinition).order_by(col(TierDefinition.code)))]
            departments = [d for (d,) in s.connection().execute(
                sa.select(q.M.c.department).where(q.M.c.department.is_not(None))
                .distinct().order_by(q.M.c.department).limit(50))]
            sites = [(r.code, r.name_zh, r.name_en) for r in s.exec(
                select(Site).where(col(Site.active).is_(True)).order_by(col(Site.code)))]
            return {"saved": saved, "known_tags": _known_tags(s), "tiers": tiers, "sites": sites,
                    "departments": departments}

        data = await self._db(request, read)
        return await self.templates.TemplateResponse(
            request, "crm_people/segments.html",
            {**self._common(), **data, "run": run, "problems": _segment_problems(problems),
             "definition": json.dumps(definition, ensure_ascii=False) if definition else "",
             "posted": posted, "chosen_tags": set(_list(posted, "tags")),
             "chosen_without": set(_list(posted, "without_tags")),
             "chosen_tiers": set(_list(posted, "tiers")),
             "chosen_sites": set(_list(posted, "sites")),
             "just_saved": request.query_params.get("saved", "")},
            status_code=status)

    @expose("/crm/segments/{segment_id:int}/export", identity="crm-segment-export")
    async def segment_export(self, request: Request) -> Response:
        """The segment's members with marketing consent as CSV or XLSX (audited)."""
        segment_id = int(request.path_params["segment_id"])
        fmt = "xlsx" if request.query_params.get("format") == "xlsx" else "csv"
        actor = str(request.state.admin_user.username)

        def work(s: Session) -> Response:
            try:
                export, body = seg_svc.audited_export(s, segment_id, actor=actor,
                                                      file_format=fmt)
            except seg_svc.SegmentNotFound:
                return Response(status_code=404)
            return Response(body, media_type=seg_svc.EXPORT_TYPES[fmt],
                            headers=seg_svc.export_headers(segment_id, fmt, export))

        return await self._db(request, work)


def _list(posted: Any, name: str) -> list[str]:
    return [str(v) for v in posted.getlist(name)] if hasattr(posted, "getlist") else []


def _segment_problems(problems: list[tuple[str, str]]) -> list[str]:
    out = []
    for where, why in problems:
        label = SEGMENT_FIELD_LABELS.get(where)
        out.append(f"{label}: {why}" if label else problem_lines([(where, why)])[0])
    return out


def _known_tags(s: Session) -> list[tuple[str, str, str]]:
    """Every tag code in use or given by a rule, with the rule's names where there is one."""
    rules = {r.code: (r.name_zh, r.name_en) for r in s.exec(select(TagRule))}
    used = {t for (t,) in s.connection().execute(sa.select(q.TAG.c.tag).distinct())}
    return [(c, *rules.get(c, (c, c))) for c in sorted(set(rules) | used)]


def _order_numbers(s: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {str(i): str(n) for i, n in s.connection().execute(
        sa.select(q.O.c.id, q.O.c.order_no).where(q.O.c.id.in_(ids)))}


def register_crm_people_views(admin: Admin, cipher: FieldCipher) -> None:
    """Add the members, rules and segments pages to the shell (mount_admin calls this)."""
    admin.admin.state.crm_people_engine = admin.engine
    admin.admin.state.crm_people_cipher = cipher
    admin.add_view(CrmPeopleView)
