"""A real gunicorn (one worker) on 127.0.0.1 with a fresh SQLite database seeded with the
demo agency, for tests and benchmarks that measure the web process itself (its memory,
its answers under hostile input)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "TrinhKy@2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    var_dir: Path
    env: dict[str, str]
    process: subprocess.Popen

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()]
        assert len(pids) == 1, pids
        return pids[0]

    def login(self, username: str) -> dict[str, str]:
        r = requests.post(
            f"{self.base}/api/auth/login",
            json={"username": username, "password": DEMO_PASSWORD, "device_name": "test"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory the process ever had (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def start(var_dir: Path, threads: int = 4) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "backend.app:create_app",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'app.db'}",
        "TRINHKY_ENV": "development",
        "LOG_JSON": "1",
        "REDIS_URL": "",
        "DEV_PKI": "0",
        "LOGIN_RATE_LIMIT_IP": "1000 per minute",
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
    }
    env.pop("TEST_DATABASE_URL", None)
    _flask(env, "db-upgrade")
    _flask(env, "seed-demo")
    log = open(var_dir / "gunicorn.log", "wb")  # noqa: SIM115 - the process keeps it
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "backend.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                "gunicorn did not start:\n" + (var_dir / "gunicorn.log").read_text()[-4000:]
            )
        time.sleep(0.2)
    return Server(base, var_dir, env, process)
