"""canteen-hub CLI: --validate-config names each bad key; migrate; create-admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.cli import main
from hub.db import make_engine
from hub.migrate import head_revision
from hub.models import User
from hub.security import verify_password
from tests.hub.conftest import STRONG_SECRETS


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Strong secrets and a data dir in the environment; cwd without a .env."""
    monkeypatch.chdir(tmp_path)
    for key, value in STRONG_SECRETS.items():
        monkeypatch.setenv(f"CANTEEN_{key.upper()}", value)
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_validate_config_reports_each_bad_key(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANTEEN_SECRET_KEY", "short")
    monkeypatch.setenv("CANTEEN_PORT", "99999")
    assert main(["--validate-config"]) == 2
    err = capsys.readouterr().err
    assert "CANTEEN_SECRET_KEY" in err and "CANTEEN_PORT" in err
    assert "CANTEEN_LOOKUP_HASH_KEY" not in err


def test_validate_config_ok(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--validate-config"]) == 0
    assert "config OK" in capsys.readouterr().out


def test_migrate_then_create_admin(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert main(["create-admin", "--username", "root", "--password", "s3cret-admin-pw"]) == 0
    from hub.settings import Settings

    engine = make_engine(Settings())
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "root")).one()
        assert user.role == "admin"
        assert verify_password("s3cret-admin-pw", user.password_hash)
    engine.dispose()


def test_create_admin_refuses_existing_without_reset_and_weak_password(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-admin", "--username", "root", "--password", "s3cret-admin-pw"]) == 0
    with pytest.raises(SystemExit, match="--reset"):
        main(["create-admin", "--username", "root", "--password", "another-pw-123"])
    assert main(["create-admin", "--username", "x", "--password", "short"]) == 3
    assert "password" in capsys.readouterr().err
    assert (
        main(["create-admin", "--username", "root", "--password", "another-pw-123", "--reset"]) == 0
    )
    from hub.settings import Settings

    engine = make_engine(Settings())
    with Session(engine) as session:
        users = session.exec(select(User)).all()
        assert [u.username for u in users] == ["root"]
        assert verify_password("another-pw-123", users[0].password_hash)
    engine.dispose()
