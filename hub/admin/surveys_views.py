"""Admin pages of dish votes and short surveys: the list with a form to make one, and a
survey's results (options and stars counted, the newest texts), with "close now".

Every change goes through hub.surveys.service (the same functions as /api/v1/surveys), so
a refusal here is the API's refusal, shown with the field it concerns; nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
from pydantic import ValidationError
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.admin.crm_cases_views import CRM
from hub.errors import ServiceError
from hub.i18n import get_language, gettext
from hub.i18n import lazy_gettext as _l
from hub.models.dishes import Dish
from hub.models.sites import Site
from hub.surveys import service as svc
from hub.surveys.definition import SurveyIn

T = TypeVar("T")
QUESTION_SLOTS = 3
KIND_LABELS = {"dish_vote": _l("Dish vote"), "survey": _l("Short survey")}
# The reasons SurveyIn gives (hub.surveys.definition), as the page shows them.
REASONS = {
    "a choice needs at least two options": _l("a choice needs at least two options"),
    "option codes repeat": _l("option codes repeat"),
    "more picks allowed than there are options": _l("more picks allowed than there are options"),
    "only a choice question has options": _l("only a choice question has options"),
    "a survey needs at least one question": _l("a survey needs at least one question"),
    "a dish vote needs at least two different dishes":
        _l("a dish vote needs at least two different dishes"),
}
FIELDS = {"title_zh": _l("Title (Chinese)"), "title_en": _l("Title (English)"),
          "questions": _l("Question"), "dishes": _l("Dishes"), "max_picks": _l("Picks per member")}
QUESTION_KIND_LABELS = {"rating": _l("Stars (1-5)"), "choice": _l("Choice"),
                        "text": _l("Short text")}


class _Refused(Exception):
    """The form could not be read into a survey (the message names the field)."""


def _survey_from_form(form: FormData, now: datetime) -> SurveyIn:
    """The form as the API's input model; _Refused names what is wrong."""
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    try:
        days = int(text("days") or "7")
    except ValueError as err:
        raise _Refused(gettext("Open for: a whole number of days")) from err
    if not 1 <= days <= 90:
        raise _Refused(gettext("Open for: 1 to 90 days"))
    kind = text("kind")
    questions: list[dict[str, Any]] = []
    for i in range(1, QUESTION_SLOTS + 1):
        zh, en = text(f"q{i}_zh"), text(f"q{i}_en")
        if not zh and not en:
            continue
        qkind = text(f"q{i}_kind") or "rating"
        choices: list[dict[str, str]] = []
        for line in text(f"q{i}_choices").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if line.strip():
                code = re.sub(r"[^a-z0-9_-]", "", parts[0].lower())[:32] or f"o{len(choices) + 1}"
                choices.append({"code": code, "zh": parts[1] if len(parts) > 1 else parts[0],
                                "en": parts[2] if len(parts) > 2 else parts[-1]})
        questions.append({"code": f"q{i}", "kind": qkind, "text_zh": zh, "text_en": en,
                          "choices": choices, "required": form.get(f"q{i}_required") == "on"})
    raw = {"kind": kind, "title_zh": text("title_zh"), "title_en": text("title_en"),
           "site_id": int(text("site_id")) if text("site_id").isdigit() else None,
           "opens_at": now, "closes_at": now + timedelta(days=days),
           "dishes": [str(d) for d in form.getlist("dishes")] if kind == "dish_vote" else [],
           "max_picks": int(text("max_picks")) if text("max_picks").isdigit() else 3,
           "questions": questions if kind == "survey" else []}
    try:
        return SurveyIn.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        cause = str(first.get("ctx", {}).get("error", first["msg"]))
        why = str(REASONS.get(cause, cause))
        field = str(first["loc"][0]) if first["loc"] else ""
        if field in FIELDS:
            label = str(FIELDS[field])
            if field == "questions" and len(first["loc"]) > 1:
                label = f"{label} {int(first['loc'][1]) + 1}"  # as the form numbers them
            why = f"{label}: {why}"
        raise _Refused(why) from err


class SurveysView(BaseView):
    """Dish votes and short surveys: list, make, results, close."""

    category = CRM
    name = _l("Surveys")
    icon = "fa-solid fa-square-poll-vertical"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.surveys_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    @expose("/surveys", identity="surveys", methods=["GET", "POST"])
    async def surveys(self, request: Request) -> Response:
        """The list, newest first, and the form; a POST makes a survey."""
        error = None
        form: FormData | None = None
        if request.method == "POST":
            form = await request.form()
            actor = str(request.state.admin_user.username)
            try:
                data = _survey_from_form(form, datetime.now(UTC))
                made = await self._db(request, lambda s: svc.create_survey(s, data, actor=actor))
            except _Refused as err:
                error = gettext("Refused: %(why)s") % {"why": str(err)}
            except ServiceError as err:
                error = gettext("Refused: %(why)s") % {
                    "why": f"{err.field}: {err}" if err.field else str(err)}
            else:
                url = request.url_for("admin:view-survey", survey_id=made.id)
                return RedirectResponse(str(url), status_code=303)

        def read(s: Session) -> tuple[list[Any], list[Dish], list[Site]]:
            rows, _ = svc.list_surveys(s, limit=100)
            dishes = list(s.exec(select(Dish).where(col(Dish.active).is_(True))
                                 .order_by(col(Dish.category), col(Dish.code))))
            sites = list(s.exec(select(Site).order_by(col(Site.code))))
            return rows, dishes, sites

        rows, dishes, sites = await self._db(request, read)
        now = datetime.now(UTC)
        return await self.templates.TemplateResponse(
            request, "surveys/list.html",
            {"lang_en": get_language() == "en", "rows": rows, "dishes": dishes, "sites": sites,
             "error": error,
             "form": form or {}, "chosen": set(form.getlist("dishes")) if form else set(),
             "is_open": lambda s: svc.is_open(s, now), "kind_labels": KIND_LABELS,
             "question_kind_labels": QUESTION_KIND_LABELS, "slots": range(1, QUESTION_SLOTS + 1)},
            status_code=400 if error else 200)

    @expose("/surveys/{survey_id:int}", identity="survey", methods=["GET", "POST"])
    async def survey(self, request: Request) -> Response:
        """One survey's results; a POST closes it now."""
        survey_id = int(request.path_params["survey_id"])
        error = None
        if request.method == "POST":
            actor = str(request.state.admin_user.username)
            try:
                await self._db(request, lambda s: svc.close_survey(s, survey_id, actor=actor))
            except ServiceError as err:
                error = gettext("Refused: %(why)s") % {"why": str(err)}
            else:
                url = request.url_for("admin:view-survey", survey_id=survey_id)
                return RedirectResponse(f"{url}?done=close", status_code=303)

        def read(s: Session) -> Any:
            try:
                return svc.results(s, survey_id)
            except ServiceError:
                return None

        found = await self._db(request, read)
        if found is None:
            return Response(gettext("Not found"), status_code=404)
        survey, responses, questions = found
        return await self.templates.TemplateResponse(
            request, "surveys/results.html",
            {"lang_en": get_language() == "en", "s": survey, "responses": responses,
             "questions": questions, "error": error,
             "open": svc.is_open(survey, datetime.now(UTC)), "kind_labels": KIND_LABELS},
            status_code=400 if error else 200)


def register_surveys_views(admin: Admin) -> None:
    """Add the surveys pages to the shell (mount_admin calls this)."""
    admin.admin.state.surveys_engine = admin.engine
    admin.add_view(SurveysView)
