"""The database goes away under load: requests answer 503 Problem Details with
Retry-After (never 500), nothing is half-done, and the pool recovers by itself.

These run in both suite runs, each on the database it needs: PostgreSQL (the local
server; a database of their own beside TEST_DATABASE_URL, or ``trinhky_faults_<pid>``
when the suite runs on SQLite — no server means they fail, they never skip) and a
SQLite file of their own."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

from backend.app import create_app
from backend.migrate import upgrade
from tests.conftest import (
    TEST_PASSWORD,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)
from tests.faults.conftest import free_port, server_env, start_gunicorn, stop

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_faults"


def add_account(app, username: str = "vanthu") -> None:
    from backend.auth.service import hash_password
    from backend.core.db import atomic
    from backend.org.models import Membership, Organisation, User

    with app.app_context(), atomic() as s:
        org = Organisation(code="000.00.00.H41", name="UBND tỉnh Nghệ An", short_name="UBND")
        user = User(username=username, full_name="Phan Thị Ngọc Ánh")
        user.password_hash = hash_password(TEST_PASSWORD)
        s.add_all([org, user])
        s.flush()
        s.add(Membership(user_id=user.id, organisation_id=org.id, role="clerk"))


def login(base: str, username: str = "vanthu") -> dict[str, str]:
    r = requests.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": TEST_PASSWORD, "device_name": "Điện thoại"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def assert_unavailable(status: int, headers: dict, body: dict) -> None:
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert int(headers["Retry-After"]) > 0
    assert body["code"] == "database-unavailable" and body["status"] == 503


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL") or LOCAL_POSTGRES
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = create_postgres_database(base, f"outage_{worker}_{os.getpid()}")
    yield url
    drop_postgres_database(url)


def _admin(url: str) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        dbname=u.database,
        autocommit=True,
    )


def test_postgres_killing_the_connections_under_load_gives_503_and_the_pool_recovers(
    postgres_url, tmp_path
):
    upgrade(postgres_url)
    add_account(create_app(make_settings(postgres_url, str(tmp_path))))
    port = free_port()
    log = tmp_path / "gunicorn.log"
    master = start_gunicorn(port, server_env(postgres_url, str(tmp_path)), log)
    base = f"http://127.0.0.1:{port}"
    results: list[tuple[float, int, dict, dict]] = []
    stop_load = threading.Event()
    try:
        auth = login(base)

        def user() -> None:  # one phone, reading as fast as it gets answers
            with requests.Session() as http:
                while not stop_load.is_set():
                    try:
                        r = http.get(f"{base}/api/me", headers=auth, timeout=30)
                    except requests.RequestException as exc:  # counted: no answer at all
                        results.append((time.monotonic(), 0, {}, {"error": repr(exc)}))
                        continue
                    body = r.json() if r.headers.get("Content-Type", "").endswith("json") else {}
                    results.append((time.monotonic(), r.status_code, dict(r.headers), body))

        load = [threading.Thread(target=user) for _ in range(8)]
        for t in load:
            t.start()
        time.sleep(1.0)
        with _admin(postgres_url) as locker, _admin(postgres_url) as admin:
            # Requests in flight: held at a lock, as during a long transaction. Then every
            # server process of this database is shut down, as a restart does (57P01).
            locker.execute("BEGIN")
            locker.execute("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE")
            holder = locker.info.backend_pid
            deadline = time.monotonic() + 10
            waiting = 0
            while waiting < 4 and time.monotonic() < deadline:
                waiting = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()[0]
                time.sleep(0.05)
            assert waiting >= 4, "the load did not reach the database"
            killed = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid NOT IN (%s, pg_backend_pid())",
                (holder,),
            ).fetchone()[0]
            fault_at = time.monotonic()
            locker.execute("COMMIT")
        assert killed >= 4
        time.sleep(3.0)
        stop_load.set()
        for t in load:
            t.join(30)
    finally:
        stop_load.set()
        stop(master)
    statuses = Counter(status for _, status, _, _ in results)
    assert set(statuses) <= {200, 503}, (statuses, log.read_text()[-3000:])
    unavailable = [(s, h, b) for _, s, h, b in results if s == 503]
    assert unavailable, "no request was in flight when the connections were killed"
    for status, headers, body in unavailable:
        assert_unavailable(status, headers, body)
    # the pool recovered: a second after the fault, every request is answered
    after = [status for at, status, _, _ in results if at > fault_at + 1.0]
    assert len(after) >= 10 and set(after) == {200}, Counter(after)
    assert "Traceback" not in log.read_text()


def test_postgres_down_answers_503(tmp_path):
    """Nothing listens where the database should be (a restart in progress)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/trinhky"
    app = create_app(make_settings(url, str(tmp_path)))
    r = app.test_client().post(
        "/api/auth/login",
        json={"username": "vanthu", "password": TEST_PASSWORD, "device_name": "Điện thoại"},
    )
    assert_unavailable(r.status_code, r.headers, r.json)
    assert r.json["detail"].startswith("The database is unavailable")


# -- SQLite --------------------------------------------------------------------------------


def test_sqlite_locked_for_longer_than_the_busy_timeout_gives_503_then_works(tmp_path: Path):
    import sqlite3

    path = tmp_path / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    app = create_app(make_settings(url, str(tmp_path), sqlite_busy_timeout=1))
    add_account(app)
    client = app.test_client()
    body = {"username": "vanthu", "password": TEST_PASSWORD, "device_name": "Điện thoại"}
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a backup, a migration: a long write lock
    try:
        started = time.monotonic()
        r = client.post("/api/auth/login", json=body)
        assert_unavailable(r.status_code, r.headers, r.json)
        assert 1 <= time.monotonic() - started < 10
        # a read does not need the lock (WAL): it is served meanwhile
        assert client.get("/readyz").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with app.app_context():
        from sqlalchemy import func, select

        from backend.auth.models import Device
        from backend.core.db import session

        assert session().scalar(select(func.count()).select_from(Device)) == 0  # nothing half-done
    r = client.post("/api/auth/login", json=body)
    assert r.status_code == 200, r.json
