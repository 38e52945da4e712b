"""python -m hub.fleet: issue to a file, write the broker files, and the broker takes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from demo.broker import PrivateBroker
from hub.db import make_engine
from hub.fleet.cli import EXIT_REFUSED, main
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Site
from tests.hub.conftest import STRONG_SECRETS, make_settings
from tests.security.conftest import broker_config
from tests.security.mqtt_probe import Probe


def test_cli_issue_write_and_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path / "var"))
    for key, value in STRONG_SECRETS.items():
        monkeypatch.setenv(f"CANTEEN_{key.upper()}", value)
    engine = make_engine(make_settings(tmp_path))
    upgrade_to_head(engine)
    with Session(engine) as s:
        site = Site(code="site-1", name_zh="一食堂", name_en="Canteen 1")
        s.add(site)
        s.flush()
        assert site.id is not None
        s.add(Device(code="kiosk-1", kind=DeviceKind.KIOSK, site_id=site.id))
        s.commit()
    engine.dispose()
    secret = tmp_path / "kiosk-1.password"
    assert main(["issue", "--device", "kiosk-1", "--password-out", str(secret)]) == 0
    assert secret.stat().st_mode & 0o777 == 0o600
    password = secret.read_text().strip()
    assert password not in capsys.readouterr().out
    assert main(["issue", "--device", "no-such-kiosk"]) == EXIT_REFUSED
    out = tmp_path / "etc"
    assert main(["write-broker-files", "--out", str(out)]) == 0
    assert "kill -HUP" in capsys.readouterr().out
    with PrivateBroker(tmp_path / "broker", extra_config=broker_config(out)) as broker:
        ok = Probe(broker, "kiosk-1", password)
        bad = Probe(broker, "kiosk-1", password + "x")
        try:
            assert ok.connect()
            assert not bad.connect()
        finally:
            ok.close()
            bad.close()
