"""CI smoke run of `make run` on PostgreSQL: a fresh database, migrate, seed the demo
agency and the development PKI, start web and worker from the Procfile (honcho), then
ask what a user would: /readyz, a login, the inbox, a page image; and the audit chain
anchored by the worker's TSA and verified. Exit 0 only if every answer is right.

    .venv/bin/python .ci/smoke.py [postgresql+psycopg://postgres@127.0.0.1:5432/<fresh db>]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from backend.cli import DEMO_PASSWORD_DEFAULT

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin(url: str, sql: str) -> None:
    u = make_url(url)
    conninfo = f"host={u.host} port={u.port or 5432} user={u.username} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-4000:]}")
    print(f"flask {' '.join(args)}: {done.stdout.strip().splitlines()[-1]}", flush=True)
    return done.stdout


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)
    print(f"ok  {what}", flush=True)


def main() -> None:
    url = (
        sys.argv[1]
        if len(sys.argv) > 1
        else f"postgresql+psycopg://postgres@127.0.0.1:5432/trinhky_smoke_{os.getpid()}"
    )
    database = make_url(url).database
    admin(url, f'DROP DATABASE IF EXISTS "{database}"')
    admin(url, f'CREATE DATABASE "{database}"')
    var = tempfile.mkdtemp(prefix="trinhky-smoke-")
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "FLASK_APP": "backend.app:create_app",
        "DATABASE_URL": url,
        "VAR_DIR": var,
        "TRINHKY_ENV": "development",
        "REDIS_URL": "",
        "LOG_JSON": "1",
        "DEV_PKI_PORT": str(free_port()),
    }
    for name in ("TEST_DATABASE_URL", "SECRET_KEY", "AUDIT_KEY"):
        env.pop(name, None)
    honcho = None
    log = Path(var) / "honcho.log"
    try:
        flask(env, "db-upgrade")
        flask(env, "seed-demo")
        flask(env, "dev-pki")
        with open(log, "wb") as out:
            honcho = subprocess.Popen(
                [str(BIN / "honcho"), "start", "-f", "Procfile", "-p", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one below
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = requests.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        check(ready is not None and ready.status_code == 200, "GET /readyz: database and queue")
        r = requests.post(
            f"{base}/api/auth/login",
            json={"username": "phochutich1", "password": PASSWORD, "device_name": "CI smoke"},
            timeout=10,
        )
        check(r.status_code == 200, "POST /api/auth/login as phochutich1")
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        counts = requests.get(f"{base}/api/inbox/counts", headers=auth, timeout=10).json()
        check(counts["waiting_sign"] == 3, "three demo decisions wait for the signature")
        inbox = requests.get(f"{base}/api/inbox/waiting", headers=auth, timeout=10).json()
        document_id = inbox["items"][0]["document"]["id"]
        document = requests.get(f"{base}/api/documents/{document_id}", headers=auth, timeout=10)
        check(document.status_code == 200, f"GET /api/documents/{document_id}")
        main = next(f for f in document.json()["files"] if f["kind"] == "main")
        image = requests.get(
            f"{base}/api/documents/{document_id}/files/{main['id']}/pages/1",
            params={"width": 390, "dpr": 2},
            headers=auth,
            timeout=30,
        )
        check(
            image.status_code == 200
            and image.headers["Content-Type"] == "image/webp"
            and image.content[8:12] == b"WEBP",
            f"page 1 as an image ({len(image.content):,} bytes of WebP)",
        )
        # the worker serves the development TSA: the audit chain is anchored and verifies
        anchored = flask(env, "audit", "anchor")
        check("timestamped" in anchored and "NOT" not in anchored, "audit head anchored by the TSA")
        verified = flask(env, "audit", "verify")
        check("audit chain intact" in verified, "flask audit verify")
    except BaseException:
        if log.exists():
            print(log.read_text()[-6000:], file=sys.stderr)
        raise
    finally:
        if honcho is not None:
            os.killpg(honcho.pid, signal.SIGTERM)
            try:
                honcho.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
        admin(url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print("smoke run on PostgreSQL: all good")


if __name__ == "__main__":
    main()
