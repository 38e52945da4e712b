"""Admin pages of the complaints desk: the queue (overdue flagged), a case, staff performance.

Pages parse the form or query string and render; every change goes through hub.crm.cases
(the same functions as /api/v1/crm/cases), so a refusal here is the API's refusal, shown
with the field it concerns, and nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import anyio
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.crm import cases as svc
from hub.crm import cases_stats as stats
from hub.errors import InvalidInputError, ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models.users import User
from protocol.vocab import FEEDBACK_TAGS

T = TypeVar("T")
CRM = _l("CRM")
PAGE_SIZE = 25
PRIORITY_LABELS = {"urgent": _l("Urgent"), "high": _l("High"), "normal": _l("Normal")}
STATUS_LABELS = {"open": _l("Open"), "assigned": _l("Assigned"), "resolved": _l("Resolved")}
GROUP_LABELS = {"dish": _l("Dish"), "station": _l("Station"), "site": _l("Site"),
                "meal_period": _l("Meal period"), "week": _l("Week")}
FIELD_LABELS = {"user_id": _l("Staff member"), "body": _l("Note"),
                "resolution": _l("Resolution"), "follow_up_zh": _l("Follow-up (Chinese)"),
                "follow_up_en": _l("Follow-up (English)"), "start": _l("From"), "by": _l("By")}


def refusal(err: ServiceError) -> str:
    """A refusal as the page shows it: the field's label (in the page's language), why."""
    label = FIELD_LABELS.get(err.field or "")
    why = str(err)
    return gettext("Refused: %(why)s") % {"why": f"{label}: {why}" if label else why}


def tag_label(code: str, lang_en: bool) -> str:
    """A feedback tag's label in the page's language."""
    label = FEEDBACK_TAGS.get(code)
    return code if label is None else (label.en if lang_en else label.zh)


def _common() -> dict[str, Any]:
    en = get_language() == "en"
    return {"priority_labels": PRIORITY_LABELS, "status_labels": STATUS_LABELS,
            "tag_label": lambda c: tag_label(c, en), "group_labels": GROUP_LABELS,
            "name_in": (lambda zh, e: e if en else zh)}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


class CasesView(BaseView):
    """The complaints queue, one case, and the staff performance page."""

    category = CRM
    name = _l("Complaints")
    icon = "fa-solid fa-triangle-exclamation"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.crm_cases_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    @expose("/crm/cases", identity="crm-cases")
    async def queue(self, request: Request) -> Response:
        """Unresolved first, soonest due first; a late case is flagged overdue."""
        q = request.query_params
        status = q.get("status", "") if q.get("status") in svc.STATUSES else ""
        overdue = q.get("overdue") == "1"
        try:
            page = min(max(int(q.get("page", "1")), 1), 100_000)
        except ValueError:
            page = 1

        def read(s: Session) -> tuple[list[svc.CaseRow], int, tuple[int, int]]:
            rows, total = svc.list_cases(s, status=status or None, overdue_only=overdue,
                                         limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            return rows, total, svc.open_count(s)

        rows, total, (unresolved, late) = await self._db(request, read)
        return await self.templates.TemplateResponse(
            request, "crm_cases/queue.html",
            {**_common(), "rows": rows, "total": total, "page": page,
             "pages": max(1, math.ceil(total / PAGE_SIZE)), "unresolved": unresolved,
             "late": late, "filters": {"status": status, "overdue": "1" if overdue else ""}})

    @expose("/crm/cases/{case_id:int}", identity="crm-case")
    async def case(self, request: Request) -> Response:
        """One case: what the diner said, its clock, history, and the forms to handle it."""
        return await self._case(request)

    async def _case(self, request: Request, *, error: str | None = None) -> Response:
        case_id = int(request.path_params["case_id"])

        def read(s: Session) -> tuple[svc.CaseDetail | None, list[tuple[int, str]]]:
            try:
                detail = svc.case_detail(s, case_id)
            except ServiceError:
                return None, []
            staff = [(u.id or 0, u.username) for u in s.exec(
                select(User).where(col(User.active).is_(True),
                                   col(User.role).in_([r.value for r in svc.HANDLERS]))
                .order_by(col(User.username)))]
            return detail, staff

        detail, staff = await self._db(request, read)
        return await self.templates.TemplateResponse(
            request, "crm_cases/case.html",
            {**_common(), "d": detail, "staff": staff, "error": error},
            status_code=404 if detail is None else (400 if error else 200))

    @expose("/crm/cases/{case_id:int}/{action}", methods=["POST"], identity="crm-case-action")
    async def act(self, request: Request) -> Response:
        """Assign, add a note, or resolve (with an optional follow-up)."""
        case_id = int(request.path_params["case_id"])
        action = str(request.path_params["action"])
        form = await request.form()
        user = request.state.admin_user
        actor = str(user.username)

        def text(name: str) -> str:
            return str(form.get(name) or "")

        def write(s: Session) -> None:
            if action == "assign":
                try:
                    uid = int(text("user_id"))
                except ValueError as err:
                    raise InvalidInputError("choose a staff member", field="user_id") from err
                svc.assign_case(s, case_id=case_id, user_id=uid, actor=actor)
            elif action == "note":
                svc.add_note(s, case_id=case_id, body=text("body"), actor=actor)
            elif action == "resolve":
                svc.resolve_case(s, case_id=case_id, resolution=text("resolution"),
                                 follow_up_zh=text("follow_up_zh"),
                                 follow_up_en=text("follow_up_en"), actor=actor,
                                 actor_id=getattr(user, "id", None))
            else:
                raise _UnknownAction

        try:
            await self._db(request, write)
        except _UnknownAction:
            return Response(status_code=404)
        except ServiceError as err:
            return await self._case(request, error=refusal(err))
        url = request.url_for("admin:view-crm-case", case_id=case_id)
        return RedirectResponse(f"{url}?done={action}", status_code=303)

    @expose("/crm/staff", identity="crm-staff")
    async def staff(self, request: Request) -> Response:
        """Staff performance and satisfaction per dish, station, site, meal period or week."""
        q = request.query_params
        by = q.get("by", "dish") if q.get("by") in stats.GROUPS else "dish"
        start, end = _day(q.get("start", "")), _day(q.get("end", ""))
        error = None

        def read(s: Session) -> tuple[list[stats.StaffPerformance], list[stats.Satisfaction]]:
            return (stats.staff_performance(s, start=start, end=end),
                    stats.satisfaction(s, by=by, start=start, end=end))

        people: list[stats.StaffPerformance] = []
        groups: list[stats.Satisfaction] = []
        try:
            people, groups = await self._db(request, read)
        except ServiceError as err:
            error = refusal(err)
        return await self.templates.TemplateResponse(
            request, "crm_cases/staff.html",
            {**_common(), "people": people, "groups": groups, "error": error,
             "filters": {"by": by, "start": q.get("start", "")[:10],
                         "end": q.get("end", "")[:10]}, "groups_all": stats.GROUPS},
            status_code=400 if error else 200)


class _UnknownAction(Exception):
    """A POST to an action the case page does not have."""


def register_crm_cases_views(admin: Admin) -> None:
    """Add the complaints pages to the shell (mount_admin calls this)."""
    admin.admin.state.crm_cases_engine = admin.engine
    admin.add_view(CasesView)
