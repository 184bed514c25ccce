"""Settings from environment variables, with safe defaults for the embedded mode.

Production (``TRINHKY_ENV=production``) refuses to start unless real secrets are given.
In development the secret key is generated once and kept in ``var/secret_key``, so
nothing secret lives in the repository.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "development"}
MIN_SECRET_LENGTH = 32
MAX_ACCESS_TOKEN_TTL = 15 * 60


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with a default secret)."""


def _env(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


@dataclass
class Settings:
    env: str = "development"
    var_dir: str = str(PROJECT_ROOT / "var")
    secret_key: str = ""
    database_url: str = ""
    redis_url: str = ""
    blob_dir: str = ""
    max_upload_mb: int = 50
    access_token_ttl: int = MAX_ACCESS_TOKEN_TTL
    refresh_token_ttl_days: int = 30
    jwt_issuer: str = "trinhky"
    jwt_audience: str = "trinhky-api"
    login_rate_limit_ip: str = "20 per minute"
    login_rate_limit_account: str = "10 per minute"
    lockout_threshold: int = 10
    lockout_minutes: int = 15
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    log_json: bool = True
    timezone: str = "Asia/Ho_Chi_Minh"
    pwa_dist: str = str(PROJECT_ROOT / "pwa" / "dist")
    # Web Push (VAPID): the private key as PEM (or generated into var/ on first run)
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:quantri@trinhky.local"
    push_concurrency: int = 4
    push_max_attempts: int = 6
    reminder_before_hours: int = 24
    webhook_max_attempts: int = 6
    webhook_disable_after: int = 10
    # Digital signing. In development a local test PKI is created in var/pki and its
    # TSA/OCSP/CRL are served by the worker on DEV_PKI_PORT.
    dev_pki: bool = True
    dev_pki_port: int = 8010
    signing_pki_dir: str = ""
    signing_tsa_url: str = ""
    signing_trust_roots: str = ""  # PEM/DER files, comma-separated
    signing_key_password: str = ""  # for pkcs12 key files
    signing_csc_url: str = ""
    signing_csc_token: str = ""
    signing_pkcs11_module: str = ""
    signing_pkcs11_token: str = ""
    signing_pkcs11_pin: str = ""
    signing_request_minutes: int = 10  # an unauthorized request expires
    signing_lockout_threshold: int = 5
    signing_lockout_minutes: int = 15
    signing_rate_limit: str = "10 per minute"
    signing_stale_minutes: int = 5  # a worker that held a request this long is presumed dead
    # Passkeys (WebAuthn): the site's domain and the origins the app is served from;
    # empty = the host the request came to (fine for one host; set both behind a proxy)
    webauthn_rp_id: str = ""
    webauthn_origins: str = ""  # comma-separated, e.g. https://trinhky.example.gov.vn
    # Exchange between agencies (edXML). The national axis (VXP): its URL, this
    # installation's system id and HMAC secret; in development the local axis of `make
    # run` (DEV_AXIS, on DEV_AXIS_PORT) with a secret generated into var/.
    exchange_vxp_url: str = ""
    exchange_vxp_system_id: str = ""
    exchange_vxp_secret: str = ""
    exchange_max_attempts: int = 8  # transport errors before a delivery shows as failed
    exchange_max_package_mb: int = 100
    exchange_ingest_processes: int = 0  # signature checks of received PDFs; 0 = CPU count
    dev_axis: bool = True
    dev_axis_port: int = 8020
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            default = getattr(cls, f.name, None) if f.default is not None else None
            env_name = "TRINHKY_ENV" if f.name == "env" else f.name.upper()
            values[f.name] = _env(env_name, default)
        values.update(overrides)
        settings = cls(**values)
        settings._fill_defaults()
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def _fill_defaults(self) -> None:
        var = Path(self.var_dir)
        if not self.database_url:
            self.database_url = f"sqlite:///{var / 'app.db'}"
        if not self.blob_dir:
            self.blob_dir = str(var / "blobs")
        if not self.signing_pki_dir:
            self.signing_pki_dir = str(var / "pki")
        if self.is_production:
            self.dev_pki = False
            self.dev_axis = False
        if self.dev_axis:
            self.exchange_vxp_url = (
                self.exchange_vxp_url or f"http://127.0.0.1:{self.dev_axis_port}"
            )
            self.exchange_vxp_system_id = self.exchange_vxp_system_id or "trinhky-dev"
            if not self.exchange_vxp_secret:
                self.exchange_vxp_secret = _development_secret(var, "exchange_secret")
        if not self.secret_key and not self.is_production:
            self.secret_key = _development_secret(var)

    def validate(self) -> None:
        if self.is_production:
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
                raise ConfigError("SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production"
                )
            if self.exchange_vxp_url and (
                self.exchange_vxp_secret.strip().lower() in PLACEHOLDER_SECRETS
                or not self.exchange_vxp_system_id
            ):
                raise ConfigError(
                    "EXCHANGE_VXP_SYSTEM_ID and a real EXCHANGE_VXP_SECRET are needed with "
                    "EXCHANGE_VXP_URL in production"
                )
        if not 0 < self.access_token_ttl <= MAX_ACCESS_TOKEN_TTL:
            raise ConfigError("ACCESS_TOKEN_TTL must be between 1 and 900 seconds")
        if self.max_upload_mb <= 0:
            raise ConfigError("MAX_UPLOAD_MB must be positive")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def _development_secret(var: Path, name: str = "secret_key") -> str:
    """A random key generated on first run and reused, so tokens survive restarts."""
    path = var / name
    if path.exists():
        return path.read_text().strip()
    var.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # web and worker started together: the other one won
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
