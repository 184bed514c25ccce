"""Exchange between agencies, measured on this machine.

1. Build + parse of an edXML package carrying a 1 MB signed PDF (median of N rounds),
   beside a raw lxml parse of the same bytes (the floor: what any reader pays).
2. Ingest of 1,000 received packages through the worker into the clerk's queue: the
   development axis on loopback holds them; one ``receiving.poll()`` lists, fetches,
   stores and acknowledges each, then prepares them (parse, store the files, page count,
   text for search, PAdES check of every PDF — in a pool of processes) and commits each
   into the queue with its incoming document, status 01 and notifications. Every PDF is
   a distinct decision signed by the vice-chairman and sealed by the agency (two
   signatures, B-T: timestamps from the development PKI's TSA, OCSP on loopback).
   Baseline in the same run: the signature check alone, one process, same PDFs.

    .venv/bin/python bench/exchange.py [--packages 1000] [--level B-T] [--rounds 30]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu() -> float:
    """CPU seconds of this process and of its finished child processes."""
    return sum(_cpu_split())


def _cpu_split() -> tuple[float, float]:
    import resource

    mine = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime, kids.ru_utime + kids.ru_stime


def median_ms(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# -- signed PDFs, made in worker processes -------------------------------------------------

_signer = None


def _init_signer(pki_dir: str, url: str, leader: str, seal: str, level: str) -> None:
    global _signer
    from signing import pades
    from signing.devpki import DevPKI
    from signing.pades import Level, Trust
    from signing.providers.base import Credential
    from signing.providers.memory import MemoryProvider

    pki = DevPKI.load(pki_dir, url)
    memory = MemoryProvider()
    creds = {}
    for label in (leader, seal):
        material = pki.signer(label)
        memory.add_pem(label, material.private_key_pem())
        creds[label] = Credential(label, material.certificate, tuple(material.chain))
    trust = Trust([pki.trust_root()], pades.timestamper(pki.tsa_url), [pki.certificate("interm")])
    _signer = (memory, creds, trust, Level(level), leader, seal)


def _signed_decision(n: int) -> bytes:
    from signing import pades
    from signing.appearance import Box
    from signing.pades import SignatureField
    from signing.samples import decision

    memory, creds, trust, level, leader, seal = _signer
    pdf = decision("Lê Thị Hồng Hạnh", subject=f"Quyết định số {n} về việc phê duyệt kế hoạch")
    now = datetime.now(UTC)
    pdf, _ = pades.sign(
        pdf,
        creds[leader],
        memory,
        SignatureField("ChuKy", Box(1, 360, 300, 560, 380)),
        level=level,
        trust=trust,
        signing_time=now,
    )
    pdf, _ = pades.sign(
        pdf,
        creds[seal],
        memory,
        SignatureField("DauCoQuan", Box(1, 300, 300, 420, 380)),
        level=level,
        trust=trust,
        signing_time=now,
    )
    return pdf


def big_signed_pdf(target: int) -> bytes:
    """A ~1 MB decision (pages of text and an embedded scan-like image), signed."""
    from pypdf import PdfReader, PdfWriter

    from signing.samples import decision

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(decision("Lê Thị Hồng Hạnh", pages=20))))
    # incompressible, like a scanned appendix
    writer.add_attachment("phu-luc-ban-chup.bin", os.urandom(target))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def part_one(rounds: int, pki_dir: str, url: str, leader: str, seal: str, level: str) -> None:
    from lxml import etree

    from backend.exchange import edxml
    from signing import pades
    from signing.appearance import Box
    from signing.pades import SignatureField

    _init_signer(pki_dir, url, leader, seal, level)
    memory, creds, trust, lvl, *_ = _signer
    pdf, _ = pades.sign(
        big_signed_pdf(1024 * 1024),
        creds[leader],
        memory,
        SignatureField("ChuKy", Box(1, 360, 300, 560, 380)),
        level=lvl,
        trust=trust,
        signing_time=datetime.now(UTC),
    )
    doc = edxml.Edoc(
        sender=edxml.Organ(organ_id="000.00.00.H41", organ_name="UBND tỉnh Nghệ An"),
        recipients=[edxml.Organ(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
        document_id="000.00.00.H41,2026/11/23,15/QĐ-UBND",
        code_number="15",
        code_notation="QĐ-UBND",
        promulgation_date=date(2026, 11, 23),
        subject="Quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2027",
        attachments=[edxml.Attachment("cid:1", "15-QĐ-UBND.pdf", "application/pdf", pdf)],
    )
    package = edxml.build_edoc(doc)
    assert edxml.parse(package).attachments[0].data == pdf
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    build = median_ms(lambda: edxml.build_edoc(doc), rounds)
    parse = median_ms(lambda: edxml.parse(package), rounds)
    both = median_ms(lambda: edxml.parse(edxml.build_edoc(doc)), rounds)
    raw = median_ms(lambda: etree.fromstring(package, parser), rounds)
    encoded = base64.b64encode(pdf)
    decode = median_ms(lambda: base64.b64decode(encoded, validate=True), rounds)
    print(
        f"\n1. A package with a {len(pdf) / 1e6:.2f} MB signed PDF "
        f"({len(package) / 1e6:.2f} MB of edXML), median of {rounds}:"
    )
    print(f"   build {build:7.2f} ms   parse (checks, base64 decode) {parse:7.2f} ms")
    print(f"   build + parse {both:7.2f} ms")
    print(
        f"   raw lxml parse of the same bytes (floor) {raw:7.2f} ms; "
        f"build+parse / raw = {both / raw:.1f}x"
    )
    print(
        f"   raw lxml parse + base64 decode of the file (what any reader must do) "
        f"{raw + decode:7.2f} ms; parse / that = {parse / (raw + decode):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--level", default="B-T", choices=["B-B", "B-T", "B-LT", "B-LTA"])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument(
        "--processes", type=int, default=0, help="signature-check processes (0: the default)"
    )
    args = parser.parse_args()

    from sqlalchemy import func, select

    from backend.app import create_app
    from backend.config import Settings
    from backend.core.db import session
    from backend.exchange import edxml, receiving
    from backend.exchange.models import ReceivedDocument
    from backend.exchange.prepare import fetchers
    from backend.exchange.seed import seed_exchange_demo
    from backend.exchange.transport import VxpTransport
    from backend.migrate import upgrade
    from backend.org.models import Organisation, User
    from backend.org.seed import seed_demo
    from backend.signatures import runtime as signing_runtime
    from backend.signatures.devpki import ensure_dev_pki, serve_in_background
    from signing.validation import validate

    var = tempfile.mkdtemp(prefix="trinhky-bench-exchange-")
    axis_port = free_port()
    overrides = dict(
        var_dir=var,
        env="development",
        log_json=False,
        dev_pki_port=free_port(),
        redis_url="",
        exchange_vxp_url=f"http://127.0.0.1:{axis_port}",
        exchange_vxp_system_id="bench-installation",
        exchange_vxp_secret="bench-secret-of-the-installation-000",
        exchange_ingest_processes=args.processes,
    )
    if args.database_url:
        overrides["database_url"] = args.database_url
    settings = Settings.from_env(**overrides)
    upgrade(settings.database_url)
    app = create_app(settings)
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        seed_demo("bench-password-1234")
        seed_exchange_demo("bench-password-1234")
        ensure_dev_pki()
        serve_in_background()
        s = session()
        province = s.scalar(select(Organisation).where(Organisation.code == "000.00.00.H41"))
        leader = s.scalar(select(User).where(User.username == "phochutich1"))
        labels = (f"user-{leader.id}", f"seal-{province.id}")
        dev_url = f"http://127.0.0.1:{settings.dev_pki_port}"
        roots = signing_runtime.trust_roots()

    part_one(args.rounds, settings.signing_pki_dir, dev_url, *labels, args.level)

    # -- part 2 ---------------------------------------------------------------------------
    print(f"\n2. Ingest of {args.packages} received packages ({args.level}, 2 signatures each)")
    made = time.perf_counter()
    with ProcessPoolExecutor(
        2,
        initializer=_init_signer,
        initargs=(settings.signing_pki_dir, dev_url, *labels, args.level),
    ) as pool:
        pdfs = list(pool.map(_signed_decision, range(args.packages), chunksize=10))
    print(
        f"   (setup: {len(pdfs)} distinct signed decisions made in "
        f"{time.perf_counter() - made:.0f} s)"
    )

    # the axis is another service: its own process, as `make run` starts it
    (Path(var) / "devaxis.json").write_text(
        json.dumps(
            {
                "systems": {
                    "bench-installation": {
                        "secret": settings.exchange_vxp_secret,
                        "codes": ["000.00.00.H41"],
                    },
                    "sender": {
                        "secret": "bench-secret-of-the-sender-0000",
                        "codes": ["000.00.00.G09"],
                    },
                }
            }
        )
    )
    axis = subprocess.Popen(
        [sys.executable, "-m", "backend.exchange.devaxis"],
        cwd=ROOT,
        env={**os.environ, "VAR_DIR": var, "DEV_AXIS_PORT": str(axis_port), "LOG_JSON": "0"},
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{axis_port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.1)
    sender = VxpTransport(url, "sender", "bench-secret-of-the-sender-0000")
    for n, pdf in enumerate(pdfs, start=1):
        package = edxml.build_edoc(
            edxml.Edoc(
                sender=edxml.Organ(organ_id="000.00.00.G09", organ_name="Bộ Nội vụ"),
                recipients=[edxml.Organ(organ_id="000.00.00.H41")],
                document_id=f"000.00.00.G09,2026/11/20,{n}/BNV-VP",
                code_number=str(n),
                code_notation="BNV-VP",
                promulgation_date=date(2026, 11, 20),
                subject=f"Quyết định số {n} về việc phê duyệt kế hoạch",
                type_name="Quyết định",
                priority=n % 4,
                attachments=[edxml.Attachment("cid:1", f"{n}-BNV-VP.pdf", "application/pdf", pdf)],
            )
        )
        sender.send(
            package, message_type="edoc", from_code="000.00.00.G09", to_codes=["000.00.00.H41"]
        )

    with app.app_context():
        cpu_before = _cpu()
        split_before = _cpu_split()
        start = time.perf_counter()
        counts = receiving.poll()
        elapsed = time.perf_counter() - start
        if receiving._pool is not None:
            receiving._pool[1].shutdown(wait=True)  # its processes' CPU time is counted now
            receiving._pool = None
        cpu = _cpu() - cpu_before
        split = [b - a for a, b in zip(split_before, _cpu_split(), strict=True)]
        queued = session().scalar(
            select(func.count(ReceivedDocument.id)).where(ReceivedDocument.state == "waiting")
        )
        ok = session().scalar(
            select(func.count(ReceivedDocument.id)).where(ReceivedDocument.signatures_ok.is_(True))
        )
        processes = receiving._processes()
    axis.terminate()
    axis.wait()
    assert queued == args.packages and ok == args.packages, (counts, queued, ok)
    rate = args.packages / elapsed
    print(
        f"   through the worker into the queue: {elapsed:6.1f} s = {rate:5.1f} documents/s "
        f"(target >= 20); {counts}"
    )
    per_doc = cpu / args.packages
    print(
        f"   ingest processes: {processes} (of {os.cpu_count()} cores, shared with other work: "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"   CPU per document (worker + check processes): {per_doc * 1000:.0f} ms -> "
        f"{os.cpu_count() / per_doc:.0f} documents/s if the {os.cpu_count()} cores were ours "
        f"(worker {split[0] / args.packages * 1000:.0f} ms: fetch, store, commit; "
        f"check processes {split[1] / args.packages * 1000:.0f} ms: parse, files, signatures)"
    )

    # the floor: the signature check alone, one process, warm revocation cache
    sample = pdfs[: min(200, len(pdfs))]
    validate(sample[0], roots, fetchers=fetchers())
    cpu_before = _cpu()
    start = time.perf_counter()
    for pdf in sample:
        report = validate(pdf, roots, fetchers=fetchers())
        assert report.ok
    alone = len(sample) / (time.perf_counter() - start)
    alone_cpu = (_cpu() - cpu_before) / len(sample)
    print(
        f"   signature check alone, one process (baseline): {alone:5.1f} documents/s, "
        f"{alone_cpu * 1000:.0f} ms CPU each; product / one-process check = {rate / alone:.2f}x"
    )


if __name__ == "__main__":
    main()
