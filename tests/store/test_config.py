"""Settings: defaults, the environment, and the encryption key."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from lawful.config import Settings, SettingsError, load_master_key, load_settings


def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("LAWFUL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no lawful.toml from the repository


def test_every_setting_has_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"


def test_the_default_store_is_sqlite_inside_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.store_url() == f"sqlite:///{(tmp_path / 'data' / 'lawful.db').resolve()}"


def test_settings_come_from_lawful_env_vars_before_lawful_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_env(monkeypatch, tmp_path)
    (tmp_path / "lawful.toml").write_text(
        'database_url = "sqlite:///from-toml.db"\ndata_dir = "toml-dir"\n'
    )
    monkeypatch.setenv("LAWFUL_DATABASE_URL", "postgresql+psycopg://lawful@db/lawful")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://lawful@db/lawful"
    assert settings.data_dir == Path("toml-dir")


def test_a_key_is_generated_once_into_the_data_dir_with_owner_only_permissions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_env(monkeypatch, tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    first = load_master_key(settings)
    assert first.generated_at == tmp_path / "data" / "encryption.key"
    assert stat.S_IMODE(first.generated_at.stat().st_mode) == 0o600
    again = load_master_key(settings)
    assert again.generated_at is None
    assert again.secret == first.secret
    assert len(first.secret) == 32


def test_the_key_from_the_environment_is_used_as_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_env(monkeypatch, tmp_path)
    secret = bytes(range(32))
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", base64.b64encode(secret).decode())
    key = load_master_key(load_settings())
    assert key.secret == secret
    assert key.generated_at is None
    assert not (tmp_path / ".lawful").exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("LAWFUL_ENCRYPTION_KEY", value)
    with pytest.raises(SettingsError, match="base64 of exactly 32 bytes") as caught:
        load_master_key(load_settings())
    assert value not in str(caught.value)


def test_a_configured_database_requires_a_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("LAWFUL_DATABASE_URL", "postgresql+psycopg://lawful@db/lawful")
    with pytest.raises(SettingsError, match="LAWFUL_ENCRYPTION_KEY is not set"):
        load_master_key(load_settings())
