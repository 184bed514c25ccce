"""A worker killed in the middle of a poll — while fetching, between storing and
acknowledging, while checking signatures, inside a transaction — loses nothing and
duplicates nothing: every package the axis holds ends up in the queue exactly once, and
the axis is told about each."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from backend.core.db import session
from backend.exchange.models import InboundMessage, OutboxMessage
from backend.exchange.transport import VxpTransport
from tests.exchange.conftest import SECRETS, queue
from tests.exchange.test_bad_packages import edxml, package, send, sign_pdf

WORKER = """
import sys
from backend.app import create_app
from backend.exchange import receiving
app = create_app()
with app.app_context():
    print("ready", flush=True)
    receiving.poll()
print("finished", flush=True)
"""
PACKAGES = 6


def worker_env(app, tmp_path: Path) -> dict[str, str]:
    s = app.extensions["settings"]
    var = tmp_path / "worker-var"
    var.mkdir(exist_ok=True)
    return {
        **os.environ,
        "TRINHKY_ENV": "test",
        "SECRET_KEY": s.secret_key,
        "DATABASE_URL": s.database_url,
        "VAR_DIR": str(var),
        "BLOB_DIR": s.blob_dir,
        "DEV_PKI": "0",
        "DEV_AXIS": "0",
        "SIGNING_TRUST_ROOTS": s.signing_trust_roots,
        "EXCHANGE_VXP_URL": s.exchange_vxp_url,
        "EXCHANGE_VXP_SYSTEM_ID": s.exchange_vxp_system_id,
        "EXCHANGE_VXP_SECRET": s.exchange_vxp_secret,
        "EXCHANGE_INGEST_PROCESSES": "1",
        "LOG_JSON": "0",
    }


def test_a_worker_killed_mid_poll_loses_and_duplicates_nothing(
    installation_a, axis, pki_env, app, tmp_path
):
    a = installation_a
    tester = VxpTransport(axis.url, "tester", SECRETS["tester"])
    pdf = sign_pdf(pki_env)
    for n in range(1, PACKAGES + 1):
        send(
            tester,
            package(
                [edxml.Attachment("cid:1", f"{n}.pdf", "application/pdf", pdf)],
                document_id=f"000.00.00.G09,2026/11/20,{n}/BNV-VP",
                code_number=str(n),
            ),
        )
    # slow answers, so the kills land inside fetching and acknowledging too
    axis.axis.delays = {"getEdoc": 0.15, "updateStatus": 0.15}
    env = worker_env(app, tmp_path)
    dice = random.Random(17)
    interrupted = 0  # workers killed before they finished
    for _round in range(20):
        if axis.axis.count("initial") == 0 and interrupted >= 2:
            break
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(dice.uniform(0.1, 1.6))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        if "finished" not in worker.stdout.read():
            interrupted += 1
    assert interrupted >= 2
    axis.axis.delays = {}
    a.poll()  # a worker that is left alone finishes the job

    items = queue(a, a["clerk"])
    assert sorted(i["number_symbol"] for i in items) == sorted(
        f"{n}/BNV-VP" for n in range(1, PACKAGES + 1)
    )
    assert len({i["document_id"] for i in items}) == PACKAGES
    assert axis.axis.count("initial") == 0 and axis.axis.count("done") == PACKAGES
    with app.app_context():
        s = session()
        assert s.scalar(select(func.count(InboundMessage.id))) == PACKAGES
        assert (
            s.scalar(
                select(func.count(InboundMessage.id)).where(InboundMessage.acknowledged.is_(False))
            )
            == 0
        )
        # one "arrived" (01) per document, ready to go back to the sender
        assert (
            s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status_code == "01"))
            == PACKAGES
        )
