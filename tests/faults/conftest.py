"""Real processes for the fault tests: gunicorn with the project's own configuration
(backend/gunicorn_conf.py) against the suite's database, started, loaded and killed for
real."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"  # tests/conftest.make_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": var_dir,
        "SECRET_KEY": TEST_SECRET_KEY,
        "TRINHKY_ENV": "test",
        "REDIS_URL": "",
        "DEV_PKI": "0",
        "LOG_JSON": "1",
        "PYTHONWARNINGS": "ignore",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        # the test accounts hash with these (tests/conftest.make_settings)
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
    }
    env.pop("TEST_DATABASE_URL", None)
    env.update(extra)
    return env


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn as the Procfile starts it, on ``port``; returns once /healthz answers."""
    out = open(log, "ab")  # noqa: SIM115 - the child writes into it; closed with the test
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            str(ROOT / "backend" / "gunicorn_conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "backend.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def alive(pid: int) -> bool:
    """Running (a zombie holds no sockets any more: it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop(proc: subprocess.Popen, workers: list[int] | None = None) -> None:
    """Stop a gunicorn master and its workers (by their ids, nothing else)."""
    pids = list(workers or [])
    if proc.poll() is None:
        pids += children(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in pids:
        if alive(pid):
            os.kill(pid, 9)


@contextmanager
def hold_write_lock(database_url: str) -> Iterator[None]:
    """Hold the database still, as a long transaction would: on SQLite the write lock,
    on PostgreSQL an exclusive lock on the devices table (every authenticated request
    reads it). Requests that need it wait — in flight, inside a worker."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        dbname=url.database,
    ) as conn:
        conn.execute("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path / "gunicorn.log"
