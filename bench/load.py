"""Load: 100 users for 5 minutes on PostgreSQL — inbox and other reads, document views
(detail, timeline, a page image) and idempotent approvals (some replayed with the same
Idempotency-Key, as a phone on a bad network does) — p50/p95/p99 and errors per kind of
request, beside the bare-Flask ceiling served by the same gunicorn in the same run.

    .venv/bin/python bench/load.py [--users 100] [--duration 300] [--think 2.0]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_load (default)

Each user is a separate account (5 leaders, 30 heads of unit, specialists) on its own
keep-alive connection, acting in a loop with a think time between actions (exponential,
``--think`` seconds on average), as a person on a phone does. The agency is the one of
bench/workflow.py (``--documents`` at every stage of their route), plus a real decision
(3-page PDF) uploaded, routed and submitted through the API by every specialist. web
(gunicorn, backend/gunicorn_conf.py) and worker run as `make run` runs them. Target: p95
≤ 300 ms, 0 errors. The database named by the URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_baseline import free_port, load, start_gunicorn  # noqa: E402
from bench.workflow import LEADERS, PASSWORD, UNITS, populate, recreate_database  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_bench_load"
CLERKS_END = LEADERS + UNITS + 5  # bench/workflow.py: leaders, heads, 5 clerks, specialists
PAGE_WIDTHS = [(360, 2.0), (390, 2.0), (390, 3.0), (412, 2.625)]


@dataclass
class User:
    uid: int
    role: str  # leader | head | specialist
    http: requests.Session = field(default_factory=requests.Session)
    seen: list[int] = field(default_factory=list)  # documents in the lists it read
    approved: set[int] = field(default_factory=set)


@dataclass
class Recorder:
    started: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, user: User, label: str, method: str, url: str, ok=(200,), **kw):
        t0 = time.perf_counter()
        try:
            r = user.http.request(method, url, timeout=60, **kw)
            r.content  # noqa: B018 - the whole answer is part of its time
        except requests.RequestException as exc:
            with self.lock:
                self.errors[label].append(f"{type(exc).__name__}")
            return None
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.latencies[label].append(elapsed)
            if r.status_code not in ok:
                self.errors[label].append(f"{r.status_code} {r.text[:120]}")
        return r


def role_of(uid: int) -> str:
    if uid <= LEADERS:
        return "leader"
    if uid <= LEADERS + UNITS:
        return "head"
    return "specialist"


def pick_users(count: int) -> list[User]:
    """All leaders and heads, then specialists (the clerks are left out)."""
    uids = list(range(1, LEADERS + UNITS + 1))
    uids += range(CLERKS_END + 1, CLERKS_END + 1 + max(0, count - len(uids)))
    return [User(uid, role_of(uid)) for uid in uids[:count]]


def login(base: str, user: User) -> None:
    r = user.http.post(
        f"{base}/api/auth/login",
        json={"username": f"u{user.uid}", "password": PASSWORD, "device_name": "bench"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    user.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"


def upload_real_decision(base: str, user: User, type_id: int) -> None:
    """A 3-page decision through the API: upload, route (the unit's head reviews, a
    leader signs, a clerk issues), submit — so views have real pages to render."""
    from signing.samples import decision

    unit = 1 + user.uid % UNITS
    head, leader, clerk = LEADERS + unit, 1 + user.uid % LEADERS, LEADERS + UNITS + 1
    subject = f"Quyết định phê duyệt dự án số {user.uid} của Sở số {unit}"
    pdf = decision(f"Người dùng {leader}", pages=3, subject=subject)
    r = user.http.post(
        f"{base}/api/documents",
        data={"document_type_id": str(type_id), "subject": subject},
        files={"file": ("du-thao.pdf", pdf, "application/pdf")},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    doc, etag = r.json()["id"], r.headers["ETag"]
    steps = [
        {"kind": "review", "actors": [{"user_id": head}]},
        {"kind": "sign", "actors": [{"user_id": leader}]},
        {"kind": "issue", "actors": [{"user_id": clerk}]},
    ]
    r = user.http.put(
        f"{base}/api/documents/{doc}/route",
        json={"steps": steps},
        headers={"If-Match": etag},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    r = user.http.post(
        f"{base}/api/documents/{doc}/submit",
        json={},
        headers={"If-Match": r.headers.get("ETag") or etag_of(base, user, doc)},
        timeout=60,
    )
    assert r.status_code == 200, r.text


def etag_of(base: str, user: User, doc: int) -> str:
    return user.http.get(f"{base}/api/documents/{doc}", timeout=60).headers["ETag"]


# -- what a user does ------------------------------------------------------------------------


def read_inbox(base: str, user: User, rec: Recorder, rng: random.Random) -> None:
    r = rec.request(user, "GET /api/inbox/waiting", "GET", f"{base}/api/inbox/waiting?limit=20")
    if r is not None and r.status_code == 200:
        user.seen = [item["document"]["id"] for item in r.json()["items"]] or user.seen
    rec.request(user, "GET /api/inbox/counts", "GET", f"{base}/api/inbox/counts")


def other_reads(base: str, user: User, rec: Recorder, rng: random.Random) -> None:
    label, path = rng.choice(
        [
            ("GET /api/documents", "/api/documents?limit=20"),
            ("GET /api/notifications", "/api/notifications?limit=20"),
            ("GET /api/dashboard", "/api/dashboard"),
            ("GET /api/assignments", "/api/assignments?scope=mine&limit=20"),
            ("GET /api/me", "/api/me"),
        ]
    )
    r = rec.request(user, label, "GET", f"{base}{path}")
    if label == "GET /api/documents" and r is not None and r.status_code == 200:
        user.seen = [d["id"] for d in r.json()["items"]] or user.seen


def view_document(base: str, user: User, rec: Recorder, rng: random.Random) -> None:
    if not user.seen:
        other_reads(base, user, rec, rng)
        return
    doc = rng.choice(user.seen[:10])
    r = rec.request(user, "GET /api/documents/{id}", "GET", f"{base}/api/documents/{doc}")
    if r is None or r.status_code != 200:
        return
    rec.request(
        user, "GET /api/documents/{id}/timeline", "GET", f"{base}/api/documents/{doc}/timeline"
    )
    main = next((f for f in r.json()["files"] if f["kind"] == "main"), None)
    if main:
        width, dpr = rng.choice(PAGE_WIDTHS)
        page = rng.randint(1, main["page_count"])
        rec.request(
            user,
            "GET page image",
            "GET",
            f"{base}/api/documents/{doc}/files/{main['id']}/pages/{page}?width={width}&dpr={dpr}",
        )


def approve(base: str, user: User, rec: Recorder, rng: random.Random) -> None:
    """The head initials a draft waiting for review (ký nháy); a quarter of the time the
    phone sends the same approval again (same Idempotency-Key): the first answer comes
    back, nothing is approved twice."""
    r = rec.request(user, "GET /api/inbox/waiting", "GET", f"{base}/api/inbox/waiting?limit=20")
    if r is None or r.status_code != 200:
        return
    waiting = [i["document"]["id"] for i in r.json()["items"] if i["step"]["kind"] == "review"]
    waiting = [d for d in waiting if d not in user.approved]
    if not waiting:
        return
    doc = waiting[0]
    r = rec.request(user, "GET /api/documents/{id}", "GET", f"{base}/api/documents/{doc}")
    if r is None or r.status_code != 200:
        return
    headers = {"If-Match": r.headers["ETag"], "Idempotency-Key": f"load-{user.uid}-{doc}"}
    body = {"comment": "Đồng ý, trình ký."}
    url = f"{base}/api/documents/{doc}/approve"
    first = rec.request(user, "POST approve", "POST", url, json=body, headers=headers)
    user.approved.add(doc)
    if first is not None and first.status_code == 200 and rng.random() < 0.25:
        again = rec.request(
            user, "POST approve (replayed)", "POST", url, json=body, headers=headers
        )
        if again is not None and again.headers.get("Idempotent-Replayed") != "true":
            with rec.lock:
                rec.errors["POST approve (replayed)"].append("not replayed")


MIX = {  # role -> (action, weight)
    "leader": [(read_inbox, 40), (view_document, 40), (other_reads, 20)],
    "head": [(read_inbox, 35), (view_document, 30), (other_reads, 15), (approve, 20)],
    "specialist": [(read_inbox, 50), (view_document, 30), (other_reads, 20)],
}


def run_user(base: str, user: User, rec: Recorder, until: float, think: float, seed: int) -> None:
    rng = random.Random(seed)
    actions, weights = zip(*MIX[user.role], strict=True)
    time.sleep(rng.uniform(0, think))  # users do not all start in the same millisecond
    while time.monotonic() < until:
        rng.choices(actions, weights)[0](base, user, rec, rng)
        time.sleep(rng.expovariate(1 / think))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=300, help="seconds (default 5 min)")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, seconds")
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--population", type=int, default=1000, help="accounts in the agency")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    var = tempfile.mkdtemp(prefix="trinhky-bench-load-")
    env = {
        "VAR_DIR": var,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-not-used-anywhere-else-0123456789",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "LOGIN_RATE_LIMIT_IP": "10000 per minute",  # every user signs in from this address
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
        "REDIS_URL": "",
    }
    t0 = time.perf_counter()
    populate(env, args.documents, args.population)
    print(
        f"loaded {args.documents:,} documents, {args.population:,} accounts "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )

    app_port, bare_port = free_port(), free_port()
    quiet = {**env, "PYTHONWARNINGS": "ignore", "LOG_JSON": "1"}
    app_proc = start_gunicorn("backend.app:create_app()", app_port, quiet)
    bare_proc = start_gunicorn("bench.bare_app:app", bare_port, quiet)
    worker_log = open(Path(var) / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "huey_consumer"),
            "backend.worker.huey",
            "--workers",
            "2",
            "--worker-type",
            "thread",
        ],
        cwd=ROOT,
        env={**os.environ, **quiet, "DEV_PKI": "0"},
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{app_port}"
    rec = Recorder()
    try:
        users = pick_users(args.users)
        t0 = time.perf_counter()
        for user in users:
            login(base, user)
        types = users[0].http.get(f"{base}/api/document-types", timeout=60).json()
        decision_type = next(t["id"] for t in types if t["code"] == "quyet-dinh")
        for user in users:
            if user.role == "specialist":
                upload_real_decision(base, user, decision_type)
        print(
            f"{len(users)} users signed in, {sum(u.role == 'specialist' for u in users)} "
            f"real decisions uploaded and submitted in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )

        load(bare_port, "/json", {}, 800, 8)  # warm-up
        ceiling_before = load(bare_port, "/json", {}, 4000, 8)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(app_proc.pid), resource.getrusage(resource.RUSAGE_SELF)
        rec.started = time.monotonic()
        until = rec.started + args.duration
        threads = [
            threading.Thread(target=run_user, args=(base, u, rec, until, args.think, i))
            for i, u in enumerate(users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - rec.started
        load_after = os.getloadavg()
        app_cpu = cpu_seconds(app_proc.pid) - cpu_before[0]
        mine = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = mine.ru_utime + mine.ru_stime - cpu_before[1].ru_utime - cpu_before[1].ru_stime
        ceiling_after = load(bare_port, "/json", {}, 4000, 8)
    finally:
        for proc in (app_proc, bare_proc, worker):
            proc.terminate()
            proc.wait(timeout=30)
        worker_log.close()

    total = sum(len(v) for v in rec.latencies.values())
    errors = sum(len(v) for v in rec.errors.values())
    print(
        f"\nPostgreSQL, gunicorn gthread x{env['WEB_CONCURRENCY']} workers + worker, "
        f"{len(users)} users for {elapsed:.0f} s, think time {args.think} s (mean), "
        f"{os.cpu_count()} cores shared with the client; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; CPU used: web "
        f"{app_cpu / elapsed:.2f} cores, this client {client_cpu / elapsed:.2f} cores\n"
    )
    print(f"{'request':<34} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    everything: list[float] = []
    for label in sorted(rec.latencies):
        values = sorted(rec.latencies[label])
        everything += values
        print(
            f"{label:<34} {len(values):>7} {percentile(values, 0.5):>8.1f} "
            f"{percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f} "
            f"{len(rec.errors.get(label, [])):>7}"
        )
    everything.sort()
    p95 = percentile(everything, 0.95)
    print(
        f"{'all requests':<34} {total:>7} {percentile(everything, 0.5):>8.1f} {p95:>8.1f} "
        f"{percentile(everything, 0.99):>8.1f} {errors:>7}"
    )
    for name, ceiling in (("before", ceiling_before), ("after", ceiling_after)):
        print(
            f"{'bare Flask /json ceiling (' + name + ')':<34} {'':>7} {ceiling['p50']:>8.1f} "
            f"{ceiling['p95']:>8.1f} {'':>8} {ceiling['errors']:>7}   "
            f"{ceiling['rps']:.0f} req/s with 8 clients"
        )
    ceiling_rps = statistics.median([ceiling_before["rps"], ceiling_after["rps"]])
    print(
        f"\nthroughput {total / elapsed:.0f} req/s ({total / elapsed / ceiling_rps:.1%} of the "
        f"bare-Flask ceiling); target p95 ≤ 300 ms: {'met' if p95 <= 300 else 'MISSED'} "
        f"({p95:.0f} ms); errors: {errors}"
    )
    for label, problems in rec.errors.items():
        print(f"  {label}: {problems[:3]}")


if __name__ == "__main__":
    main()
