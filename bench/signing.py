"""Signing speed: median time per signature at B-B/B-T/B-LT/B-LTA on a 1-page and a
100-page PDF through the product's two-phase path (signing/pades.py), beside a minimal
direct pyHanko script (the baseline) and the raw RSA/ECDSA signature (the floor), all in
the same run against the development PKI served on loopback.

Then two end-to-end figures: a batch of 50 one-page decisions signed via the CSC
dummy server (automatic placement, signature image, B-T, one authorization), and the
peak memory of signing a 50 MB PDF against its size.

    .venv/bin/python bench/signing.py [--repeat 7] [--batch 50] [--big-mb 50]
"""

from __future__ import annotations

import argparse
import io
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from pyhanko.keys import load_private_key_from_pemder_data  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

from signing import pades  # noqa: E402
from signing.devpki import DevPKI, Holder, serve  # noqa: E402
from signing.pades import Level, SignatureField, Trust  # noqa: E402
from signing.providers.base import Credential  # noqa: E402
from signing.providers.memory import MemoryProvider  # noqa: E402


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: imports, connections, the timestamper's size estimate
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--big-mb", type=int, default=50)
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    holder = Holder("signer", "Lê Thị Hồng Hạnh", "Ủy ban nhân dân tỉnh Nghệ An")
    pki = DevPKI.ensure(
        tempfile.mkdtemp(prefix="trinhky-bench-pki-"), [holder], f"http://127.0.0.1:{port}"
    )
    server = serve(pki, "127.0.0.1", port)
    material = pki.signer("signer")
    credential = Credential("signer", material.certificate, tuple(material.chain))
    provider = MemoryProvider()
    provider.add_pem("signer", material.private_key_pem())
    trust = Trust([pki.trust_root()], pades.timestamper(pki.tsa_url), other_certs=material.chain)

    # the baseline: pyHanko's documented one-call path, key loaded once
    simple = signers.SimpleSigner(
        signing_cert=material.certificate,
        signing_key=load_private_key_from_pemder_data(material.private_key_pem(), None),
        cert_registry=SimpleCertificateStore.from_certs(material.chain),
    )

    def baseline(pdf: bytes, level: Level) -> None:
        meta = signers.PdfSignatureMetadata(
            field_name="Sig",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=level.rank >= Level.B_LT.rank,
            use_pades_lta=level == Level.B_LTA,
            validation_context=trust.validation_context()
            if level.rank >= Level.B_LT.rank
            else None,
        )
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            meta,
            signer=simple,
            timestamper=trust.timestamper if level != Level.B_B else None,
        )

    def product(pdf: bytes, level: Level) -> None:
        _, outcome = pades.sign(
            pdf,
            credential,
            provider,
            SignatureField("Sig"),
            level=level,
            trust=trust,
            signing_time=datetime.now(UTC),
        )
        assert outcome.achieved == level, outcome

    rows = []
    for pages in (1, 100):
        pdf = blank_pdf(pages)
        for level in Level:
            p = median_ms(lambda pdf=pdf, level=level: product(pdf, level), args.repeat)
            b = median_ms(lambda pdf=pdf, level=level: baseline(pdf, level), args.repeat)
            rows.append((pages, level.value, p, b))

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_ms = median_ms(lambda: rsa_key.sign(b"x" * 32, padding.PKCS1v15(), hashes.SHA256()), 200)
    ec_ms = median_ms(lambda: ec_key.sign(b"x" * 32, ec.ECDSA(hashes.SHA256())), 200)
    batch_s, authorizations = csc_batch(pki, trust, args.batch)
    big_size, big_peak = big_pdf_peak(credential, provider, trust, args.big_mb)
    server.shutdown()

    print(f"\nmedian of {args.repeat} signatures each; TSA/OCSP/CRL on loopback\n")
    print(f"{'pages':>5} {'level':<6} {'product ms':>11} {'pyHanko ms':>11} {'ratio':>7}")
    for pages, level, p, b in rows:
        print(f"{pages:>5} {level:<6} {p:>11.1f} {b:>11.1f} {p / b:>6.2f}x")
    print(f"\nfloor: raw RSA-2048 signature {rsa_ms:.2f} ms, ECDSA P-256 {ec_ms:.3f} ms")
    print(
        f"\nbatch: {args.batch} decisions via CSC (placement + image, B-T): {batch_s:.2f} s "
        f"end to end, {authorizations} authorization(s), {batch_s / args.batch * 1000:.0f} ms each"
        f" (target < 10 s)"
    )
    print(
        f"memory: {big_size / 2**20:.1f} MB PDF signed (B-T): peak {big_peak / 2**20:.1f} MB of "
        f"Python allocations = {big_peak / big_size:.2f}x the file (target < 3x)"
    )


def csc_batch(pki: DevPKI, trust: Trust, count: int) -> tuple[float, int]:
    """Prepare every decision (find the name, place the image), one CSC authorize +
    signHash for all, then embed each with its timestamp."""
    from collections import Counter

    from signing import appearance, placement
    from signing.devpki import ARCH, serve_csc
    from signing.providers.csc import CscProvider
    from signing.samples import decision

    calls: Counter[str] = Counter()
    url, stop = serve_csc(pki, calls=calls)
    provider = CscProvider(url)
    credential = provider.credential(f"{ARCH}/signer")
    name = "Lê Thị Hồng Hạnh"
    drafts = [decision(name) for _ in range(count)]
    style = appearance.image_style(appearance.demo_signature_png(name))
    calls.clear()
    started = time.perf_counter()
    documents = [
        (pdf, SignatureField("ChuKy", placement.signature_box(pdf, name), style)) for pdf in drafts
    ]
    items = pades.sign_batch(
        documents,
        credential,
        provider,
        level=Level.B_T,
        trust=trust,
        signing_time=datetime.now(UTC),
    )
    elapsed = time.perf_counter() - started
    assert all(i.error is None for i in items), [i.error for i in items if i.error]
    stop()
    return elapsed, calls["/csc/v1/credentials/authorize"]


def big_pdf(megabytes: int) -> bytes:
    """A page holding an incompressible image of ``megabytes`` (a scanned annex)."""
    import os

    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    side = int((megabytes * 2**20 / 3) ** 0.5)
    image = DecodedStreamObject()
    image.set_data(os.urandom(side * side * 3))
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(side),
            NameObject("/Height"): NumberObject(side),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def big_pdf_peak(credential, provider, trust: Trust, megabytes: int) -> tuple[int, int]:
    import gc
    import tracemalloc

    pdf = big_pdf(megabytes)
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    signed, _ = pades.sign(
        pdf,
        credential,
        provider,
        SignatureField("Sig"),
        level=Level.B_T,
        trust=trust,
        signing_time=datetime.now(UTC),
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(signed) > len(pdf)
    return len(pdf), peak - base


if __name__ == "__main__":
    main()
