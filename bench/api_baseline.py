"""API baseline: requests/s and p50/p95 latency of GET /api/me and of a document listing
over 10,000 documents, under gunicorn on loopback, beside a bare Flask JSON endpoint
served the same way (the ceiling of this stack).

    .venv/bin/python bench/api_baseline.py [--requests 3000] [--concurrency 8]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench ... (to run on PostgreSQL)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict[str, str], documents: int) -> None:
    """Migrate, and insert one agency, one user and N documents visible to that user."""
    os.environ.update(env)
    from sqlalchemy import insert, text

    from backend.app import create_app
    from backend.auth.service import hash_password
    from backend.core.db import atomic
    from backend.documents.models import Document, DocumentParticipant
    from backend.migrate import upgrade
    from backend.org.models import Membership, Organisation, Unit, User
    from backend.org.seed import seed_reference_data

    app = create_app()
    upgrade(app.extensions["settings"].database_url)
    with app.app_context():
        seed_reference_data()
        with atomic() as s:
            org = Organisation(code="000.00.00.H41", name="UBND tỉnh Nghệ An", short_name="UBND")
            s.add(org)
            s.flush()
            unit = Unit(organisation_id=org.id, name="Phòng Kinh tế", abbreviation="KT")
            s.add(unit)
            s.flush()
            user = User(
                username="bench", full_name="Đặng Văn Hùng", password_hash=hash_password(PASSWORD)
            )
            s.add(user)
            s.flush()
            s.add(
                Membership(
                    user_id=user.id, organisation_id=org.id, unit_id=unit.id, role="specialist"
                )
            )
            start = datetime.now(UTC) - timedelta(days=365)
            rows = [
                {
                    "organisation_id": org.id,
                    "unit_id": unit.id,
                    "direction": "outgoing",
                    "document_type_id": 1 + i % 29,
                    "subject": f"Về việc triển khai nhiệm vụ số {i} năm 2026",
                    "urgency": "normal",
                    "secrecy": "normal",
                    "status": "draft",
                    "current_version": 1,
                    "created_by_id": user.id,
                    "created_at": start + timedelta(minutes=i),
                    "updated_at": start + timedelta(minutes=i),
                    "row_version": 1,
                }
                for i in range(documents)
            ]
            s.execute(insert(Document), rows)
            ids = [
                d for (d,) in s.execute(Document.__table__.select().with_only_columns(Document.id))
            ]
            s.execute(
                insert(DocumentParticipant),
                [
                    {"document_id": d, "user_id": user.id, "role": "drafter", "created_at": start}
                    for d in ids
                ],
            )
        # a live database has planner statistics (autovacuum); a bulk load does not yet
        with atomic() as s:
            s.execute(text("ANALYZE"))


def start_gunicorn(app_spec: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--config",
        str(ROOT / "backend" / "gunicorn_conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        app_spec,
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn for {app_spec} did not start")


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"username": "bench", "password": PASSWORD, "device_name": "bench"})
    conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    assert response.status == 200, data
    return data["access_token"]


def load(
    port: int, path: str, headers: dict[str, str], total: int, concurrency: int
) -> dict[str, float]:
    """Keep-alive clients in threads; every response must be 200."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        for _ in range(per_thread):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != 200:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    # Warm-up: connections, caches, first-request imports.
    load_threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in load_threads:
        t.start()
    for t in load_threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="repeat and report the median round")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="trinhky-bench-")
    env = {
        "VAR_DIR": var,
        "SECRET_KEY": "bench-secret-key-not-used-anywhere-else-0123456789",
        "LOG_JSON": "1",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    t0 = time.perf_counter()
    prepare(env, args.documents)
    print(f"prepared {args.documents} documents in {time.perf_counter() - t0:.1f} s ({var})")

    app_port, bare_port = free_port(), free_port()
    quiet = {**env, "PYTHONWARNINGS": "ignore"}
    app_proc = start_gunicorn("backend.app:create_app()", app_port, quiet)
    bare_proc = start_gunicorn("bench.bare_app:app", bare_port, quiet)
    try:
        token = login(app_port)
        auth = {"Authorization": f"Bearer {token}"}
        targets = [
            ("bare Flask /json (ceiling)", bare_port, "/json", {}),
            ("GET /api/me", app_port, "/api/me", auth),
            (
                f"GET /api/documents (first page of {args.documents})",
                app_port,
                "/api/documents?limit=20",
                auth,
            ),
        ]
        for _, port, path, headers in targets:
            load(port, path, headers, args.concurrency * 20, args.concurrency)  # warm-up
        results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in targets}
        for _ in range(args.rounds):
            for name, port, path, headers in targets:
                results[name].append(load(port, path, headers, args.requests, args.concurrency))
    finally:
        for proc in (app_proc, bare_proc):
            proc.terminate()
            proc.wait(timeout=10)

    ceiling = statistics.median(r["rps"] for r in results[targets[0][0]])
    db = "PostgreSQL" if "DATABASE_URL" in env else "SQLite"
    print(
        f"\n{db}, gunicorn gthread x{env['WEB_CONCURRENCY']} workers, "
        f"{args.concurrency} keep-alive clients, {args.requests} requests/round, "
        f"median of {args.rounds} rounds\n"
    )
    print(
        f"{'endpoint':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'vs ceiling':>11} {'errors':>7}"
    )
    for name, rounds in results.items():
        rps = statistics.median(r["rps"] for r in rounds)
        p50 = statistics.median(r["p50"] for r in rounds)
        p95 = statistics.median(r["p95"] for r in rounds)
        errors = sum(r["errors"] for r in rounds)
        print(f"{name:<44} {rps:>8.0f} {p50:>8.2f} {p95:>8.2f} {rps / ceiling:>10.0%} {errors:>7}")


if __name__ == "__main__":
    main()
