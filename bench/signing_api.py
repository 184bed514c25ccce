"""A batch of 50 decisions signed through the product, end to end: the signing request
(each document read from the store, the signer's name found, the image placed, the hash
computed and saved), the PIN, then the worker's part (one CSC authorize + signHash for
the whole batch, B-T timestamps, every signed PDF stored as a new version and its sign
step completed). SQLite in a temporary directory, the development PKI and the CSC dummy
server on loopback, all on this machine. Baseline in the same run: the library alone
(bench/signing.py's batch: prepare, one CSC call, finish), so the ratio is what the
product adds (files, rows, workflow).

    .venv/bin/python bench/signing_api.py [--batch 50]
"""

from __future__ import annotations

import argparse
import io
import socket
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
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    from backend.app import create_app
    from backend.config import Settings
    from backend.core.db import session
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
    with app.app_context():
        seed_demo("bench-password-1234")
        ensure_dev_pki()
        serve_in_background()
        pki = DevPKI.load(settings.signing_pki_dir, f"http://127.0.0.1:{settings.dev_pki_port}")
        settings.signing_csc_url, stop_csc = serve_csc(pki)
        s = session()
        users = {u.username: u for u in s.query(User)}
        signer, drafter, admin = users["phochutich1"], users["chuyenvien.kt"], users["quantri"]
        credential_row = signatures.create_credential(
            admin,
            {
                "organisation_id": signer.memberships[0].organisation_id,
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
        signatures.update_settings(
            admin, signer.memberships[0].organisation_id, {"signature_level": "B-T"}
        )
        decision_type = s.query(DocumentType).filter_by(code="quyet-dinh").one()
        steps = [
            {"kind": "sign", "actors": [{"user_id": signer.id}]},
            {"kind": "issue", "actors": [{"user_id": users["vanthu"].id}]},
        ]
        ids = []
        pdf = decision(signer.full_name)
        for n in range(args.batch):
            document = documents.create_document(
                drafter,
                {"document_type_id": decision_type.id, "subject": f"Quyết định số {n}"},
                documents.Upload("file", "du-thao.pdf", io.BytesIO(pdf)),
                [],
            )
            workflow.set_route(drafter, document.id, document.etag, steps=steps, template_id=None)
            s.refresh(document)
            workflow.submit(drafter, document.id, document.etag)
            ids.append(document.id)

        started = time.perf_counter()
        request = signatures.create_request(signer, ids)
        prepared = time.perf_counter()
        signatures.authorize(signer, request.id, "pin", DEMO_SIGNING_PIN)
        app.extensions["queue"].flush()  # run the worker's part here, timed
        state = signatures.run_request(request.id)
        finished = time.perf_counter()
        s.expire_all()
        done = signatures.get_request(signer, request.id)
        completed = sum(1 for i in done.items if i.state == "completed")
        assert state == "completed" and completed == args.batch, signatures.request_view(done)

        # the baseline: the library's batch on the same documents and service
        provider = CscProvider(settings.signing_csc_url)
        credential = provider.credential(f"{ARCH}/user-{signer.id}")
        style = appearance.image_style(appearance.demo_signature_png(signer.full_name))
        trust = signatures.runtime.trust(credential)
        base_start = time.perf_counter()
        batch = [
            (pdf, SignatureField("ChuKy", placement.signature_box(pdf, signer.full_name), style))
            for _ in range(args.batch)
        ]
        items = pades.sign_batch(
            batch,
            credential,
            provider,
            level=Level.B_T,
            trust=trust,
            signing_time=datetime.now(UTC),
        )
        base = time.perf_counter() - base_start
        assert all(i.error is None for i in items)
        stop_csc()

    total = finished - started
    print(f"\n{args.batch} decisions through the product (SQLite, CSC, B-T):")
    print(f"  create request (prepare, store): {prepared - started:6.2f} s")
    print(f"  worker (one CSC call, finish, store, workflow): {finished - prepared:6.2f} s")
    print(
        f"  end to end: {total:.2f} s = {total / args.batch * 1000:.0f} ms per document "
        f"(target < 10 s)"
    )
    print(f"  library alone (baseline): {base:.2f} s; product / library = {total / base:.2f}x")


if __name__ == "__main__":
    main()
