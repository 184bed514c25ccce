"""A development PKI (certomancer): root CA, issuing CA with CRL + OCSP, a TSA, a
certificate for every signer and for the agency seal, and a revoked person for negative
tests. Keys are generated once into a directory (e.g. ``var/pki``); the TSA, OCSP and CRL
are served over loopback so signatures made on a fresh machine validate end to end.

    python -m signing.devpki serve --dir var/pki --port 8010
"""

from __future__ import annotations

import argparse
import functools
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import keys as asn1_keys
from asn1crypto import x509
from certomancer import crypto_utils
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ARCH = "trinhky-dev"
INFRA = {
    "root": "Trình Ký Dev Root CA",
    "interm": "Trình Ký Dev Issuing CA",
    "tsa": "Trình Ký Dev TSA",
    "tsa-soon": "Trình Ký Dev TSA (expiring)",
    "ocsp": "Trình Ký Dev OCSP",
}
SOON_DAYS = 60  # the expiring TSA's certificate ends this many days from today
VALID_FROM = "2025-01-01T00:00:00+0000"
VALID_TO = "2060-01-01T00:00:00+0000"
REVOKED_SINCE = "2025-06-01T00:00:00+0000"


@dataclass(frozen=True)
class Holder:
    """Someone (or an agency seal) who gets a certificate."""

    label: str  # a key/cert label: username, or "seal"
    common_name: str
    organisation: str
    key_type: str = "rsa"  # rsa | ec
    revoked: bool = False


@dataclass
class SignerMaterial:
    private_key: asn1_keys.PrivateKeyInfo
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # issuing CA first, up to (not including) the root

    def private_key_pem(self) -> bytes:
        return serialization.load_der_private_key(self.private_key.dump(), None).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _new_key(path: Path, key_type: str) -> None:
    if path.exists():
        return
    key: Any = (
        ec.generate_private_key(ec.SECP256R1())
        if key_type == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"id": name, **value}


def _config(holders: list[Holder]) -> dict[str, Any]:
    infra = INFRA
    keys = {label: {"path": f"{label}.key.pem"} for label in infra}
    keys.update({h.label: {"path": f"{h.label}.key.pem"} for h in holders})
    entities: dict[str, Any] = {label: {"common-name": cn} for label, cn in infra.items()}
    for h in holders:
        entities[h.label] = {"common-name": h.common_name, "organization-name": h.organisation}
    validity = {"valid-from": VALID_FROM, "valid-to": VALID_TO}
    ca_usage = _ext(
        "key_usage",
        critical=True,
        **{
            "smart-value": {
                "schema": "key-usage",
                "params": ["digital_signature", "key_cert_sign", "crl_sign"],
            }
        },
    )
    certs: dict[str, Any] = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "authority-key": "root",
            "validity": validity,
            "extensions": [_ext("basic_constraints", critical=True, value={"ca": True}), ca_usage],
        },
        "interm": {
            "issuer": "root",
            "validity": validity,
            "extensions": [
                _ext(
                    "basic_constraints", critical=True, value={"ca": True, "path-len-constraint": 0}
                ),
                ca_usage,
                _ext(
                    "crl_distribution_points",
                    **{
                        "smart-value": {
                            "schema": "crl-dist-url",
                            "params": {"crl-repo-names": ["root"]},
                        }
                    },
                ),
            ],
        },
        "ocsp": {
            "issuer": "interm",
            "validity": validity,
            "extensions": [
                _ext(
                    "key_usage",
                    critical=True,
                    **{"smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                ),
                _ext("extended_key_usage", critical=True, value=["ocsp_signing"]),
                _ext("ocsp_no_check"),
            ],
        },
        "tsa": {
            "issuer": "root",
            "validity": validity,
            "extensions": [
                _ext(
                    "key_usage",
                    critical=True,
                    **{"smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                ),
                _ext("extended_key_usage", critical=True, value=["time_stamping"]),
                _ext(
                    "crl_distribution_points",
                    **{
                        "smart-value": {
                            "schema": "crl-dist-url",
                            "params": {"crl-repo-names": ["root"]},
                        }
                    },
                ),
            ],
        },
    }
    # A second TSA whose certificate ends soon: archive timestamps made with it must be
    # renewed (tests of the archival task). Dated from today, so it is always "soon".
    soon = (date.today() + timedelta(days=SOON_DAYS)).isoformat()
    certs["tsa-soon"] = {
        **certs["tsa"],
        "validity": {"valid-from": VALID_FROM, "valid-to": f"{soon}T00:00:00+0000"},
    }
    for h in holders:
        cert: dict[str, Any] = {
            "issuer": "interm",
            "validity": validity,
            "extensions": [
                _ext(
                    "key_usage",
                    critical=True,
                    **{
                        "smart-value": {
                            "schema": "key-usage",
                            "params": ["digital_signature", "non_repudiation"],
                        }
                    },
                ),
                _ext(
                    "crl_distribution_points",
                    **{
                        "smart-value": {
                            "schema": "crl-dist-url",
                            "params": {"crl-repo-names": ["interm"]},
                        }
                    },
                ),
                _ext(
                    "authority_information_access",
                    **{
                        "smart-value": {
                            "schema": "aia-urls",
                            "params": {"ocsp-responder-names": ["interm"]},
                        }
                    },
                ),
            ],
        }
        if h.revoked:
            cert["revocation"] = {"revoked-since": REVOKED_SINCE, "reason": "key_compromise"}
        certs[h.label] = cert
    return {
        "keysets": {ARCH: {"keys": keys}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN", "organization-name": "Trình Ký"},
                "entities": entities,
                "certs": certs,
                "services": {
                    "ocsp": {
                        "interm": {
                            "for-issuer": "interm",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        },
                        "interm": {
                            "for-issuer": "interm",
                            "signing-key": "interm",
                            "simulated-update-schedule": "P7D",
                        },
                    },
                    "time-stamping": {
                        "tsa": {"signing-key": "tsa", "signing-cert": "tsa"},
                        "tsa-soon": {"signing-key": "tsa-soon", "signing-cert": "tsa-soon"},
                    },
                },
            }
        },
    }


@functools.lru_cache(maxsize=64)
def _loaded_key(der: bytes) -> Any:
    # Loading an RSA key checks it (~35 ms): certomancer and the CSC dummy do it for every
    # signature they make. A real TSA, OCSP responder or HSM holds its key loaded.
    return serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)


class _CachingBackend(crypto_utils.PycaCryptographyBackend):
    def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        if sd_algo.signature_algo not in ("rsassa_pkcs1v15", "ecdsa"):
            return super().generic_sign(private_key, tbs_bytes, sd_algo)
        key = _loaded_key(private_key.dump())
        hash_algo = getattr(hashes, sd_algo.hash_algo.upper())()
        if sd_algo.signature_algo == "ecdsa":
            return key.sign(tbs_bytes, ec.ECDSA(hash_algo))
        return key.sign(tbs_bytes, padding.PKCS1v15(), hash_algo)


crypto_utils.CRYPTO_BACKEND = _CachingBackend()
_original_sign_prehashed: Any = None


class DevPKI:
    """The development PKI in ``directory``, with its services at ``url_prefix``."""

    def __init__(self, directory: Path, holders: list[Holder], url_prefix: str) -> None:
        self.directory = directory
        self.holders = {h.label: h for h in holders}
        self.url_prefix = url_prefix.rstrip("/")
        self.config = CertomancerConfig(
            _config(holders), key_search_dir=str(directory), external_url_prefix=self.url_prefix
        )
        self.arch = self.config.get_pki_arch(ArchLabel(ARCH))

    @classmethod
    def ensure(cls, directory: str | Path, holders: list[Holder], url_prefix: str) -> DevPKI:
        """Create the keys that are missing (existing ones are kept) and load the PKI.
        Certificates are derived from the keys and labels, so they are the same each time."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for label in INFRA:
            _new_key(directory / f"{label}.key.pem", "rsa")
        for h in holders:
            _new_key(directory / f"{h.label}.key.pem", h.key_type)
        (directory / "holders.json").write_text(
            json.dumps([asdict(h) for h in holders], ensure_ascii=False, indent=1)
        )
        return cls(directory, holders, url_prefix)

    @classmethod
    def load(cls, directory: str | Path, url_prefix: str) -> DevPKI:
        directory = Path(directory)
        holders = [Holder(**h) for h in json.loads((directory / "holders.json").read_text())]
        return cls(directory, holders, url_prefix)

    def certificate(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    def trust_root(self) -> x509.Certificate:
        return self.certificate("root")

    def signer(self, label: str) -> SignerMaterial:
        key = self.arch.key_set.get_private_key(KeyLabel(label))
        return SignerMaterial(key, self.certificate(label), [self.certificate("interm")])

    @property
    def tsa_url(self) -> str:
        return f"{self.url_prefix}/{ARCH}/tsa/tsa"

    @property
    def expiring_tsa_url(self) -> str:
        """A TSA whose certificate ends in SOON_DAYS days."""
        return f"{self.url_prefix}/{ARCH}/tsa/tsa-soon"

    def wsgi_app(self) -> Animator:
        return Animator(AnimatorArchStore({ArchLabel(ARCH): self.arch}), with_web_ui=False)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def serve(pki: DevPKI, host: str, port: int) -> _ThreadingWSGIServer:
    """Serve TSA/OCSP/CRL in a background thread; returns the server (``.shutdown()``)."""
    server = make_server(
        host, port, pki.wsgi_app(), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _sign_prehashed(private_key: Any, digest: bytes, sd_algo: Any, digest_algorithm: str) -> bytes:
    """The CSC dummy's signHash with the key loaded once (RSA PKCS#1 v1.5 and ECDSA)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    key = _loaded_key(private_key.dump())
    prehashed = utils.Prehashed(getattr(hashes, digest_algorithm.upper())())
    if sd_algo.signature_algo == "ecdsa":
        return key.sign(digest, ec.ECDSA(prehashed))
    if sd_algo.signature_algo == "rsassa_pkcs1v15":
        return key.sign(digest, padding.PKCS1v15(), prehashed)
    return _original_sign_prehashed(private_key, digest, sd_algo, digest_algorithm)


def serve_csc(
    pki: DevPKI, host: str = "127.0.0.1", port: int = 0, calls: Counter[str] | None = None
) -> tuple[str, Callable[[], None]]:
    """certomancer-csc-dummy (a CSC v1 remote signing service) for the PKI's keys, in a
    background thread: (base URL, stop). ``calls`` counts requests per path. Credential
    IDs are ``f"{ARCH}/{label}"``."""
    import asyncio
    import socket

    from aiohttp import web
    from csc_dummy import csc_dummy_server
    from csc_dummy.csc_dummy_server import CSCWithCertomancer

    global _original_sign_prehashed
    if csc_dummy_server.generic_sign_prehashed is not _sign_prehashed:
        _original_sign_prehashed = csc_dummy_server.generic_sign_prehashed
        csc_dummy_server.generic_sign_prehashed = _sign_prehashed

    if not port:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    csc = CSCWithCertomancer(pki.config)
    csc.register_routes()
    if calls is not None:

        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            calls[request.path] += 1
            return await handler(request)

        csc.app.middlewares.append(count)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(csc.app)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, host, port).start())
        started.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    started.wait(10)
    return f"http://{host}:{port}", lambda: loop.call_soon_threadsafe(loop.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the development PKI's TSA/OCSP/CRL")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--dir", default="var/pki")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    args = parser.parse_args()
    pki = DevPKI.load(args.dir, f"http://{args.host}:{args.port}")
    server = make_server(
        args.host,
        args.port,
        pki.wsgi_app(),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    print(f"development PKI services on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
