"""What signing needs from the deployment: trust roots, the TSA, and a provider for
each credential. Read from the settings at call time; providers are built once per
process (an HSM session, a key parsed once)."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from flask import current_app

from signing import pades
from signing.devpki import ARCH
from signing.errors import SigningError
from signing.pades import Trust
from signing.providers.base import Credential, SyncProvider
from signing.providers.csc import CscProvider
from signing.providers.memory import MemoryProvider

from .models import ProviderKind, SigningCredential

_lock = threading.Lock()
_providers: dict[tuple[Any, ...], SyncProvider] = {}


def settings() -> Any:
    return current_app.extensions["settings"]


def dev_pki_url(port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or settings().dev_pki_port}"


def _load_certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def trust_roots() -> list[x509.Certificate]:
    s = settings()
    roots: list[x509.Certificate] = []
    for name in filter(None, (p.strip() for p in s.signing_trust_roots.split(","))):
        roots.extend(_load_certificates(Path(name)))
    dev_root = Path(s.signing_pki_dir) / "root.cert.pem"
    if s.dev_pki and dev_root.exists():
        roots.extend(_load_certificates(dev_root))
    return roots


def tsa_url() -> str:
    s = settings()
    if s.signing_tsa_url:
        return s.signing_tsa_url
    if s.dev_pki and (Path(s.signing_pki_dir) / "holders.json").exists():
        return f"{dev_pki_url()}/{ARCH}/tsa/tsa"
    return ""


def trust(credential: Credential | None = None) -> Trust:
    url = tsa_url()
    return Trust(
        trust_roots(),
        pades.timestamper(url) if url else None,
        other_certs=list(credential.chain) if credential else [],
    )


def credential_of(row: SigningCredential) -> Credential:
    chain = tuple(x509.Certificate.load(base64.b64decode(c)) for c in row.chain)
    return Credential(row.credential_ref, x509.Certificate.load(row.certificate), chain)


def key_path(ref: str) -> Path:
    """A key file named by a credential, inside the key store (SIGNING_PKI_DIR) and
    nowhere else: ``../../etc/passwd`` or an absolute path is refused. Messages never show
    a server path."""
    store = Path(settings().signing_pki_dir).resolve()
    path = (store / ref).resolve()
    if Path(ref).is_absolute() or store not in path.parents:
        raise SigningError(
            "The key reference must name a key file inside the key store.",
            code="credential-ref-invalid",
        )
    if not path.is_file():
        raise SigningError("There is no such key in the key store.", code="key-unavailable")
    return path


def provider_for(row: SigningCredential) -> SyncProvider:
    s = settings()
    if row.provider == ProviderKind.PKCS12:
        key = ("pkcs12", str(key_path(row.credential_ref)))
    elif row.provider == ProviderKind.PKCS11:
        key = ("pkcs11", s.signing_pkcs11_module, s.signing_pkcs11_token)
    else:
        key = ("csc", s.signing_csc_url)
    with _lock:
        if key not in _providers:
            _providers[key] = _build(row, s)
        return _providers[key]


def _build(row: SigningCredential, s: Any) -> SyncProvider:
    if row.provider == ProviderKind.PKCS12:
        provider = MemoryProvider()
        path = key_path(row.credential_ref)
        data = path.read_bytes()
        password = s.signing_key_password.encode() or None
        try:
            if path.suffix.lower() in {".p12", ".pfx"}:
                provider.add_pkcs12(row.credential_ref, data, password)
            else:
                provider.add_pem(row.credential_ref, data, password)
        except (ValueError, TypeError, AssertionError) as exc:
            raise SigningError(
                "The key file cannot be opened (not a private key, or a wrong password).",
                code="key-unavailable",
            ) from exc
        return provider
    if row.provider == ProviderKind.PKCS11:
        from signing.providers.pkcs11 import Pkcs11Provider

        return Pkcs11Provider(s.signing_pkcs11_module, s.signing_pkcs11_token, s.signing_pkcs11_pin)
    return CscProvider(s.signing_csc_url, s.signing_csc_token)


def reset_providers() -> None:
    """Forget the built providers (tests switch settings between cases)."""
    with _lock:
        _providers.clear()
