"""End-to-end: the built PWA in Debian's Chromium (Playwright) against a real gunicorn.

One server per pytest worker (session scope): a temporary VAR_DIR with its own SQLite
database, migrated and seeded with the demo agency. The PWA is built first when
pwa/dist/index.html is missing (npm is required: no npm, no e2e). Chromium is
/usr/bin/chromium (or E2E_CHROMIUM): missing means the tests fail, never skip.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
DIST = PWA / "dist"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "TrinhKy@2026"  # the demo accounts' password (DEMO_PASSWORD default)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
    "timezone_id": "Asia/Ho_Chi_Minh",
}


# The suite-wide autouse fixture empties the test database of the Flask test client after
# every test; e2e tests talk to their own server and need none of that.
@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build_pwa() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to build the PWA for the e2e tests (pwa/dist is missing)")
    if not (PWA / "node_modules").is_dir():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PWA, check=True
        )
    subprocess.run([npm, "run", "build"], cwd=PWA, check=True)


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


#: each live server's VAR_DIR (its SQLite database), by base URL
VAR_DIRS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (DIST / "index.html").is_file():
        _build_pwa()
    var_dir = tmp_path_factory.mktemp("e2e-var")
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_APP": "backend.app:create_app",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'app.db'}",
        "PWA_DIST": str(DIST),
        "TRINHKY_ENV": "development",
        "LOG_JSON": "1",
        "REDIS_URL": "",
        "WEB_CONCURRENCY": "1",
        "DEV_PKI_PORT": str(_free_port()),
        "MAIL_SINK_PORT": str(_free_port()),  # the worker's development mail sink
        "CONVERTERS": "1",  # one LibreOffice for the demo's Word drafts
        # every test signs people in, from one address: the limits are tested elsewhere
        "LOGIN_RATE_LIMIT_IP": "1000 per minute",
        "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
    }
    env.pop("TEST_DATABASE_URL", None)
    _flask(env, "db-upgrade")
    _flask(env, "seed-demo")
    _flask(env, "dev-pki")  # keys, PINs and decisions waiting for phochutich1's signature
    consumer = Path(sys.executable).with_name("huey_consumer")
    worker_log = open(var_dir / "worker.log", "wb")  # noqa: SIM115 - closed at teardown
    # the worker signs, delivers, and serves the development PKI's TSA/OCSP/CRL
    worker = subprocess.Popen(
        [str(consumer), "backend.worker.huey", "--workers", "2", "--worker-type", "thread"],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(var_dir / "gunicorn.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "backend.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    VAR_DIRS[base] = var_dir
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(
                "gunicorn did not start:\n" + (var_dir / "gunicorn.log").read_text()[-4000:]
            )
        time.sleep(0.2)
    yield base
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
    worker_log.close()
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# -- the API, as the other people of the demo agency ---------------------------------------


@dataclass
class ApiUser:
    base: str
    username: str
    token: str
    user: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=30, **kw)

    def post(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return requests.post(
            self.base + path, headers={**self.headers, **(headers or {})}, timeout=30, **kw
        )

    def put(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return requests.put(
            self.base + path, headers={**self.headers, **(headers or {})}, timeout=30, **kw
        )

    def patch(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return requests.patch(
            self.base + path, headers={**self.headers, **(headers or {})}, timeout=30, **kw
        )

    def delete(self, path: str, **kw: Any):
        return requests.delete(self.base + path, headers=self.headers, timeout=30, **kw)


_sessions: dict[tuple[str, str], ApiUser] = {}


def api_login(base: str, username: str) -> ApiUser:
    """Signed in through the API (once per person and server: tokens outlive the suite)."""
    if (base, username) in _sessions:
        return _sessions[(base, username)]
    r = requests.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": PASSWORD, "device_name": "e2e"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    _sessions[(base, username)] = ApiUser(base, username, body["access_token"], body["user"])
    return _sessions[(base, username)]


def user_id(base: str, viewer: ApiUser, username: str) -> int:
    org = viewer.user["memberships"][0]["organisation_id"]
    people = viewer.get(f"/api/organisations/{org}/users").json()
    return next(p["id"] for p in people if p["username"] == username)


def make_pdf(title: str, pages: int = 2) -> bytes:
    """A small PDF with visible text on each page (so a rendered page is not blank)."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font_ref = 3 + 2 * pages
    for i in range(pages):
        text = f"BT /F1 22 Tf 72 760 Td ({title} - trang {i + 1}) Tj ET".encode()
        lines = b"".join(f"72 {700 - 30 * k} m 520 {700 - 30 * k} l S ".encode() for k in range(12))
        stream = text + b"\n" + lines
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 {font_ref} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def submit_document(
    base: str,
    subject: str,
    *,
    reviewer: str = "truongphong.kt",
    signer: str = "chutich",
    urgency: str = "hoa_toc",
    drafter: str = "chuyenvien.kt",
) -> int:
    """The specialist uploads a draft, routes it (review → sign) and submits it."""
    me = api_login(base, drafter)
    types = me.get("/api/document-types").json()
    type_id = next(t["id"] for t in types if t["code"] == "cong-van")
    r = me.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject, "urgency": urgency},
        files={"file": ("du-thao.pdf", make_pdf("CONG VAN E2E"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    steps = [
        {"kind": "review", "actors": [{"user_id": user_id(base, me, reviewer)}]},
        {"kind": "sign", "actors": [{"user_id": user_id(base, me, signer)}]},
    ]
    r = me.put(
        f"/api/documents/{doc['id']}/route",
        json={"steps": steps},
        headers={"If-Match": doc["etag"]},
    )
    assert r.status_code == 200, r.text
    r = me.post(
        f"/api/documents/{doc['id']}/submit",
        json={},
        headers={"If-Match": r.json()["etag"], "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 200, r.text
    return doc["id"]


# -- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the e2e tests: {CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def watch_csp(ctx: Any) -> list[str]:
    """Every Content-Security-Policy violation Chromium reports in this context's pages
    (it logs each as a console error: "Refused to … because it violates …")."""
    violations: list[str] = []

    def seen(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    ctx.on("console", seen)
    return violations


@pytest.fixture
def context(browser: Any, live_server: str) -> Iterator[Any]:
    ctx = browser.new_context(base_url=live_server, **PHONE)
    ctx.set_default_timeout(10_000)
    violations = watch_csp(ctx)
    yield ctx
    ctx.close()
    if violations:
        pytest.fail("the browser reported CSP violations:\n" + "\n".join(violations))


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def sign_in(page: Any, username: str) -> None:
    page.goto("/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("tab", name="Chờ xử lý").wait_for()
