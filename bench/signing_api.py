"""A batch of decisions (100 by default) signed through the product, end to end: the signing request
(each document read from the store, the signer's name found, the image placed, the hash
computed and saved), the PIN, then the worker's part (one CSC authorize + signHash for
the whole batch, B-T timestamps, every signed PDF stored as a new version and its sign
step completed). SQLite in a temporary directory, the development PKI and the CSC dummy
server on loopback, all on this machine. Baseline in the same run: the library alone
(bench/signing.py's batch: prepare, one CSC call, finish), so the ratio is what the
product adds (files, rows, workflow).

    .venv/bin/python bench/signing_api.py [--batch 100] [--runs 3] [--level B-T]

Each run signs a fresh batch; the product and the library take turns, so both see the
same machine. Figures: wall time (median of the runs), CPU time of this process (the
PKI's TSA and the CSC service run in it too, for both), and the SQL statements the worker
runs per signed document. Exits non-zero if any document is not signed.
"""

from __future__ import annotations

import argparse
import io
import logging
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--level", default="B-T", choices=["B-B", "B-T", "B-LT", "B-LTA"])
    args = parser.parse_args()

    from sqlalchemy import event

    from backend.app import create_app
    from backend.config import Settings
    from backend.core.db import get_db, session
    from backend.documents import service as documents
    from backend.migrate import upgrade
    from backend.org.models import DocumentType, User
    from backend.org.seed import seed_demo
    from backend.signatures import service as signatures
    from backend.signatures.devpki import DEMO_SIGNING_PIN, ensure_dev_pki, serve_in_background
    from backend.workflow import service as workflow
    from signing import appearance, pades, placement
    from signing.devpki import ARCH, DevPKI, serve_csc
    from signing.pades import Level, SignatureField
    from signing.providers.csc import CscProvider
    from signing.samples import decision

    var = tempfile.mkdtemp(prefix="trinhky-bench-sign-")
    settings = Settings.from_env(
        var_dir=var, env="development", log_json=False, dev_pki_port=free_port(), redis_url=""
    )
    upgrade(settings.database_url)
    app = create_app(settings)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    with app.app_context():
        seed_demo("bench-password-1234")
        ensure_dev_pki()
        serve_in_background()
        pki = DevPKI.load(settings.signing_pki_dir, f"http://127.0.0.1:{settings.dev_pki_port}")
        settings.signing_csc_url, stop_csc = serve_csc(pki)
        s = session()
        users = {u.username: u for u in s.query(User)}
        signer, drafter, admin = users["phochutich1"], users["chuyenvien.kt"], users["quantri"]
        organisation_id = signer.memberships[0].organisation_id
        credential_row = signatures.create_credential(
            admin,
            {
                "organisation_id": organisation_id,
                "purpose": "personal",
                "user_id": signer.id,
                "provider": "csc",
                "credential_ref": f"{ARCH}/user-{signer.id}",
            },
        )
        # the leader's blue signature image, as every real signer has (without one the
        # product falls back to a text appearance that embeds a font each time)
        signatures.set_image(
            admin, credential_row.id, appearance.demo_signature_png(signer.full_name)
        )
        signatures.update_settings(admin, organisation_id, {"signature_level": args.level})
        decision_type = s.query(DocumentType).filter_by(code="quyet-dinh").one()
        steps = [
            {"kind": "sign", "actors": [{"user_id": signer.id}]},
            {"kind": "issue", "actors": [{"user_id": users["vanthu"].id}]},
        ]
        pdf = decision(signer.full_name)
        provider = CscProvider(settings.signing_csc_url)
        credential = provider.credential(f"{ARCH}/user-{signer.id}")
        style = appearance.image_style(appearance.demo_signature_png(signer.full_name))
        trust = signatures.runtime.trust(credential)
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        rows = []
        for run in range(args.runs):
            ids = []
            for n in range(args.batch):
                document = documents.create_document(
                    drafter,
                    {"document_type_id": decision_type.id, "subject": f"Quyết định {run}-{n}"},
                    documents.Upload("file", "du-thao.pdf", io.BytesIO(pdf)),
                    [],
                )
                workflow.set_route(
                    drafter, document.id, document.etag, steps=steps, template_id=None
                )
                s.refresh(document)
                workflow.submit(drafter, document.id, document.etag)
                ids.append(document.id)

            cpu, started = time.process_time(), time.perf_counter()
            request = signatures.create_request(signer, ids)
            prepared = time.perf_counter()
            signatures.authorize(signer, request.id, "pin", DEMO_SIGNING_PIN)
            app.extensions["queue"].flush()  # run the worker's part here, timed
            statements = 0
            event.listen(get_db().engine, "before_cursor_execute", count)
            state = signatures.run_request(request.id)
            event.remove(get_db().engine, "before_cursor_execute", count)
            finished, product_cpu = time.perf_counter(), time.process_time() - cpu
            s.expire_all()
            done = signatures.get_request(signer, request.id)
            completed = sum(1 for i in done.items if i.state == "completed")
            if state != "completed" or completed != args.batch:
                sys.exit(f"the product signed {completed}/{args.batch}: {done.reason}")

            # the baseline: the library's batch on the same documents and service
            cpu, base_start = time.process_time(), time.perf_counter()
            batch = [
                (
                    pdf,
                    SignatureField("ChuKy", placement.signature_box(pdf, signer.full_name), style),
                )
                for _ in range(args.batch)
            ]
            items = pades.sign_batch(
                batch,
                credential,
                provider,
                level=Level(args.level),
                trust=trust,
                signing_time=datetime.now(UTC),
            )
            base, base_cpu = time.perf_counter() - base_start, time.process_time() - cpu
            if any(i.error is not None for i in items):
                sys.exit(f"the library failed: {[str(i.error) for i in items if i.error]}")
            row = {
                "total": finished - started,
                "prepare": prepared - started,
                "worker": finished - prepared,
                "library": base,
                "product_cpu": product_cpu,
                "library_cpu": base_cpu,
                "statements": statements / args.batch,
            }
            rows.append(row)
            print(
                f"run {run + 1}: product {row['total']:.2f} s (request {row['prepare']:.2f} s, "
                f"worker {row['worker']:.2f} s), library {base:.2f} s, ratio "
                f"{row['total'] / base:.2f}x; CPU {product_cpu:.2f} s vs {base_cpu:.2f} s; "
                f"{row['statements']:.1f} SQL statements per document in the worker",
                flush=True,
            )
        stop_csc()

    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(
        f"\n{args.batch} decisions through the product (SQLite, CSC, {args.level}), median of "
        f"{args.runs} runs:"
    )
    print(f"  create request (prepare, store): {med['prepare']:6.2f} s")
    print(f"  worker (one CSC call, finish, store, workflow): {med['worker']:6.2f} s")
    print(
        f"  end to end: {med['total']:.2f} s = {med['total'] / args.batch * 1000:.0f} ms per "
        f"document (target <= 10 s for 100)"
    )
    print(
        f"  library alone (baseline): {med['library']:.2f} s; product / library = "
        f"{med['total'] / med['library']:.2f}x (target <= 1.2x)"
    )
    print(
        f"  CPU: product {med['product_cpu']:.2f} s, library {med['library_cpu']:.2f} s "
        f"({med['product_cpu'] / med['library_cpu']:.2f}x)"
    )
    print(f"  worker SQL statements per document: {med['statements']:.1f}")


if __name__ == "__main__":
    main()
