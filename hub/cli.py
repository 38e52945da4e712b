"""`canteen-hub`: serve, migrate, create-admin, seed, jobs, members, --validate-config, and the
domain commands handed over to their own modules (fleet, crm, recommend, forecast, supply, face)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from importlib import import_module
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, select

from hub.accounts.jobs import JOBS
from hub.analytics.monthly import JOB as MONTHLY_REPORTS
from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.db_types import utcnow
from hub.migrate import (
    NOT_MIGRATED,
    SchemaTooNewError,
    is_migrated,
    upgrade_to_head,
)
from hub.models.users import Role, User, UserCreate, UserUpdate
from hub.services.users import create_user, update_user
from hub.settings import Settings

log = logging.getLogger(__name__)

NOTIFY_JOB = "notify"  # `canteen-hub jobs notify` = `canteen-hub notify run` (its timer)

EXIT_CONFIG = 2
EXIT_REFUSED = 3

# Subcommands whose own module parses the rest of the command line: `canteen-hub NAME ...`
# runs `main(argv_after_NAME)` of the module.
HANDED_OVER = {
    "fleet": "hub.fleet.cli",
    "crm": "hub.crm.cli",
    "recommend": "hub.recommend.cli",
    "forecast": "hub.supply.forecast_cli",
    "supply": "hub.supply.cli",
    "face": "hub.face.cli",
    "notify": "hub.notify.cli",
    "analytics": "hub.analytics.cli",
}
HANDED_OVER_HELP = {
    "fleet": "broker credentials and files, devices (python -m hub.fleet)",
    "crm": "member scores, tags and segments (crm score works offline on a CSV)",
    "recommend": "train and evaluate the dish recommender (evaluate works offline on CSVs)",
    "forecast": "demand forecasts (forecast evaluate works offline on a CSV)",
    "supply": "inventory, recipes and purchasing",
    "face": "face-ID templates",
    "notify": "member notifications: queue the daily ones, deliver the outbox",
    "analytics": "sales rollups of the dashboard (analytics rebuild-rollups)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canteen-hub", description="canteen-edge hub server")
    parser.add_argument(
        "--validate-config", action="store_true", help="check settings, report each error, exit"
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the API (migrates the schema first)")
    serve.add_argument("--host", default=None, help="bind address (default CANTEEN_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default CANTEEN_PORT)")
    serve.add_argument(
        "--fd", type=int, default=None,
        help="serve on this inherited, already listening socket (a supervisor bound it)",
    )
    sub.add_parser("migrate", help="upgrade the database schema to this hub's head")
    admin = sub.add_parser("create-admin", help="create the admin user (or reset its password)")
    admin.add_argument("--username", default=os.environ.get("CANTEEN_ADMIN_USERNAME", "admin"))
    admin.add_argument(
        "--password", default=None, help="default CANTEEN_ADMIN_PASSWORD, else asked for"
    )
    admin.add_argument("--reset", action="store_true", help="set a new password if the user exists")
    seed = sub.add_parser("seed", help="load the demo canteens, dishes, menus and members")
    seed.add_argument("--seed", type=int, default=42, help="random seed of the demo data")
    jobs = sub.add_parser("jobs", help="run a scheduled job (idempotent per period)")
    jobs.add_argument("job", choices=(*JOBS, MONTHLY_REPORTS, NOTIFY_JOB))
    jobs.add_argument("--at", type=_aware, default=None, help="run as of this time (default now)")
    jobs.add_argument("--out", type=Path, default=None,
                      help=f"{MONTHLY_REPORTS}: the folder (default DATA_DIR/reports)")
    jobs.add_argument("--month", default=None,
                      help=f"{MONTHLY_REPORTS}: YYYY-MM (default the month before --at)")
    members = sub.add_parser("members", help="import or export members (CSV or XLSX)")
    msub = members.add_subparsers(dest="members_command", required=True)
    imp = msub.add_parser("import", help="import a member file: all rows or none")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    imp.add_argument("--actor", default=None, help="who imports (audit log; default cli:<user>)")
    exp = msub.add_parser("export", help="write active members to FILE (.csv or .xlsx)")
    exp.add_argument("file", type=Path)
    # Listed for --help only: main() hands these over before argparse sees them.
    for name, what in HANDED_OVER_HELP.items():
        handed = sub.add_parser(name, help=what, add_help=False)
        handed.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _aware(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from err
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("--at needs a time zone, e.g. 2025-03-03T00:05:00+08:00")
    return value


def _jobs(settings: Settings, job: str, at: datetime | None,
          args: argparse.Namespace | None = None) -> int:
    from hub.accounts.jobs import run_job

    if job == NOTIFY_JOB:
        from hub.notify.cli import run

        return run("run", at=at)
    engine = make_engine(settings)
    try:
        if not is_migrated(engine, schema=settings.db_schema):
            print(f"refused: {NOT_MIGRATED}", file=sys.stderr)
            return EXIT_REFUSED
        with Session(engine) as session:
            if job == MONTHLY_REPORTS:
                return _monthly_reports(session, settings, at or utcnow(), args)
            print(f"{job}: {run_job(session, job=job, at=at or utcnow())}")
    finally:
        engine.dispose()
    return 0


def _monthly_reports(session: Session, settings: Settings, at: datetime,
                     args: argparse.Namespace | None) -> int:
    from hub.analytics.inputs import ReportInputError
    from hub.analytics.monthly import write_monthly_reports

    folder = (args.out if args is not None and args.out else None) or settings.data_dir / "reports"
    month = args.month if args is not None else None
    try:
        done = write_monthly_reports(session, folder=folder, at=at, month=month)
    except ReportInputError as err:
        print(f"refused: {err}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{MONTHLY_REPORTS} {done.month}: {len(done.files)} files in {done.folder}")
    for path in done.files:
        print(f"  {path.name}")
    return 0


def _members(settings: Settings, args: argparse.Namespace) -> int:
    from hub.members_io.cli import export_members, import_members

    engine = make_engine(settings)
    try:
        if not is_migrated(engine, schema=settings.db_schema):
            print(f"refused: {NOT_MIGRATED}", file=sys.stderr)
            return EXIT_REFUSED
        cipher = FieldCipher.from_settings(settings)
        if args.members_command == "export":
            return export_members(engine, cipher, args.file)
        actor = args.actor or f"cli:{getpass.getuser()}"
        return import_members(engine, cipher, args.file, dry_run=args.dry_run, actor=actor)
    finally:
        engine.dispose()


def _load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as err:
        _report_config_errors(err)
        return None


def _report_config_errors(err: ValidationError) -> None:
    for e in err.errors():
        key = "_".join(str(p) for p in e["loc"]).upper()
        name = f"CANTEEN_{key}" if key else "(settings)"
        print(f"config error: {name}: {e['msg']}", file=sys.stderr)


CLI_ACTOR = "cli"


def _ask_password() -> str:
    first = getpass.getpass("admin password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("passwords differ; nothing changed")
    return first


def create_admin(*, settings: Settings, username: str, password: str, reset: bool = False) -> str:
    """Create the admin user (or with reset=True set its password); returns what was done.

    Through the users service, so the audit log has it (actor ``cli``).
    """
    data = UserCreate(username=username, password=password, role=Role.ADMIN)
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=settings.db_schema)
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == data.username)).first()
            if user is not None and not reset:
                raise SystemExit(f"user {username!r} exists; use --reset to set a new password")
            if user is None:
                create_user(session=session, data=data, actor=CLI_ACTOR)
                return "created"
            assert user.id is not None
            change = UserUpdate(role=Role.ADMIN, active=True, password=data.password)
            update_user(session=session, user_id=user.id, data=change, actor=CLI_ACTOR)
        return "reset"
    finally:
        engine.dispose()


def _serve(settings: Settings, host: str | None, port: int | None, fd: int | None = None) -> int:
    import uvicorn

    from hub.app import create_app

    app = create_app(settings)
    if fd is None:
        uvicorn.run(app, host=host or settings.host, port=port or settings.port)
        return 0
    # A socket the parent bound and keeps (the demo supervisor, or systemd socket
    # activation): a restarted hub serves on the same port, and requests made while it
    # restarts wait in the socket's backlog instead of being refused.
    import socket

    sock = socket.socket(fileno=fd)
    uvicorn.Server(uvicorn.Config(app)).run(sockets=[sock])
    return 0


def _seed(settings: Settings, seed: int) -> int:
    from hub.seed import seed_demo

    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=settings.db_schema)
        with Session(engine) as session:
            summary = seed_demo(session, seed=seed, cipher=FieldCipher.from_settings(settings))
        print(f"seed: {summary}")
    finally:
        engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in HANDED_OVER:
        # Handed over whole (argparse would eat their --help); the offline ones (crm score,
        # recommend evaluate, forecast evaluate) need no settings and no database.
        domain_main = import_module(HANDED_OVER[argv[0]]).main
        return int(domain_main(argv[1:]))
    args = _parser().parse_args(argv)
    settings = _load_settings()
    if settings is None:
        return EXIT_CONFIG
    if args.validate_config:
        print(f"config OK: database {settings.effective_database_url.split('@')[-1]}")
        return 0
    try:
        if args.command == "serve":
            return _serve(settings, args.host, args.port, args.fd)
        if args.command == "migrate":
            engine = make_engine(settings)
            try:
                print(f"schema at revision {upgrade_to_head(engine, schema=settings.db_schema)}")
            finally:
                engine.dispose()
            return 0
        if args.command == "create-admin":
            password = args.password or os.environ.get("CANTEEN_ADMIN_PASSWORD") or _ask_password()
            try:
                action = create_admin(
                    settings=settings, username=args.username, password=password, reset=args.reset
                )
            except ValidationError as err:
                for e in err.errors():
                    print(f"refused: {e['loc'][0]}: {e['msg']}", file=sys.stderr)
                return EXIT_REFUSED
            print(f"admin {args.username!r} {action}")
            return 0
        if args.command == "seed":
            return _seed(settings, args.seed)
        if args.command == "jobs":
            return _jobs(settings, args.job, args.at, args)
        if args.command == "members":
            return _members(settings, args)
    except SchemaTooNewError as err:
        print(f"refused: {err}", file=sys.stderr)
        return EXIT_REFUSED
    _parser().print_help()
    return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
