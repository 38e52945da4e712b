"""KitchenConfig reaches the broker through the agent's BrokerConfig; old files still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.config import BrokerConfig
from edge_agent.errors import ConfigError
from edge_agent.kitchen.config import load_kitchen_config
from edge_agent.kitchen.link import KitchenLink

HEAD = 'site_id = "site-1"\ndevice_id = "kds-1"\nstore_path = "kds-1.db"\n'


def write(tmp_path: Path, text: str) -> Path:
    """A kitchen config file."""
    path = tmp_path / "kds.toml"
    path.write_text(HEAD + text)
    return path


def test_broker_section_is_the_agents_broker_config_with_kitchen_timings(tmp_path: Path) -> None:
    secret = tmp_path / "broker.password"
    secret.write_text("s3cret\n")
    cfg = load_kitchen_config(write(tmp_path, (
        f'[broker]\nhost = "site-broker.local"\nport = 8883\nusername = "kds-1"\n'
        f'password_file = "{secret}"\ntls_ca_file = "/etc/canteen/site-ca.crt"\n')))
    assert isinstance(cfg.broker, BrokerConfig)
    assert (cfg.broker.host, cfg.broker.port, cfg.broker.username) == (
        "site-broker.local", 8883, "kds-1")
    assert cfg.broker.keepalive_s == 2  # a lost broker shows within seconds
    assert cfg.broker.session_expiry_s == 24 * 3600
    settings = KitchenLink(cfg, lambda: None).session_settings()  # type: ignore[arg-type,return-value]
    # The kitchen link logs in as its own broker user (client id bound to the username by
    # the dynamic security plugin), with the device's password.
    assert (settings.client_id, settings.username, settings.password) == (
        "kds-1-kitchen", "kds-1-kitchen", "s3cret")
    assert settings.tls_ca_file == Path("/etc/canteen/site-ca.crt")
    assert settings.manual_ack and settings.keepalive_s == 2


def test_defaults_without_a_broker_section(tmp_path: Path) -> None:
    cfg = load_kitchen_config(write(tmp_path, ""))
    assert (cfg.broker.host, cfg.broker.port, cfg.broker.username) == ("127.0.0.1", 1883, None)
    assert KitchenLink(cfg, lambda: None).session_settings().password is None  # type: ignore[arg-type,return-value]


def test_an_old_file_with_top_level_host_and_port_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = load_kitchen_config(write(tmp_path, (
        'broker_host = "10.0.0.5"\nbroker_port = 1884\nkeepalive_s = 3\n'
        "session_expiry_s = 3600\n")))
    assert (cfg.broker.host, cfg.broker.port) == ("10.0.0.5", 1884)
    assert (cfg.broker.keepalive_s, cfg.broker.session_expiry_s) == (3, 3600)
    assert "broker_port -> broker.port" in caplog.text


@pytest.mark.parametrize(("text", "expected"), [
    ("broker_port = 1884\n[broker]\nport = 1885\n",
     "broker_port is the old spelling of broker.port"),
    ('[broker]\nuser = "kds-1"\n', "broker.user: Extra inputs are not permitted"),
    ('[broker]\npassword_file = "/x"\n', "broker: Value error, password_file needs username"),
    ("[broker]\nkeepalive_s = 0\n",
     "broker.keepalive_s: Input should be greater than or equal to 1"),
    ('broker_password = "x"\n', "broker_password: Extra inputs are not permitted"),
])
def test_a_wrong_or_renamed_key_is_named_with_its_path(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_kitchen_config(write(tmp_path, text))
    assert expected in str(err.value)


def test_an_unreadable_password_file_fails_at_start(tmp_path: Path) -> None:
    cfg = load_kitchen_config(write(tmp_path, (
        f'[broker]\nusername = "kds-1"\npassword_file = "{tmp_path / "missing"}"\n')))
    link = KitchenLink(cfg, lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigError, match=r"broker\.password_file: cannot read"):
        link.start()
