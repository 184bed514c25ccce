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
    # Keys the audit chain (HMAC-SHA256). Kept outside the database, like SECRET_KEY: who
    # can write the database cannot recompute the chain. Generated into var/ in development.
    audit_key: str = ""
    audit_anchor_dir: str = ""  # where the TSA-stamped anchors of the chain's head go
    database_url: str = ""
    sqlite_busy_timeout: int = 30  # seconds a request waits for SQLite's write lock (then 503)
    redis_url: str = ""
    blob_dir: str = ""
    max_upload_mb: int = 50  # one file
    max_attachments: int = 20  # files besides the main one, per document version
    max_document_mb: int = 100  # all files of one upload (a version) together
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
    # a signing worker renews its lease every third of this; one silent for longer is
    # presumed dead and another worker resumes its request
    signing_lease_seconds: int = 6
    # archive timestamps are renewed when their TSA certificate ends within this margin
    archive_renewal_margin_days: int = 365
    # Passkeys (WebAuthn): the site's domain and the origins the app is served from;
    # empty = the host the request came to (fine for one host; set both behind a proxy)
    webauthn_rp_id: str = ""
    webauthn_origins: str = ""  # comma-separated, e.g. https://trinhky.example.gov.vn
    # Word drafts: LibreOffice converters (unoserver) run by the worker, one per core by
    # default; a conversion taking longer than the limit is stopped (converter restarted)
    converters: int = 0  # 0 = one per core
    conversion_timeout: int = 60  # seconds per document
    conversion_max_unzipped_mb: int = 200  # an office file's content once unpacked
    soffice_path: str = "/usr/bin/soffice"
    uno_python: str = "/usr/bin/python3"  # the Python that has Debian's python3-uno
    # Official e-mail (thư điện tử công vụ). In development the worker runs a mail sink on
    # loopback that keeps every message under var/mail/.
    smtp_host: str = ""  # "" = the development sink (127.0.0.1:MAIL_SINK_PORT); none in production
    smtp_port: int = 0  # 0 = 25, 587 with STARTTLS, 465 with SSL
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_ca_file: str = ""  # a private CA for the SMTP server's certificate
    smtp_timeout: int = 30
    mail_from: str = "trinhky@trinhky.local"
    mail_from_name: str = "Trình Ký"
    mail_max_attempts: int = 8
    mail_attachment_max_mb: int = 10  # above: a download link instead of the files
    mail_link_days: int = 7  # how long such a link works
    mail_push_fallback_minutes: int = 15  # urgent push not delivered within this: e-mail
    mail_sink: bool = True  # development: run the local sink (off in production)
    mail_sink_port: int = 8025
    app_url: str = "http://127.0.0.1:8000"  # links in e-mails open the app here
    non_working_days: str = ""  # ISO dates (holidays, Tết), comma-separated: no digest
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
            self.mail_sink = False
            self.dev_axis = False
        if not self.audit_anchor_dir:
            self.audit_anchor_dir = str(var / "audit-anchors")
        if not self.smtp_host and self.mail_sink:
            self.smtp_host, self.smtp_port = "127.0.0.1", self.mail_sink_port
        if not self.smtp_port:
            self.smtp_port = {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)
        if not self.converters:
            self.converters = max(1, os.cpu_count() or 1)
        if self.dev_axis:
            self.exchange_vxp_url = (
                self.exchange_vxp_url or f"http://127.0.0.1:{self.dev_axis_port}"
            )
            self.exchange_vxp_system_id = self.exchange_vxp_system_id or "trinhky-dev"
            if not self.exchange_vxp_secret:
                self.exchange_vxp_secret = _development_secret(var, "exchange_secret")
        if not self.secret_key and not self.is_production:
            self.secret_key = _development_secret(var)
        if not self.audit_key and not self.is_production:
            self.audit_key = _development_secret(var, "audit_key")

    def validate(self) -> None:
        if self.is_production:
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
                raise ConfigError("SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production"
                )
            if (
                self.audit_key.strip().lower() in PLACEHOLDER_SECRETS
                or len(self.audit_key) < MIN_SECRET_LENGTH
            ):
                raise ConfigError(
                    f"AUDIT_KEY must be set to a real secret of at least {MIN_SECRET_LENGTH} "
                    "characters in production"
                )
            if self.audit_key == self.secret_key:
                raise ConfigError("AUDIT_KEY must differ from SECRET_KEY")
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
        if self.max_document_mb < self.max_upload_mb:
            raise ConfigError("MAX_DOCUMENT_MB must be at least MAX_UPLOAD_MB")
        if self.smtp_security not in {"none", "starttls", "ssl"}:
            raise ConfigError("SMTP_SECURITY must be none, starttls or ssl")
        if self.conversion_timeout <= 0:
            raise ConfigError("CONVERSION_TIMEOUT must be positive")

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def mail_dir(self) -> Path:
        return Path(self.var_dir) / "mail"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_document_bytes(self) -> int:
        return self.max_document_mb * 1024 * 1024


def _development_secret(var: Path, name: str = "secret_key") -> str:
    """A random key generated on first run and reused, so tokens survive restarts (and
    the audit chain stays verifiable)."""
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
