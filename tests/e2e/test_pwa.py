"""The PWA on a phone: sign in, read, decide (also offline), install, switch language."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import PWA, api_login, sign_in, submit_document

REVIEWER = "truongphong.kt"


def unique(subject: str) -> str:
    return f"{subject} ({uuid.uuid4().hex[:6]})"


def open_document(page, subject: str) -> None:
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()


def waiting_ids(base: str, username: str) -> list[int]:
    me = api_login(base, username)
    r = me.get("/api/inbox/waiting?limit=100")
    assert r.status_code == 200, r.text
    return [item["document"]["id"] for item in r.json()["items"]]


def actions_of(base: str, document_id: int) -> list[tuple[str, str, str]]:
    drafter = api_login(base, "chuyenvien.kt")
    events = drafter.get(f"/api/documents/{document_id}/timeline").json()
    return [
        (e.get("action", ""), e["actor"]["full_name"], e.get("text") or "")
        for e in events
        if e["kind"] == "action"
    ]


def test_sign_in_read_and_approve(page, live_server):
    subject = unique("Về việc phòng chống cơn bão số 9")
    doc = submit_document(live_server, subject, urgency="hoa_toc")

    sign_in(page, REVIEWER)
    row = page.get_by_role("listitem").filter(has_text=subject)
    expect(row).to_be_visible()
    expect(row.get_by_text("Hỏa tốc")).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("Chờ xử lý"))).to_have_attribute(
        "aria-selected", "true"
    )

    open_document(page, subject)
    expect(page.get_by_text("Công văn").first).to_be_visible()
    image = page.get_by_role("img", name="Trang 1 / 2")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt=\"Trang 1 / 2\"]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    # the image was rendered for this phone: 390 CSS px at 2x, rounded up by the server
    assert page.evaluate("document.querySelector('img[alt=\"Trang 1 / 2\"]').naturalWidth") >= 700
    expect(page.get_by_role("heading", name="Quá trình xử lý")).to_be_visible()

    page.get_by_role("toolbar").get_by_role("button", name="Đồng ý").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý, trình Chủ tịch ký.")
    dialog.get_by_role("button", name="Đồng ý").click()
    expect(page.get_by_role("status").filter(has_text="Đã đồng ý văn bản.")).to_be_visible()

    # back in the inbox, the document has left Chờ xử lý
    expect(page.get_by_role("tab", name=re.compile("Chờ xử lý"))).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=subject)).to_have_count(0)
    assert doc not in waiting_ids(live_server, REVIEWER)
    assert ("approve", "Hoàng Thị Lan", "Đồng ý, trình Chủ tịch ký.") in actions_of(
        live_server, doc
    )
    # after the first decision (never on first load) the app offers push notifications
    prompt = page.get_by_role("dialog", name="Nhận thông báo khi có văn bản mới cần xử lý?")
    expect(prompt).to_be_visible()
    prompt.get_by_role("button", name="Để sau").click()
    expect(prompt).to_have_count(0)
    # and it is in Đã xử lý
    page.get_by_role("tab", name="Đã xử lý").click()
    expect(page.get_by_role("listitem").filter(has_text=subject)).to_be_visible()


def test_return_needs_a_reason(page, live_server):
    subject = unique("Báo cáo tình hình kinh tế - xã hội")
    doc = submit_document(live_server, subject, urgency="normal")
    sign_in(page, REVIEWER)
    open_document(page, subject)

    page.get_by_role("toolbar").get_by_role("button", name="Trả lại").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Trả lại").click()
    expect(dialog.get_by_role("alert")).to_have_text("Vui lòng nhập lý do trả lại.")
    assert doc in waiting_ids(live_server, REVIEWER)  # nothing was sent

    dialog.get_by_label("Lý do trả lại").fill("Chưa đúng thể thức, đề nghị sửa lại.")
    dialog.get_by_role("button", name="Trả lại").click()
    expect(page.get_by_role("status").filter(has_text="Đã trả lại văn bản.")).to_be_visible()
    assert ("return", "Hoàng Thị Lan", "Chưa đúng thể thức, đề nghị sửa lại.") in actions_of(
        live_server, doc
    )


def test_offline_decision_waits_then_reaches_the_server(page, context, live_server):
    """Opened once online (so it is kept), read again with no network after a reload,
    approved offline → Chờ gửi; back online the approval reaches the server exactly once
    (Background Sync and the page's `online` replay share one idempotency key)."""
    subject = unique("Kế hoạch chuyển đổi số năm 2027")
    doc = submit_document(live_server, subject, urgency="khan")
    sign_in(page, REVIEWER)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    open_document(page, subject)
    # page 1 shown (pages load in parallel: page 2 may finish first)
    page.wait_for_function(
        "() => { const i = document.querySelector('.page img[alt=\"Trang 1 / 2\"]');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    expect(page.get_by_role("heading", name="Quá trình xử lý")).to_be_visible()

    context.set_offline(True)
    page.reload()  # the shell from the precache, the document from IndexedDB
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    expect(
        page.get_by_text("Không có mạng — đang xem bản đã lưu trên máy.", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("img", name="Trang 1 / 2")).to_be_visible()
    page.get_by_role("toolbar").get_by_role("button", name="Đồng ý").click()
    page.get_by_role("dialog").get_by_role("button", name="Đồng ý").click()
    expect(page.get_by_text("Chờ gửi").first).to_be_visible()
    expect(page.locator(".notice-pending")).to_contain_text("Đồng ý")
    assert doc in waiting_ids(live_server, REVIEWER)  # not sent yet

    context.set_offline(False)
    expect(page.locator(".notice-pending")).to_have_count(0, timeout=15_000)
    assert doc not in waiting_ids(live_server, REVIEWER)
    page.wait_for_timeout(500)  # room for a second replay, were there one
    approvals = [who for a, who, _ in actions_of(live_server, doc) if a == "approve"]
    assert approvals == ["Hoàng Thị Lan"]


def test_service_worker_manifest_and_offline_shell(page, context, live_server):
    page.goto("/")
    script = page.evaluate("async () => (await navigator.serviceWorker.ready).active.scriptURL")
    assert script == f"{live_server}/sw.js"

    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = requests.get(live_server + href, timeout=10).json()
    assert manifest["name"] == "Trình Ký" and manifest["short_name"]
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    sizes = set()
    purposes = set()
    for icon in manifest["icons"]:
        r = requests.get(live_server + icon["src"], timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
        width, height = struct.unpack(">II", r.content[16:24])  # the PNG IHDR
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(icon["sizes"])
        purposes.add(icon.get("purpose", "any"))
    assert {"192x192", "512x512"} <= sizes and "maskable" in purposes

    for name in ("/", "/sw.js", "/manifest.webmanifest"):
        assert requests.get(live_server + name, timeout=10).headers["Cache-Control"] == "no-cache"

    # the app shell comes from the precache when the network is gone
    page.reload()
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="Đăng nhập Trình Ký")).to_be_visible()
        page.goto("/documents/999")  # any app path is the shell
        expect(page.locator("#app")).not_to_be_empty()
    finally:
        context.set_offline(False)


def test_language_switch(page, live_server):
    page.goto("/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()  # the choice is kept
    expect(page.get_by_role("heading", name="Sign in to Trình Ký")).to_be_visible()
    page.get_by_label("Username").fill(REVIEWER)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()


def test_client_uses_only_endpoints_the_api_has(live_server):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for pwa/scripts/check-api.mjs")
    done = subprocess.run(
        [node, "scripts/check-api.mjs", f"{live_server}/api/openapi.json"],
        cwd=PWA,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_expired_access_token_is_refreshed_once(page, live_server):
    """Several calls fail with 401 at once: one refresh (serialised), the calls succeed,
    and the device is not revoked for a reused refresh token."""
    sign_in(page, REVIEWER)
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("trinhky");
            open.onsuccess = () => {
                const tx = open.result.transaction("kv", "readwrite");
                const kv = tx.objectStore("kv");
                const get = kv.get("auth");
                get.onsuccess = () => kv.put({ ...get.result, access_token: "expired" }, "auth");
                tx.oncomplete = () => resolve(true);
                tx.onerror = () => reject(tx.error);
            };
        })"""
    )
    refreshes = []  # the service worker's requests too (context-wide)
    page.context.on(
        "request",
        lambda r: refreshes.append(r.url) if r.url.endswith("/api/auth/refresh") else None,
    )
    page.reload()
    expect(page.get_by_role("tab", name=re.compile("Chờ xử lý"))).to_be_visible()
    # leaving the page while the refresh is on the wire must not lose the rotated pair
    # (the service worker finishes it); presenting the used refresh token would revoke
    # the device
    page.goto("/devices")
    expect(page.get_by_text("Thiết bị này", exact=True)).to_be_visible()
    this_device = page.get_by_role("listitem").filter(has_text="Thiết bị này")
    expect(this_device.get_by_role("button", name=re.compile("Thu hồi"))).to_be_visible()
    assert len(refreshes) == 1


def test_batch_signing_with_the_pin(page, live_server):
    """The vice-chairman selects what waits for her signature, confirms once with her
    PIN, watches each document complete; the signatures validate."""
    signer = api_login(live_server, "phochutich1")
    waiting = signer.get("/api/inbox/waiting?step_kind=sign&limit=100").json()["items"]
    assert len(waiting) >= 2, "dev-pki seeds decisions waiting for this signature"
    sign_in(page, "phochutich1")
    page.get_by_role("tab", name=re.compile("Chờ ký")).click()
    page.get_by_label("Chọn tất cả").check()
    page.get_by_role("button", name=f"Ký {len(waiting)} văn bản").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Mã", exact=True).fill("123456")
    dialog.get_by_role("button", name="Ký", exact=True).click()
    expect(dialog.get_by_text("Đã ký xong.")).to_be_visible(timeout=60_000)
    for item in waiting:
        document_id = item["document"]["id"]
        assert signer.get(f"/api/documents/{document_id}").json()["status"] == "signed"
        report = signer.get(f"/api/documents/{document_id}/signatures").json()
        assert report["ok"], report
        assert report["report"]["signatures"][0]["signer"] == "Lê Thị Hồng Hạnh"
