"""The app under its Content-Security-Policy: every screen, at a phone's and a desktop's
size, with no violation reported by Chromium (the `context` fixture fails any test whose
pages report one); and the watcher itself catches a violation when there is one."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sign_in, submit_document, watch_csp


def test_the_csp_watcher_sees_a_violation(browser: Any, live_server: str):
    """The check that guards every e2e test can fail: an inline script is refused by the
    policy and reported."""
    ctx = browser.new_context(base_url=live_server, **PHONE)
    violations = watch_csp(ctx)
    page = ctx.new_page()
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    injected = page.evaluate("() => window.injected === true")
    ctx.close()
    assert not injected
    assert violations and "script-src" in violations[0]


def _walk_every_screen(page: Any, subject: str) -> None:
    for tab in ("Chờ ký", "Đã xử lý", "Theo dõi", "Chờ xử lý"):
        page.get_by_role("tab", name=re.compile(tab)).click()
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt^=\"Trang 1\"]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    for path in ("/notifications", "/devices", "/settings"):
        page.goto(path)
        page.wait_for_load_state("networkidle")


def test_every_screen_keeps_the_policy(page: Any, browser: Any, live_server: str):
    shell = requests.get(live_server + "/", timeout=10)
    policy = shell.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert shell.headers["X-Content-Type-Options"] == "nosniff"

    subject = f"Về việc kiểm tra chính sách bảo mật ({uuid.uuid4().hex[:6]})"
    submit_document(live_server, subject, urgency="khan")
    sign_in(page, "truongphong.kt")
    _walk_every_screen(page, subject)

    desktop = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 800}, locale="vi-VN"
    )
    violations = watch_csp(desktop)
    wide = desktop.new_page()
    sign_in(wide, "truongphong.kt")
    _walk_every_screen(wide, subject)
    # the API's interactive docs (Swagger UI, started by an inline script allowed by hash)
    wide.goto("/api/docs")
    wide.locator(".swagger-ui .opblock").first.wait_for()
    desktop.close()
    assert not violations, violations
