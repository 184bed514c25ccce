from __future__ import annotations

import os

import pytest

from backend.config import ConfigError, Settings


def test_production_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("TRINHKY_ENV", "production")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env()
    for weak in ("change-me", "short-but-not-placeholder"):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("AUDIT_KEY", "a" * 48)
    assert Settings.from_env().is_production
    assert not (tmp_path / "secret_key").exists(), "production must not invent a secret"


def test_production_refuses_to_start_without_a_real_audit_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRINHKY_ENV", "production")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        Settings.from_env()
    for weak in ("change-me", "short-but-not-placeholder", "x" * 48):  # the last: SECRET_KEY's
        monkeypatch.setenv("AUDIT_KEY", weak)
        with pytest.raises(ConfigError, match="AUDIT_KEY"):
            Settings.from_env()
    monkeypatch.setenv("AUDIT_KEY", "a" * 48)
    assert Settings.from_env().audit_key == "a" * 48
    assert not (tmp_path / "audit_key").exists(), "production must not invent a key"


def test_production_app_factory_refuses_default_secret(tmp_path, monkeypatch):
    from backend.app import create_app

    monkeypatch.setenv("TRINHKY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"var_dir": str(tmp_path)})


def test_development_secret_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    monkeypatch.delenv("TRINHKY_ENV", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    first = Settings.from_env()
    second = Settings.from_env()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 48
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"
    # the audit chain's key: another secret, generated the same way
    assert first.audit_key == second.audit_key != first.secret_key
    assert oct(os.stat(tmp_path / "audit_key").st_mode & 0o777) == "0o600"
    assert first.audit_anchor_dir == str(tmp_path / "audit-anchors")
    assert first.database_url == f"sqlite:///{tmp_path / 'app.db'}"


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = Settings.from_env()
    assert settings.max_upload_bytes == 7 * 1024 * 1024
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_access_tokens_cannot_live_longer_than_fifteen_minutes(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ACCESS_TOKEN_TTL", "3600")
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_TTL"):
        Settings.from_env()
