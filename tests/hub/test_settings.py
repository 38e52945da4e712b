"""Settings: secrets refused unless strong (or demo), keys named in errors, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.settings import DEMO_FIELD_KEY, Settings
from tests.hub.conftest import STRONG_SECRETS, make_settings

SECRET_FIELDS = ("secret_key", "field_encryption_key", "lookup_hash_key")


def _error_fields(err: ValidationError) -> set[str]:
    return {str(e["loc"][0]) for e in err.errors()}


def test_default_secrets_refused_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, data_dir=tmp_path)
    assert _error_fields(info.value) == set(SECRET_FIELDS)
    assert "default or weak secret" in str(info.value)


def test_demo_mode_accepts_demo_secrets(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, demo_mode=True, data_dir=tmp_path)
    assert settings.field_encryption_key.get_secret_value() == DEMO_FIELD_KEY


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_each_weak_secret_is_named(tmp_path: Path, field: str) -> None:
    weak = "short" if field != "field_encryption_key" else DEMO_FIELD_KEY
    with pytest.raises(ValidationError) as info:
        make_settings(tmp_path, **{field: weak})
    assert _error_fields(info.value) == {field}


def test_field_key_must_be_a_fernet_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        make_settings(tmp_path, field_encryption_key="x" * 50)
    assert "Fernet key" in str(info.value)


def test_unknown_setting_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        make_settings(tmp_path, databse_url="sqlite://")
    assert "databse_url" in str(info.value)


def test_env_prefix_and_sqlite_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STRONG_SECRETS.items():
        monkeypatch.setenv(f"CANTEEN_{key.upper()}", value)
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(_env_file=None)
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'data' / 'hub.db')}"
    assert settings.is_sqlite


def test_unsupported_database_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="only sqlite"):
        make_settings(tmp_path, database_url="mysql://x@y/z")
