"""A real test PKI (certomancer) with its TSA, OCSP and CRL served on loopback, per pytest
worker; SoftHSM2 tokens in a temporary directory. No database is needed here."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfWriter

from signing import pades
from signing.devpki import DevPKI, Holder, serve, serve_csc
from signing.pades import Trust
from signing.providers.base import Credential
from signing.providers.memory import MemoryProvider

HOLDERS = [
    Holder("phochutich1", "Lê Thị Hồng Hạnh", "Ủy ban nhân dân tỉnh Nghệ An"),
    Holder("seal", "Ủy ban nhân dân tỉnh Nghệ An", "Ủy ban nhân dân tỉnh Nghệ An"),
    Holder("ec-signer", "Trần Quốc Bảo", "Ủy ban nhân dân tỉnh Nghệ An", key_type="ec"),
    Holder("revoked", "Người Đã Bị Thu Hồi", "Ủy ban nhân dân tỉnh Nghệ An", revoked=True),
]
SOFTHSM_MODULES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
]


@pytest.fixture(autouse=True)
def clean_state() -> None:
    """Overrides the database reset of tests/conftest.py: these tests use no database."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PKIEnv:
    pki: DevPKI
    port: int
    memory: MemoryProvider

    def credential(self, label: str) -> Credential:
        material = self.pki.signer(label)
        return Credential(label, material.certificate, tuple(material.chain))

    def trust(self, *, tsa: bool = True) -> Trust:
        return Trust(
            [self.pki.trust_root()],
            pades.timestamper(self.pki.tsa_url) if tsa else None,
            other_certs=[self.pki.certificate("interm")],
        )


@pytest.fixture(scope="session")
def pki_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PKIEnv]:
    port = free_port()
    pki = DevPKI.ensure(tmp_path_factory.mktemp("pki"), HOLDERS, f"http://127.0.0.1:{port}")
    server = serve(pki, "127.0.0.1", port)
    memory = MemoryProvider()
    for holder in HOLDERS:
        memory.add_pem(holder.label, pki.signer(holder.label).private_key_pem())
    yield PKIEnv(pki, port, memory)
    server.shutdown()


@pytest.fixture(scope="session")
def softhsm(pki_env: PKIEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A SoftHSM2 token holding the RSA and the EC signer's keys."""
    util = shutil.which("softhsm2-util")
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    if not util or not module:
        pytest.fail("SoftHSM2 is missing: `apt-get install softhsm2` (make test does it)")
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    os.environ["SOFTHSM2_CONF"] = str(conf)

    def run(*args: str) -> None:
        subprocess.run([util, *args], env=env, check=True, capture_output=True)

    run("--init-token", "--free", "--label", "trinhky", "--pin", "123456", "--so-pin", "12345678")
    for n, label in enumerate(["phochutich1", "ec-signer"], start=1):
        pem = home / f"{label}.pem"
        pem.write_bytes(pki_env.pki.signer(label).private_key_pem())
        run(
            "--import",
            str(pem),
            "--token",
            "trinhky",
            "--label",
            label,
            "--id",
            f"{n:02x}",
            "--pin",
            "123456",
        )
    yield {"module": module, "token": "trinhky", "pin": "123456"}


@pytest.fixture
def one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def csc_service(pki_env: PKIEnv) -> Iterator[tuple[str, Counter[str]]]:
    """certomancer-csc-dummy serving the test PKI's keys on loopback, counting calls."""
    calls: Counter[str] = Counter()
    url, stop = serve_csc(pki_env.pki, calls=calls)
    yield url, calls
    stop()
