"""Settings of a Lawful installation, read from `LAWFUL_*` environment variables and `lawful.toml`.

Nothing here runs at import: call `load_settings()` where a command, app or worker starts.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

KEY_FILE_NAME = "encryption.key"
KEY_BYTES = 32  # AES-256-GCM and HMAC-SHA-256


class SettingsError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Every setting has a description: `lawful` documents them from here."""

    model_config = SettingsConfigDict(
        env_prefix="LAWFUL_", toml_file="lawful.toml", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path(".lawful"),
        description="Folder for the embedded platform database and the generated key "
        "(created on first use).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the platform store, e.g. "
        "`postgresql+psycopg://lawful@db/lawful`. Default: `sqlite:///<data_dir>/lawful.db`.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes. Encrypts the personal data Lawful stores "
        "(AES-GCM) and keys its blind indexes and hashes (HMAC). Required when "
        "`database_url` is set; otherwise generated into `<data_dir>/encryption.key`.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment, then `lawful.toml` in the working directory.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def store_url(self) -> str:
        """The platform store's URL: the configured one, or SQLite inside `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lawful.db').resolve()}"


def load_settings() -> Settings:
    """Read the settings from the environment and `lawful.toml`."""
    return Settings()


@dataclass(frozen=True)
class MasterKey:
    """The installation's secret, and whether it was just created (so the caller says so)."""

    secret: bytes
    generated_at: Path | None = None


def load_master_key(settings: Settings) -> MasterKey:
    """The key from `LAWFUL_ENCRYPTION_KEY`; for the embedded default, from (or new in) data_dir.

    A configured `database_url` means a real deployment: the key must then come from the
    environment, so that every process shares it and losing a disk does not lose the key.
    """
    if settings.encryption_key is not None:
        return MasterKey(_decode_key(settings.encryption_key.get_secret_value()))
    if settings.database_url:
        raise SettingsError(
            "LAWFUL_ENCRYPTION_KEY is not set; it is required when LAWFUL_DATABASE_URL is set. "
            'Create one with: python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"'
        )
    return _key_file(settings.data_dir / KEY_FILE_NAME)


def _decode_key(text: str) -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise SettingsError(
            f"LAWFUL_ENCRYPTION_KEY must be the base64 of exactly {KEY_BYTES} bytes "
            f"(44 characters ending in '='); got {len(text.strip())} characters"
        )
    return secret


def _key_file(path: Path) -> MasterKey:
    if path.exists():
        return MasterKey(_decode_key(path.read_text(encoding="ascii")))
    path.parent.mkdir(parents=True, exist_ok=True)
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
    return MasterKey(_decode_key(text), generated_at=path)
