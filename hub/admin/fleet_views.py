"""Fleet pages in the admin shell: overview per site with state filters, one device (heartbeat
chart, commands and their results), and staged rollouts (create, pause, resume, roll back).

Pages parse the form or query and render; every figure and action goes through hub.fleet.
Admins and managers see the pages; only admins send commands or touch rollouts (as the API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import anyio
from markupsafe import Markup, escape
from sqladmin import Admin, BaseView, expose
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.admin.access import user_role
from hub.admin.fleet_claim_views import FleetClaimView
from hub.db_types import utcnow
from hub.downlinks.mqtt import BrokerTarget, PublishFailed
from hub.errors import ServiceError
from hub.fleet import alerts, commands, health, rollouts
from hub.fleet.monitor import ExpiringPublisher
from hub.fleet.overview import DeviceRow, device_rows
from hub.i18n import gettext
from hub.i18n import lazy_gettext as _l
from hub.models.bounds import MAX_ID
from hub.models.fleet_health import Rollout
from hub.models.sites import Site
from hub.models.users import Role
from hub.settings import Settings
from protocol.payloads.command import COMMAND_NAMES

logger = logging.getLogger(__name__)
T = TypeVar("T")

FLEET = _l("Fleet")
STATES = ("online", "offline", "unknown", "alert")
STATE_LABELS = {"online": _l("Online"), "offline": _l("Offline"), "unknown": _l("Not seen yet"),
                "alert": _l("With alerts")}
ALERT_LABELS = {"offline": _l("Offline in opening hours"),
                "paper_out": _l("Printer out of paper"),
                "outbox_growing": _l("Outbox growing"), "clock_skew": _l("Clock off")}
COMMAND_LABELS = {"restart_app": _l("Restart app"),
                  "reprint_last_receipt": _l("Reprint last receipt"),
                  "print_test_page": _l("Print test page"),
                  "refresh_catalog": _l("Refresh catalogue"),
                  "open_diagnostics": _l("Open diagnostics"), "upload_logs": _l("Upload logs")}
COMMAND_STATUS = {"queued": _l("Queued"), "sent": _l("Sent"), "ok": _l("Done"),
                  "failed": _l("Failed"), "refused": _l("Refused"), "expired": _l("Expired")}
PRINTER_LABELS = {"ok": _l("OK"), "paper_out": _l("Out of paper"),
                  "paper_near_end": _l("Paper low"), "cover_open": _l("Cover open"),
                  "offline": _l("Offline"), "error": _l("Error"), "absent": _l("None")}
ROLLOUT_STATUS = {"running": _l("Running"), "paused": _l("Paused"), "completed": _l("Completed"),
                  "rolled_back": _l("Rolled back")}
TARGET_STATUS = {"pending": _l("Waiting"), "applying": _l("Sent, waiting for report"),
                 "ok": _l("Reported"), "failed": _l("Failed"), "rolled_back": _l("Rolled back")}
LAYOUTS = ("grid", "list")
CHART_HOURS = 6


def _int(text: object, low: int, high: int) -> int | None:
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def heartbeat_chart(buckets: Sequence[dict[str, Any]], *, since: datetime, until: datetime,
                    title: str, queue_label: str, beats_label: str) -> Markup:
    """A server-rendered SVG: outbox depth (max per 5 min, bars) and heartbeats (line)."""
    w, h, pad_l, pad_b, pad_t = 720, 200, 40, 24, 12
    span = max((until - since).total_seconds(), 1.0)
    plot_w, plot_h = w - pad_l - 8, h - pad_b - pad_t
    qmax = max([b["queue_max"] for b in buckets] + [1])
    bmax = max([b["beats"] for b in buckets] + [1])
    bar_w = max(plot_w * health.BUCKET_S / span - 1, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
             f'class="w-100" data-testid="heartbeat-chart"><title>{escape(title)}</title>',
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{w - 8}" y2="{pad_t + plot_h}" '
             'stroke="#ccc"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 8}" font-size="10" text-anchor="end" '
             f'fill="#206bc4">{qmax}</text>',
             f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" font-size="10" text-anchor="end" '
             'fill="#666">0</text>']
    points = []
    for b in buckets:
        start = health.as_utc(b["bucket_start"])
        assert start is not None
        x = pad_l + plot_w * (start - since).total_seconds() / span
        bh = plot_h * b["queue_max"] / qmax
        parts.append(f'<rect x="{x:.1f}" y="{pad_t + plot_h - bh:.1f}" width="{bar_w:.1f}" '
                     f'height="{bh:.1f}" fill="#206bc4" opacity="0.55"><title>'
                     f'{start:%H:%M} UTC · {escape(queue_label)} {b["queue_max"]}</title></rect>')
        y = pad_t + plot_h - plot_h * b["beats"] / bmax
        points.append(f"{x + bar_w / 2:.1f},{y:.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#2fb344" '
                     'stroke-width="2"/>')
    for i in range(CHART_HOURS + 1):
        at = since + (until - since) * i / CHART_HOURS
        x = pad_l + plot_w * i / CHART_HOURS
        parts.append(f'<text x="{x:.1f}" y="{h - 6}" font-size="10" text-anchor="middle" '
                     f'fill="#666">{at:%H:%M}</text>')
    parts.append(f'<text x="{w - 8}" y="{pad_t + 8}" font-size="10" text-anchor="end">'
                 f'<tspan fill="#206bc4">■ {escape(queue_label)}</tspan>  '
                 f'<tspan fill="#2fb344">— {escape(beats_label)}</tspan></text></svg>')
    return Markup("".join(parts))


def _sites(s: Session) -> list[tuple[int, str]]:
    return [(i, c) for i, c in s.exec(select(Site.id, Site.code).order_by(col(Site.code)))
            if i is not None]


def _common() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "alert_labels": ALERT_LABELS,
            "command_labels": COMMAND_LABELS, "command_status": COMMAND_STATUS,
            "printer_labels": PRINTER_LABELS, "rollout_status": ROLLOUT_STATUS,
            "target_status": TARGET_STATUS}


class FleetView(BaseView):
    """The fleet pages (one view, several routes)."""

    category = FLEET
    name = _l("Fleet overview")
    icon = "fa-solid fa-tablet-screen-button"

    async def _db(self, request: Request, work: Callable[[Session], T]) -> T:
        engine: Engine = request.app.state.fleet_engine

        def run() -> T:
            with Session(engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)

    @staticmethod
    def _admin(request: Request) -> bool:
        return user_role(request) is Role.ADMIN

    @staticmethod
    def _target(request: Request) -> BrokerTarget:
        return BrokerTarget.from_settings(request.app.state.fleet_settings)

    # ---- overview -------------------------------------------------------------------

    @expose("/fleet", identity="fleet")
    async def overview(self, request: Request) -> Response:
        """Every active device by site; filter by site and state."""
        site = request.query_params.get("site", "")
        state = request.query_params.get("state", "")
        state = state if state in STATES else ""

        def read(s: Session) -> tuple[list[DeviceRow], list[tuple[int, str]], dict[str, int]]:
            sites = _sites(s)
            site_id = next((i for i, c in sites if c == site), None)
            every = device_rows(s, site_id=site_id)
            counts = {k: sum(r.presence == k for r in every) for k in ("online", "offline",
                                                                        "unknown")}
            counts["alert"] = sum(bool(r.alerts) for r in every)
            rows = device_rows(s, site_id=site_id, state=state or None)
            return rows, sites, counts

        rows, sites, counts = await self._db(request, read)
        by_site: dict[str, list[DeviceRow]] = {}
        for r in rows:
            by_site.setdefault(r.site_code, []).append(r)
        return await self.templates.TemplateResponse(
            request, "fleet/overview.html",
            {**_common(), "by_site": by_site, "sites": [c for _, c in sites], "counts": counts,
             "filters": {"site": site if site in {c for _, c in sites} else "", "state": state},
             "states": STATES, "now": utcnow()})

    # ---- one device -----------------------------------------------------------------

    @expose("/fleet/devices/{device_id:int}", identity="fleet-device")
    async def device(self, request: Request) -> Response:
        """One device: figures, alerts, heartbeat chart, commands and their results."""
        return await self._device(request)

    async def _device(self, request: Request, *, error: str | None = None,
                      sent: str | None = None) -> Response:
        device_id = int(request.path_params["device_id"])
        if not 1 <= device_id <= MAX_ID:
            return Response(status_code=404)
        until = utcnow()
        since = until - timedelta(hours=CHART_HOURS)

        def read(s: Session) -> dict[str, Any] | None:
            rows = device_rows(s, device_id=device_id)
            if not rows:
                return None
            conn = s.connection()
            return {"row": rows[0],
                    "alerts": alerts.open_alerts(conn, device_id=device_id),
                    "buckets": health.buckets(conn, device_id=device_id, since=since),
                    "commands": commands.list_commands(s, device_id=device_id, limit=15)}

        found = await self._db(request, read)
        if found is None:
            return await self.templates.TemplateResponse(
                request, "fleet/device.html", {**_common(), "found": None}, status_code=404)
        chart = heartbeat_chart(found["buckets"], since=since, until=until,
                                title=gettext("Heartbeats over the last %(n)d hours") % {
                                    "n": CHART_HOURS},
                                queue_label=gettext("Outbox (max)"),
                                beats_label=gettext("Heartbeats"))
        return await self.templates.TemplateResponse(
            request, "fleet/device.html",
            {**_common(), "found": found, "chart": chart, "names": COMMAND_NAMES,
             "can_act": self._admin(request), "error": error, "sent": sent},
            status_code=400 if error else 200)

    @expose("/fleet/devices/{device_id:int}/commands", methods=["POST"],
            identity="fleet-device-command")
    async def command(self, request: Request) -> Response:
        """Send one command to the device (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        device_id = int(request.path_params["device_id"])
        form = await request.form()
        name = str(form.get("name") or "")
        if name not in COMMAND_NAMES:
            return await self._device(request, error=gettext("Unknown command."))
        user = str(request.state.admin_user.username)
        engine: Engine = request.app.state.fleet_engine
        target = self._target(request)

        def write() -> str:
            with Session(engine) as s:
                cmd = commands.create_command(s, device_id=device_id, name=name,
                                              requested_by=user)
                pk = cmd.id
            assert pk is not None
            try:
                with ExpiringPublisher(target) as pub:
                    return commands.send_command(engine, command_pk=pk, publisher=pub).status
            except PublishFailed as err:
                logger.info("command %s queued, broker away: %s", pk, err)
                return "queued"

        try:
            status = await anyio.to_thread.run_sync(write)
        except ServiceError as err:
            why = gettext("Refused: %(why)s") % {"why": str(err)}
            return await self._device(request, error=why)
        url = request.url_for("admin:view-fleet-device", device_id=device_id)
        return RedirectResponse(f"{url}?sent={status}", status_code=303)

    # ---- rollouts -------------------------------------------------------------------

    @expose("/fleet/rollouts", identity="fleet-rollouts")
    async def rollouts_page(self, request: Request) -> Response:
        """Rollouts, newest first, with their devices; the form to start one."""
        return await self._rollouts(request)

    async def _rollouts(self, request: Request, *, error: str | None = None,
                        status_code: int = 200) -> Response:
        def read(s: Session) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
            ids = s.exec(select(Rollout.id).order_by(col(Rollout.id).desc()).limit(10)).all()
            sites = _sites(s)
            return [rollouts.progress(s, i) for i in ids if i is not None], sites

        found, sites = await self._db(request, read)
        return await self.templates.TemplateResponse(
            request, "fleet/rollouts.html",
            {**_common(), "rollouts": found, "sites": sites, "kinds": sorted(rollouts.KINDS),
             "layouts": LAYOUTS, "can_act": self._admin(request), "error": error},
            status_code=status_code)

    @expose("/fleet/rollouts/new", methods=["POST"], identity="fleet-rollout-new")
    async def new_rollout(self, request: Request) -> Response:
        """Start a config or catalogue rollout from the form (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        form = await request.form()
        kind = str(form.get("kind") or "config")
        changes: dict[str, Any] = {}
        idle = str(form.get("idle_reset_s") or "").strip()
        if idle:
            value = _int(idle, 10, 3600)
            if value is None:
                return await self._rollouts(request, status_code=400, error=gettext(
                    "Idle reset must be a whole number of seconds from 10 to 3600."))
            changes["idle_reset_s"] = value
        langs = [str(v) for v in form.getlist("languages")]
        if langs:
            changes["languages"] = langs
        if form.get("layout") in LAYOUTS:
            changes["layout"] = str(form.get("layout"))
        if form.get("large_text") == "on":
            changes["large_text"] = True
        first_site = _int(form.get("first_site") or "", 1, MAX_ID)
        percent = _int(form.get("first_percent") or "", 1, 100)
        timeout = _int(form.get("step_timeout_s") or "600", 5, 86_400)
        threshold = _int(form.get("max_failure_pct") or "20", 0, 100)
        if timeout is None or threshold is None:
            return await self._rollouts(request, status_code=400, error=gettext(
                "Step timeout (5-86400 s) and failure threshold (0-100 %) must be whole numbers."))
        user = str(request.state.admin_user.username)

        def write(s: Session) -> None:
            rollouts.create_rollout(
                s, kind=kind, spec={"changes": changes} if kind == "config" else {},
                name=str(form.get("name") or "")[:120], first_site_id=first_site,
                first_percent=None if first_site else percent, step_timeout_s=timeout,
                max_failure_pct=threshold, created_by=user)

        try:
            await self._db(request, write)
        except ServiceError as err:
            return await self._rollouts(request, status_code=400,
                                        error=gettext("Refused: %(why)s") % {"why": str(err)})
        return RedirectResponse(request.url_for("admin:view-fleet-rollouts"), status_code=303)

    @expose("/fleet/rollouts/{rollout_id:int}/{action}", methods=["POST"],
            identity="fleet-rollout-action")
    async def rollout_action(self, request: Request) -> Response:
        """Pause, resume or roll back (admins only)."""
        if not self._admin(request):
            return Response(status_code=403)
        rollout_id = int(request.path_params["rollout_id"])
        action = str(request.path_params["action"])
        engine: Engine = request.app.state.fleet_engine
        target = self._target(request)

        def act() -> None:
            if action == "rollback":
                with ExpiringPublisher(target) as pub:
                    rollouts.rollback(engine, pub, rollout_id=rollout_id)
                return
            with Session(engine) as s:
                if action == "pause":
                    rollouts.pause(s, rollout_id=rollout_id)
                elif action == "resume":
                    rollouts.resume(s, rollout_id=rollout_id)
                else:
                    raise _UnknownAction

        try:
            await anyio.to_thread.run_sync(act)
        except _UnknownAction:
            return Response(status_code=404)
        except (ServiceError, PublishFailed) as err:
            return await self._rollouts(request, status_code=400,
                                        error=gettext("Refused: %(why)s") % {"why": str(err)})
        return RedirectResponse(request.url_for("admin:view-fleet-rollouts"), status_code=303)


class _UnknownAction(Exception):
    pass


def register_fleet_views(admin: Admin, settings: Settings) -> None:
    """Add the fleet pages to the shell (mount_admin calls this)."""
    admin.admin.state.fleet_engine = admin.engine
    admin.admin.state.fleet_settings = settings  # the broker the pages send commands through
    admin.add_view(FleetView)
    admin.add_view(FleetClaimView)
