# mypy: disable-error-code="union-attr, no-untyped-def, arg-type"
"""Config validation with key paths, --validate-config, and complete Chinese catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.cli import main
from kiosk.config import ConfigError, parse_config
from kiosk.i18n import catalog_path

GOOD = """
site_id = "site-1"
device_id = "kiosk-1"
store_path = "/tmp/x/store.db"
[roles]
card_reader = "card"
[hardware.devices.card]
type = "card_rdm6300"
port = "/dev/ttyUSB0"
"""


def test_validate_config_accepts_the_documented_shape(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(GOOD)
    assert main(["--config", str(cfg), "--validate-config"]) == 0
    assert "OK" in capsys.readouterr().out


def test_validate_config_reports_each_error_with_its_key_path(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(GOOD.replace('port = "/dev/ttyUSB0"', 'prot = "/dev/ttyUSB0"')
                   + 'idle_seconds = 1\n'.join(["", ""]) + "\n")
    cfg.write_text(cfg.read_text().replace('device_id = "kiosk-1"',
                                           'device_id = "kiosk-1"\nidle_seconds = 1'))
    assert main(["--config", str(cfg), "--validate-config"]) == 2
    err = capsys.readouterr().err
    assert "idle_seconds:" in err
    assert "hardware.devices.card.card_rdm6300.port: Field required" in err
    assert "hardware.devices.card.card_rdm6300.prot: Extra inputs are not permitted" in err


def test_roles_must_name_a_device_of_the_right_type() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"site_id": "s", "device_id": "k", "store_path": "/tmp/s.db",
                      "roles": {"scale": "card"},
                      "hardware": {"devices": {"card": {"type": "card_line", "port": "/x"}}}})
    assert any("roles.scale" in p for p in info.value.problems)


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_every_kiosk_message_is_translated(lang: str) -> None:
    with catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert not missing
