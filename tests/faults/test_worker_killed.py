"""A signing worker killed with SIGKILL at three moments of a batch — while the signing
service works, after the signature values are saved, and halfway through embedding — is
resumed by the restarted worker within seconds, and every document ends up signed
exactly once. Real processes: the worker is ``backend.worker`` run by Huey's consumer,
with the development PKI's TSA/OCSP served by it, on the suite's database kind."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.app import create_app
from backend.core.db import session
from backend.migrate import upgrade
from tests.conftest import create_postgres_database, drop_postgres_database, make_settings

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 6
RESUME_LIMIT = 10.0  # seconds from the restart to the request being worked on again
BATCH = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Installation:
    app: object
    env: dict[str, str]
    var_dir: Path
    worker: subprocess.Popen | None = None

    def start_worker(self) -> float:
        log = open(self.var_dir / "worker.log", "ab")  # noqa: SIM115 - the process owns it
        self.worker = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "faults" / "slow_worker.py")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return time.monotonic()

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def log(self) -> str:
        return (self.var_dir / "worker.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    base = os.environ.get("TEST_DATABASE_URL")
    suffix = f"faults_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = create_postgres_database(base, suffix) if base else f"sqlite:///{tmp_path / 'app.db'}"
    port = _free_port()
    secret = "fault-test-secret-key-long-enough-for-hs256-tokens"
    upgrade(url)
    settings = make_settings(
        url, str(tmp_path), env="development", dev_pki_port=port, secret_key=secret
    )
    app = create_app(settings)
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": url,
        "TRINHKY_ENV": "development",
        "SECRET_KEY": secret,
        "DEV_PKI_PORT": str(port),
        "MAIL_SINK_PORT": str(_free_port()),  # the worker's development mail sink
        "CONVERTERS": "1",
        "REDIS_URL": "",
        "LOG_JSON": "0",
        "SIGNING_LEASE_SECONDS": str(LEASE_SECONDS),
        "SLOW_PROVIDER_SECONDS": "3",
        "SLOW_FINISH_SECONDS": "0.7",
    }
    env.pop("TEST_DATABASE_URL", None)
    found = Installation(app, env, tmp_path)
    yield found
    if found.worker is not None and found.worker.poll() is None:
        found.kill_worker()
    app.extensions["db"].engine.dispose()
    if base:
        drop_postgres_database(url)


def _documents_waiting_for(signer_name: str, count: int) -> list[int]:
    from backend.documents import service as documents
    from backend.org.models import DocumentType, User
    from backend.workflow import service as workflow
    from signing.samples import decision

    s = session()
    users = {u.username: u for u in s.scalars(select(User))}
    drafter, signer = users["chuyenvien.kt"], users[signer_name]
    decision_type = s.scalar(select(DocumentType).where(DocumentType.code == "quyet-dinh"))
    steps = [
        {"kind": "sign", "actors": [{"user_id": signer.id}]},
        {"kind": "issue", "actors": [{"user_id": users["vanthu"].id}]},
    ]
    ids = []
    for n in range(count):
        document = documents.create_document(
            drafter,
            {"document_type_id": decision_type.id, "subject": f"Quyết định số {n + 1}"},
            documents.Upload("file", "du-thao.pdf", io.BytesIO(decision(signer.full_name))),
            [],
        )
        workflow.set_route(drafter, document.id, document.etag, steps=steps, template_id=None)
        s.refresh(document)
        workflow.submit(drafter, document.id, document.etag)
        ids.append(document.id)
    return ids


def _wait_for(what: str, check: Callable[[], bool], limit: float, inst: Installation) -> float:
    """Poll ``check`` (each time in a fresh transaction) until it holds; seconds taken."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        finally:
            session().rollback()  # the next look sees what the worker committed since
        if time.monotonic() - started > limit:
            pytest.fail(f"{what}: not within {limit} s\n--- worker log ---\n{inst.log()}")
        time.sleep(0.05)


def _wait_for_port(port: int, inst: Installation) -> None:
    def up() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    _wait_for("the development PKI served by the worker", up, 30, inst)


def test_a_killed_worker_is_resumed_within_seconds_and_signs_each_document_once(
    installation: Installation,
):
    from backend.documents.models import Document, DocumentVersion
    from backend.org.models import User
    from backend.org.seed import seed_demo
    from backend.signatures import service as signatures
    from backend.signatures.devpki import DEMO_SIGNING_PIN, ensure_dev_pki
    from backend.signatures.models import ItemState, SigningItem, SigningRequest
    from backend.workflow.models import WorkflowAction

    inst = installation
    with inst.app.app_context():
        seed_demo("mat-khau-thu-nghiem")
        ensure_dev_pki()
        ids = _documents_waiting_for("phochutich1", BATCH)
        inst.start_worker()
        _wait_for_port(int(inst.env["DEV_PKI_PORT"]), inst)
        signer = session().scalar(select(User).where(User.username == "phochutich1"))
        request = signatures.create_request(signer, ids)
        request_id = request.id
        signatures.authorize(signer, request_id, "pin", DEMO_SIGNING_PIN)

        def lease() -> str | None:
            return session().scalar(
                select(SigningRequest.lease_holder).where(SigningRequest.id == request_id)
            )

        def states() -> dict[str, int]:
            return dict(
                session()
                .execute(
                    select(SigningItem.state, func.count())
                    .where(SigningItem.request_id == request_id)
                    .group_by(SigningItem.state)
                )
                .all()
            )

        moments = {
            # 1. the signing service is working; nothing is saved yet
            "during the provider call": lambda: (
                lease() is not None and states() == {ItemState.PREPARED: BATCH}
            ),
            # 2. every value is saved, nothing embedded yet
            "after the values were saved": lambda: states() == {ItemState.SIGNED: BATCH},
            # 3. halfway through embedding
            "halfway through embedding": lambda: (
                states().get(ItemState.COMPLETED, 0) >= 3 and states().get(ItemState.SIGNED, 0) >= 3
            ),
        }
        resumed_after: dict[str, float] = {}
        for moment, reached in moments.items():
            _wait_for(moment, reached, 60, inst)
            dead_holder = lease()
            inst.kill_worker()
            restarted = inst.start_worker()
            _wait_for(
                f"resumed after a kill {moment}",
                lambda dead=dead_holder: lease() not in (None, dead),
                RESUME_LIMIT + 5,
                inst,
            )
            resumed_after[moment] = time.monotonic() - restarted
        _wait_for(
            "the batch completed",
            lambda: (
                session().scalar(
                    select(SigningRequest.state).where(SigningRequest.id == request_id)
                )
                == "completed"
            ),
            90,
            inst,
        )
        print("\nresumed after restart:", {k: round(v, 1) for k, v in resumed_after.items()})
        assert all(seconds <= RESUME_LIMIT for seconds in resumed_after.values()), resumed_after

        # every document signed exactly once: one signed version, one signing action
        s = session()
        assert states() == {ItemState.COMPLETED: BATCH}
        for document_id in ids:
            document = s.get(Document, document_id)
            assert document.status == "signed" and document.current_version == 2
            versions = s.scalar(
                select(func.count()).where(DocumentVersion.document_id == document_id)
            )
            signs = s.scalar(
                select(func.count()).where(
                    WorkflowAction.document_id == document_id, WorkflowAction.action == "sign"
                )
            )
            assert (versions, signs) == (2, 1), document_id
