"""Workflow benchmark: with 100,000 documents and 1,000 users on PostgreSQL, p50/p95 of a
leader's "waiting for me" inbox and badge counts, and the throughput of approve actions,
beside the bare-Flask ceiling served by the same gunicorn.

    .venv/bin/python bench/workflow.py [--documents 100000] [--users 1000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_wf (default)

The database named by the URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_baseline import free_port, load, start_gunicorn  # noqa: E402

PASSWORD = "bench-password-2026"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_wf"
LEADERS, UNITS, CLERKS = 5, 30, 5


def recreate_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def chunked(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def populate(env: dict[str, str], documents: int, users: int) -> dict[str, object]:
    """Bulk-load an agency: leaders, heads, clerks, specialists, and documents at every
    stage of a review → sign → issue route."""
    os.environ.update(env)
    from sqlalchemy import insert, text

    from backend.app import create_app
    from backend.auth.service import hash_password
    from backend.core.db import atomic
    from backend.documents.models import Document, DocumentParticipant, DocumentVersion
    from backend.migrate import upgrade
    from backend.org.models import Membership, Organisation, Unit, User
    from backend.org.seed import seed_reference_data
    from backend.workflow.models import RouteStep, StepActor, StepAssignment, WorkflowAction

    rng = random.Random(2026)
    app = create_app()
    upgrade(app.extensions["settings"].database_url)
    with app.app_context():
        seed_reference_data()
        with atomic() as s:
            type_ids = [t for (t,) in s.execute(text("SELECT id FROM document_types"))]
            s.execute(
                insert(Organisation),
                [
                    {
                        "id": 1,
                        "code": "000.00.00.H41",
                        "name": "UBND tỉnh Nghệ An",
                        "short_name": "UBND",
                    }
                ],
            )
            s.execute(
                insert(Unit),
                [
                    {"id": u, "organisation_id": 1, "name": f"Sở số {u}", "abbreviation": f"S{u}"}
                    for u in range(1, UNITS + 1)
                ],
            )
            pw = hash_password(PASSWORD)
            user_rows, memberships = [], []
            for uid in range(1, users + 1):
                if uid <= LEADERS:
                    role, unit, title = "leader", None, "Phó Chủ tịch"
                elif uid <= LEADERS + UNITS:
                    role, unit, title = "head", uid - LEADERS, "Giám đốc"
                elif uid <= LEADERS + UNITS + CLERKS:
                    role, unit, title = "clerk", 1, "Văn thư"
                else:
                    role, unit, title = "specialist", 1 + uid % UNITS, "Chuyên viên"
                user_rows.append(
                    {
                        "id": uid,
                        "username": f"u{uid}",
                        "full_name": f"Người dùng {uid}",
                        "password_hash": pw,
                        "active": True,
                        "failed_logins": 0,
                    }
                )
                memberships.append(
                    {
                        "user_id": uid,
                        "organisation_id": 1,
                        "unit_id": unit,
                        "role": role,
                        "position_title": title,
                    }
                )
            s.execute(insert(User), user_rows)
            s.execute(insert(Membership), memberships)
            specialists_by_unit: dict[int, list[int]] = {}
            for m in memberships:
                if m["role"] == "specialist":
                    specialists_by_unit.setdefault(m["unit_id"], []).append(m["user_id"])

        start = datetime.now(UTC) - timedelta(days=365)
        docs, versions, parts, steps, actors, assigns, actions = [], [], [], [], [], [], []
        waiting_for_leader1 = []
        for d in range(1, documents + 1):
            unit = 1 + d % UNITS
            head = LEADERS + unit
            leader = 1 + d % LEADERS
            clerk = LEADERS + UNITS + 1 + d % CLERKS
            drafter = rng.choice(specialists_by_unit[unit])
            created = start + timedelta(seconds=d * 300)
            urgency, rank = rng.choices(
                [("normal", 0), ("khan", 1), ("thuong_khan", 2), ("hoa_toc", 3)],
                weights=[85, 10, 4, 1],
            )[0]
            stage = rng.choices(["draft", "review", "sign", "issued"], weights=[5, 20, 15, 60])[0]
            status = {
                "draft": "draft",
                "review": "in_review",
                "sign": "in_review",
                "issued": "issued",
            }[stage]
            due = (
                (created + timedelta(days=rng.randint(3, 30))).date()
                if rng.random() < 0.4
                else None
            )
            docs.append(
                {
                    "id": d,
                    "organisation_id": 1,
                    "unit_id": unit,
                    "direction": "outgoing",
                    "document_type_id": rng.choice(type_ids),
                    "subject": f"Về việc triển khai nhiệm vụ số {d}",
                    "urgency": urgency,
                    "urgency_rank": rank,
                    "secrecy": "normal",
                    "due_date": due,
                    "status": status,
                    "current_version": 1,
                    "created_by_id": drafter,
                    "created_at": created,
                    "updated_at": created,
                    "row_version": 1,
                    "submitted_at": None if stage == "draft" else created + timedelta(minutes=5),
                }
            )
            versions.append(
                {
                    "id": d,
                    "document_id": d,
                    "number": 1,
                    "note": "",
                    "created_by_id": drafter,
                    "created_at": created,
                }
            )
            parts.append(
                {"document_id": d, "user_id": drafter, "role": "drafter", "created_at": created}
            )
            base = 3 * (d - 1)
            step_status = {
                "draft": ["pending"] * 3,
                "review": ["active", "pending", "pending"],
                "sign": ["done", "active", "pending"],
                "issued": ["done", "done", "done"],
            }[stage]
            for i, (kind, who) in enumerate([("review", head), ("sign", leader), ("issue", clerk)]):
                steps.append(
                    {
                        "id": base + i + 1,
                        "document_id": d,
                        "position": i,
                        "kind": kind,
                        "mode": "all",
                        "blocking": True,
                        "label": kind,
                        "status": step_status[i],
                    }
                )
                actors.append({"step_id": base + i + 1, "user_id": who})
                if step_status[i] == "pending":
                    continue
                waiting = step_status[i] == "active"
                assigns.append(
                    {
                        "step_id": base + i + 1,
                        "document_id": d,
                        "user_id": who,
                        "status": "waiting" if waiting else "approved",
                        "urgency_rank": rank,
                        "created_at": created + timedelta(minutes=10 * (i + 1)),
                    }
                )
                parts.append(
                    {
                        "document_id": d,
                        "user_id": who,
                        "role": {"review": "reviewer", "sign": "signer", "issue": "clerk"}[kind],
                        "created_at": created,
                    }
                )
                if waiting and kind == "sign" and who == 1:
                    waiting_for_leader1.append(d)
                if not waiting:
                    actions.append(
                        {
                            "document_id": d,
                            "step_id": base + i + 1,
                            "action": "issue" if kind == "issue" else "approve",
                            "actor_id": who,
                            "actor_position": "",
                            "version_number": 1,
                            "comment": "",
                            "created_at": created + timedelta(minutes=10 * (i + 2)),
                        }
                    )
            if stage != "draft":
                actions.append(
                    {
                        "document_id": d,
                        "action": "submit",
                        "actor_id": drafter,
                        "actor_position": "",
                        "version_number": 1,
                        "comment": "",
                        "created_at": created + timedelta(minutes=5),
                    }
                )
        for model, rows in [
            (Document, docs),
            (DocumentVersion, versions),
            (DocumentParticipant, parts),
            (RouteStep, steps),
            (StepActor, actors),
            (StepAssignment, assigns),
            (WorkflowAction, actions),
        ]:
            for chunk in chunked(rows):
                with atomic() as s:
                    s.execute(insert(model), chunk)
        with atomic() as s:
            for table in (
                "documents",
                "document_versions",
                "route_steps",
                "step_assignments",
                "workflow_actions",
                "document_participants",
            ):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"  # our own table names
                    )
                )
        with app.app_context():
            from backend.core.db import get_db

            with get_db().engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
    return {"leader": "u1", "waiting_for_leader": waiting_for_leader1}


def login(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"username": username, "password": PASSWORD, "device_name": "bench"})
    conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    assert response.status == 200, data
    return data["access_token"]


def approve_throughput(port: int, token: str, docs: list[int], clients: int) -> dict[str, float]:
    """Each client: read the document's ETag, then approve it (the leader signs off)."""
    work: queue.Queue[int] = queue.Queue()
    for d in docs:
        work.put(d)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        auth = {"Authorization": f"Bearer {token}"}
        while True:
            try:
                doc = work.get_nowait()
            except queue.Empty:
                break
            t0 = time.perf_counter()
            conn.request("GET", f"/api/documents/{doc}", headers=auth)
            r = conn.getresponse()
            r.read()
            etag = r.getheader("ETag")
            conn.request(
                "POST",
                f"/api/documents/{doc}/approve",
                body=json.dumps({"comment": "Đồng ý"}),
                headers={
                    **auth,
                    "If-Match": etag,
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-approve-{doc}",
                },
            )
            r = conn.getresponse()
            r.read()
            with lock:
                latencies.append(time.perf_counter() - t0)
                failures += r.status != 200
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_s": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "errors": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--approvals", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    var = tempfile.mkdtemp(prefix="trinhky-bench-wf-")
    env = {
        "VAR_DIR": var,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-not-used-anywhere-else-0123456789",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
    }
    t0 = time.perf_counter()
    info = populate(env, args.documents, args.users)
    waiting = info["waiting_for_leader"]
    print(
        f"loaded {args.documents:,} documents, {args.users:,} users in "
        f"{time.perf_counter() - t0:.0f} s; {len(waiting):,} wait for the benchmarked leader"
    )

    app_port, bare_port = free_port(), free_port()
    quiet = {**env, "PYTHONWARNINGS": "ignore"}
    app_proc = start_gunicorn("backend.app:create_app()", app_port, quiet)
    bare_proc = start_gunicorn("bench.bare_app:app", bare_port, quiet)
    try:
        token = login(app_port, info["leader"])
        auth = {"Authorization": f"Bearer {token}"}
        targets = [
            ("bare Flask /json (ceiling)", bare_port, "/json", {}),
            ("GET /api/inbox/waiting (first page)", app_port, "/api/inbox/waiting?limit=20", auth),
            (
                "GET /api/inbox/waiting?overdue=true",
                app_port,
                "/api/inbox/waiting?limit=20&overdue=true",
                auth,
            ),
            ("GET /api/inbox/counts", app_port, "/api/inbox/counts", auth),
        ]
        for _, port, path, headers in targets:
            load(port, path, headers, 40, 1)  # warm-up
        results: dict[str, dict[int, list[dict[str, float]]]] = {
            n: {1: [], 8: []} for n, *_ in targets
        }
        for _ in range(args.rounds):
            for name, port, path, headers in targets:
                for clients in (1, 8):
                    results[name][clients].append(load(port, path, headers, args.requests, clients))
        approvals = approve_throughput(app_port, token, waiting[: args.approvals], 4)
    finally:
        for proc in (app_proc, bare_proc):
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"\nPostgreSQL, gunicorn gthread x{env['WEB_CONCURRENCY']}, {args.requests} requests per "
        f"round, median of {args.rounds} rounds. 1 client = latency as served; 8 = throughput.\n"
    )
    print(
        f"{'endpoint':<40} {'p50 ms':>7} {'p95 ms':>7} {'req/s (1)':>10} {'req/s (8)':>10} "
        f"{'p95 ms (8)':>11} {'vs ceiling':>11}"
    )
    ceiling = statistics.median(r["rps"] for r in results[targets[0][0]][8])
    for name, by_clients in results.items():
        one, eight = by_clients[1], by_clients[8]
        med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
        print(
            f"{name:<40} {med(one, 'p50'):>7.2f} {med(one, 'p95'):>7.2f} "
            f"{med(one, 'rps'):>10.0f} {med(eight, 'rps'):>10.0f} {med(eight, 'p95'):>11.2f} "
            f"{med(eight, 'rps') / ceiling:>10.0%}"
        )
    print(
        f"\napprove (GET for the ETag + POST approve), 4 clients, {args.approvals} documents: "
        f"{approvals['per_s']:.0f} approvals/s, p50 {approvals['p50']:.1f} ms, "
        f"p95 {approvals['p95']:.1f} ms, errors {approvals['errors']}"
    )


if __name__ == "__main__":
    main()
