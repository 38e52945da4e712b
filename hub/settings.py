"""Hub settings: one pydantic-settings model read from CANTEEN_* env vars and `.env`."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public, well-known values: accepted only with demo_mode=True.
DEMO_SECRET_KEY = "canteen-edge-demo-secret-key-not-for-production"
DEMO_FIELD_KEY = base64.urlsafe_b64encode(b"canteen-edge-demo-field-key-0000").decode()
DEMO_HASH_KEY = "canteen-edge-demo-lookup-hash-key-not-secret"
KNOWN_DEFAULTS = frozenset({DEMO_SECRET_KEY, DEMO_FIELD_KEY, DEMO_HASH_KEY, "changethis", "secret"})
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Everything the hub needs to start; secrets are refused when weak outside demo mode."""

    model_config = SettingsConfigDict(
        env_prefix="CANTEEN_", env_file=".env", env_file_encoding="utf-8", extra="forbid"
    )

    demo_mode: bool = Field(
        False, description="Allow the public demo secrets (never in production)."
    )
    data_dir: Path = Field(
        Path("./var"), description="Directory for the SQLite file and other data."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default sqlite file in data_dir. PostgreSQL: postgresql+psycopg://...",
    )
    db_schema: str | None = Field(
        None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema to use (search_path).",
    )
    auto_migrate: bool = Field(True, description="Upgrade the database schema when the hub starts.")
    secret_key: SecretStr = Field(
        SecretStr(DEMO_SECRET_KEY), description="Signs JWTs and admin sessions (>= 32 characters)."
    )
    field_encryption_key: SecretStr = Field(
        SecretStr(DEMO_FIELD_KEY), description="Fernet key encrypting personal data at rest."
    )
    lookup_hash_key: SecretStr = Field(
        SecretStr(DEMO_HASH_KEY), description="HMAC key for searchable hashes of personal data."
    )
    access_token_minutes: int = Field(60 * 8, ge=1, le=60 * 24 * 30, description="JWT lifetime.")
    host: str = Field("127.0.0.1", description="Address `canteen-hub serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `canteen-hub serve` binds.")
    mqtt_host: str = Field(
        "127.0.0.1", title="MQTT host",
        description="Broker the ingest workers and the downlink publisher connect to.",
    )
    mqtt_port: int = Field(
        1883, ge=1, le=65535, title="MQTT port", description="1883 plain, 8883 with TLS."
    )
    mqtt_username: str | None = Field(
        None, title="MQTT user",
        description="Hub service user on the broker (`canteen-hub fleet issue-service`).",
    )
    mqtt_password_file: Path | None = Field(
        None, title="MQTT password file",
        description="File holding the service user's password (read when connecting).",
    )
    mqtt_tls_ca_file: Path | None = Field(
        None, title="MQTT CA file",
        description="CA certificate of the broker; enables TLS when set.",
    )
    # Fleet access (issue 16): the hub's admin login to Mosquitto's dynamic security plugin
    # (unset: the hub writes password and ACL files instead), and the broker address a newly
    # claimed device is told (default: mqtt_host / mqtt_port, which may be a hub-side name).
    dynsec_username: str | None = Field(
        None, title="Dynamic security admin",
        description="Broker user of the hub's plugin admin (`canteen-hub fleet dynsec-init`).",
    )
    dynsec_password_file: Path | None = Field(
        None, title="Dynamic security admin password file",
        description="File holding the plugin admin's password.",
    )
    claim_broker_host: str | None = Field(
        None, title="Broker host for claimed devices", description="Default: mqtt_host."
    )
    claim_broker_port: int | None = Field(
        None, ge=1, le=65535, title="Broker port for claimed devices",
        description="Default: mqtt_port.",
    )

    @field_validator("field_encryption_key")
    @classmethod
    def _fernet_key_shape(cls, value: SecretStr) -> SecretStr:
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().encode())
        except (binascii.Error, ValueError) as err:
            raise ValueError("must be a Fernet key (url-safe base64 of 32 bytes)") from err
        if len(raw) != 32:
            raise ValueError("must be a Fernet key (url-safe base64 of 32 bytes)")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:// and postgresql+psycopg:// URLs are supported")
        return value

    @field_validator("secret_key", "field_encryption_key", "lookup_hash_key", mode="after")
    @classmethod
    def _refuse_weak_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        # demo_mode is declared first, so it is already validated here.
        if info.data.get("demo_mode"):
            return value
        raw = value.get_secret_value()
        if raw in KNOWN_DEFAULTS or len(raw) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"default or weak secret: set a random value of >= {MIN_SECRET_LENGTH} characters"
                " (or CANTEEN_DEMO_MODE=true for a demo)"
            )
        return value

    @model_validator(mode="after")
    def _mqtt_login_complete(self) -> Settings:
        if self.mqtt_password_file is not None and not self.mqtt_username:
            raise ValueError("mqtt_password_file needs mqtt_username")
        return self

    def mqtt_password(self) -> str | None:
        """The service user's password, read from its file now (never kept in settings)."""
        if self.mqtt_password_file is None:
            return None
        return self.mqtt_password_file.read_text(encoding="utf-8").strip()

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the SQLite file inside data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.effective_database_url.startswith("sqlite")
