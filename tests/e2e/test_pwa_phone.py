"""The PWA on a phone, continued: instruction with a quick phrase, signing one document
with the PIN, a push notification that opens the document, and a screenshot of every
screen (tests/artifacts/screens/, for people to look at; nothing compares them)."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from signing.samples import decision, draft
from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ROOT,
    api_login,
    make_pdf,
    sign_in,
    submit_document,
    user_id,
)

SCREENS = ROOT / "tests" / "artifacts" / "screens"
REVIEWER = "truongphong.kt"
SIGNER = "phochutich1"
SIGNER_NAME = "Lê Thị Hồng Hạnh"


def unique(subject: str) -> str:
    return f"{subject} ({uuid.uuid4().hex[:6]})"


def shot(page, name: str) -> Path:
    """A full-page screenshot of the phone screen as it is now."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, animations="disabled")
    assert path.stat().st_size > 5_000, f"{name}: an empty screenshot?"
    return path


def submit_decision_for_signature(
    base: str,
    subject: str,
    signer: str = SIGNER,
    signer_name: str = SIGNER_NAME,
    pdf: bytes | None = None,
) -> int:
    """A decision (its PDF prints the signer's full name, where the signature goes, unless
    another ``pdf`` is given) routed straight to the leader's signature, then to the
    clerk for issuing."""
    drafter = api_login(base, "chuyenvien.kt")
    types = drafter.get("/api/document-types").json()
    type_id = next(t["id"] for t in types if t["code"] == "quyet-dinh")
    r = drafter.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject, "urgency": "khan"},
        files={
            "file": (
                "du-thao.pdf",
                pdf or decision(signer_name, subject=subject),
                "application/pdf",
            )
        },
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    steps = [
        {
            "kind": "sign",
            "actors": [{"user_id": user_id(base, drafter, signer)}],
            "signing_prefix": "KT.",
        },
        {"kind": "issue", "actors": [{"user_id": user_id(base, drafter, "vanthu")}]},
    ]
    r = drafter.put(
        f"/api/documents/{doc['id']}/route",
        json={"steps": steps},
        headers={"If-Match": doc["etag"]},
    )
    assert r.status_code == 200, r.text
    r = drafter.post(
        f"/api/documents/{doc['id']}/submit",
        json={},
        headers={"If-Match": r.json()["etag"], "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 200, r.text
    return doc["id"]


def test_instruction_with_a_quick_phrase(page, live_server):
    subject = unique("Về việc tăng cường phòng cháy chữa cháy")
    doc = submit_document(live_server, subject, urgency="thuong_khan")

    page.goto("/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    shot(page, "01-sign-in")
    sign_in(page, REVIEWER)
    expect(page.get_by_role("listitem").filter(has_text=subject)).to_be_visible()
    shot(page, "02-inbox")

    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    page.wait_for_function("() => document.querySelector('.page img')")
    shot(page, "03-document")

    page.get_by_role("toolbar").get_by_role("button", name="Chỉ đạo").click()
    dialog = page.get_by_role("dialog", name="Ý kiến chỉ đạo")
    phrases = dialog.get_by_role("group", name="Cụm từ nhanh")
    phrase = "Đề nghị bổ sung, hoàn thiện trước khi trình."
    phrases.get_by_role("button", name=phrase).click()
    expect(dialog.get_by_label("Nội dung chỉ đạo")).to_have_value(phrase)
    shot(page, "04-decide-sheet")
    dialog.get_by_role("button", name="Gửi").click()
    expect(page.get_by_role("status").filter(has_text="Đã gửi ý kiến chỉ đạo.")).to_be_visible()
    # the document view shows it in its timeline, and so does the API
    expect(page.locator(".timeline blockquote").filter(has_text=phrase)).to_be_visible()
    drafter = api_login(live_server, "chuyenvien.kt")
    events = drafter.get(f"/api/documents/{doc}/timeline").json()
    instructions = [
        (e["actor"]["full_name"], e["text"]) for e in events if e["kind"] == "instruction"
    ]
    assert instructions == [("Hoàng Thị Lan", phrase)]
    # an instruction is not a decision: the document still waits for the head
    assert drafter.get(f"/api/documents/{doc}").json()["status"] == "in_review"


def test_sign_one_document_with_the_pin(page, live_server):
    """From the document view: Ký số → PIN → signed; the signature validates and the
    document goes on to the clerk (its own decision: the batch test keeps the demo ones)."""
    subject = unique("Quyết định thành lập Ban chỉ đạo chuyển đổi số")
    doc = submit_decision_for_signature(live_server, subject)

    sign_in(page, SIGNER)
    page.get_by_role("tab", name=re.compile("Chờ ký")).click()
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    page.get_by_role("toolbar").get_by_role("button", name="Ký số").click()
    dialog = page.get_by_role("dialog", name="Ký số")
    expect(dialog.get_by_label("Mã", exact=True)).to_be_visible()
    expect(dialog.get_by_label("Mã PIN")).to_be_checked()
    shot(page, "05-sign-sheet")
    dialog.get_by_label("Mã", exact=True).fill("123456")
    dialog.get_by_role("button", name="Ký", exact=True).click()
    expect(dialog.get_by_text("Đã ký xong.")).to_be_visible(timeout=60_000)
    expect(dialog.locator(".sign-item.sign-completed")).to_have_count(1)
    expect(dialog.locator(".sign-item")).to_contain_text("Đã ký")
    # the first decision of this phone: the app offers notifications (above the sheet)
    prompt = page.get_by_role("dialog", name="Nhận thông báo khi có văn bản mới cần xử lý?")
    prompt.get_by_role("button", name="Để sau").click()
    dialog.get_by_role("button", name="Đóng").click()
    # the view reloaded: signed, no decision bar any more, the signature in plain words
    expect(page.locator(".doc-marks .mark-status")).to_have_text("Đã ký")
    expect(page.get_by_role("toolbar")).to_have_count(0)

    signer = api_login(live_server, SIGNER)
    assert signer.get(f"/api/documents/{doc}").json()["status"] == "signed"
    report = signer.get(f"/api/documents/{doc}/signatures").json()
    assert report["ok"], report
    assert report["report"]["signatures"][0]["signer"] == SIGNER_NAME
    waiting = signer.get("/api/inbox/waiting?step_kind=sign&limit=100").json()["items"]
    assert doc not in [i["document"]["id"] for i in waiting]
    clerk = api_login(live_server, "vanthu")
    assert doc in [i["document"]["id"] for i in clerk.get("/api/inbox/waiting").json()["items"]]


def test_a_document_without_the_signers_name_is_signed_where_she_taps(page, live_server):
    """In a batch, a draft that does not print the signer's name is not signed at a
    guessed place: the sheet asks where, she taps the page, and one PIN signs both."""
    named = submit_decision_for_signature(live_server, unique("Quyết định có in tên người ký"))
    subject = unique("Công văn không in tên người ký")
    unnamed = submit_decision_for_signature(
        live_server, subject, pdf=draft([[(70, 760, "Công văn gửi các sở, ban, ngành")]])
    )
    sign_in(page, SIGNER)
    page.get_by_role("tab", name=re.compile("Chờ ký")).click()
    for document_id in (named, unnamed):
        title = api_login(live_server, SIGNER).get(f"/api/documents/{document_id}").json()
        page.get_by_label(f"Chọn: {title['subject']}").check()
    page.get_by_role("button", name="Ký 2 văn bản").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Chọn chỗ ký (1/1)")).to_be_visible()
    expect(dialog.get_by_text(subject)).to_be_visible()
    image = dialog.get_by_test_id("sign-place-page")
    expect(image).to_be_visible()
    confirm = dialog.get_by_role("button", name="Ký ở chỗ này")
    expect(confirm).to_be_disabled()
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.65})  # lower right
    expect(dialog.locator(".sign-place-mark")).to_be_visible()
    shot(page, "06-sign-place")
    confirm.click()
    dialog.get_by_label("Mã", exact=True).fill("123456")
    dialog.get_by_role("button", name="Ký", exact=True).click()  # one PIN for both
    expect(dialog.get_by_text("Đã ký xong.")).to_be_visible(timeout=60_000)
    expect(dialog.locator(".sign-item.sign-completed")).to_have_count(2)
    signer = api_login(live_server, SIGNER)
    for document_id in (named, unnamed):
        assert signer.get(f"/api/documents/{document_id}").json()["status"] == "signed"
        assert signer.get(f"/api/documents/{document_id}/signatures").json()["ok"]
    # the signature sits where she tapped: right half, lower half of the page
    doc = signer.get(f"/api/documents/{unnamed}").json()
    main = next(f for f in doc["files"] if f["kind"] == "main")
    pdf = signer.get(f"/api/documents/{unnamed}/files/{main['id']}").content
    rects = [
        [float(v) for v in a.get_object()["/Rect"]]
        for a in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]
    ]
    [(x1, y1, x2, y2)] = [r for r in rects if r[2] - r[0] > 1]  # the visible signature
    assert 595 * 0.5 < (x1 + x2) / 2 < 595 * 0.9 and 842 * 0.2 < (y1 + y2) / 2 < 842 * 0.5


def test_register_a_passkey_then_sign_with_it(browser, live_server):
    """Settings → add a passkey (Chromium's virtual platform authenticator, user
    verified) → the sign sheet offers it first → one touch signs; the signature
    validates. WebAuthn needs a domain, so this phone talks to localhost."""
    signer, signer_name = "chutich", "Nguyễn Văn Thắng"
    subject = unique("Quyết định phê duyệt đề án chính quyền số")
    doc = submit_decision_for_signature(live_server, subject, signer, signer_name)
    base = live_server.replace("127.0.0.1", "localhost")
    context = browser.new_context(base_url=base, **PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        sign_in(page, signer)
        page.goto("/settings")
        page.get_by_role("link", name="Ký số: mã PIN, OTP, khóa truy cập").click()
        expect(page.get_by_role("heading", name="Khóa truy cập (passkey)")).to_be_visible()
        expect(page.get_by_text("Chưa có khóa truy cập.")).to_be_visible()
        page.locator("#passkey-password").fill(PASSWORD)
        page.get_by_role("button", name="Thêm khóa truy cập cho thiết bị này").click()
        expect(page.get_by_text("Đã thêm khóa truy cập.")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Gỡ: "))).to_have_count(1)
        shot(page, "08-passkeys")

        page.goto("/")
        page.get_by_role("tab", name=re.compile("Chờ ký")).click()
        page.get_by_role("link", name=re.compile(re.escape(subject))).click()
        page.get_by_role("toolbar").get_by_role("button", name="Ký số").click()
        dialog = page.get_by_role("dialog", name="Ký số")
        expect(dialog.get_by_label("Khóa truy cập (vân tay, khuôn mặt)")).to_be_checked()
        expect(dialog.get_by_label("Mã", exact=True)).to_have_count(0)
        dialog.get_by_role("button", name="Xác nhận bằng khóa truy cập").click()
        expect(dialog.get_by_text("Đã ký xong.")).to_be_visible(timeout=60_000)
    finally:
        context.close()

    leader = api_login(live_server, signer)
    report = leader.get(f"/api/documents/{doc}/signatures").json()
    assert report["ok"], report
    assert report["report"]["signatures"][0]["signer"] == signer_name
    [key] = leader.get("/api/me/signing-passkeys").json()
    assert key["last_used_at"] is not None


def _registration_id(cdp, page, scope: str) -> str:
    """The service worker registration's id, from the DevTools ServiceWorker domain."""
    found: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for r in found:
            if r["scopeURL"] == scope and not r["isDeleted"]:
                return r["registrationId"]
        page.wait_for_timeout(50)  # lets Playwright dispatch the CDP events
    raise AssertionError(f"no service worker registration for {scope}: {found}")


def _shown(page, tag: str) -> list[dict]:
    return page.evaluate(
        """async (tag) => {
            const registration = await navigator.serviceWorker.ready;
            const shown = await registration.getNotifications({ tag });
            return shown.map((n) => ({ title: n.title, body: n.body, url: n.data && n.data.url,
                                       requireInteraction: n.requireInteraction }));
        }""",
        tag,
    )


def test_push_shows_a_notification_that_opens_the_document(page, context, live_server):
    subject = unique("Về việc ứng phó áp thấp nhiệt đới")
    doc = submit_document(live_server, subject, urgency="hoa_toc")
    context.grant_permissions(["notifications"], origin=live_server)
    sign_in(page, REVIEWER)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    # the push the worker would send for the notification the server made for this head
    # (backend/notifications/service.py _payload): same fields, same values
    reviewer = api_login(live_server, REVIEWER)
    items = reviewer.get("/api/notifications?limit=50").json()["items"]
    note = next(n for n in items if n.get("document_id") == doc)
    payload = {
        "id": note["id"],
        "kind": note["kind"],
        "title": note["title"],
        "body": note["body"],
        "document_id": doc,
        "url": f"/documents/{doc}",
        "urgency": "hoa_toc",
        "urgent": True,
    }
    # delivered to the service worker as the push service would (no push service in a
    # test browser: the DevTools protocol hands the message to the registration)
    cdp = context.new_cdp_session(page)
    registration = _registration_id(cdp, page, f"{live_server}/")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server, "registrationId": registration, "data": json.dumps(payload)},
    )
    tag = f"document-{doc}"
    shown: list[dict] = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        shown = _shown(page, tag)
        if not shown:
            page.wait_for_timeout(100)
    assert shown == [
        {
            "title": note["title"],
            "body": note["body"],
            "url": f"/documents/{doc}",
            "requireInteraction": True,  # Hỏa tốc stays until the leader acts on it
        }
    ], shown
    assert subject in note["title"]

    # The click. No protocol clicks a system notification, so the test dispatches a
    # `notificationclick` event carrying the real notification inside the service
    # worker: the worker's own listener runs, unchanged (it starts its work before
    # waitUntil, which an event made by a script may not call — that error is the only
    # difference from a real click, and it is thrown after the work has started).
    worker = context.service_workers[0] if context.service_workers else None
    if worker is None:
        worker = context.wait_for_event("serviceworker")
    assert worker.url == f"{live_server}/sw.js"
    worker.evaluate(
        """async (tag) => {
            const [notification] = await self.registration.getNotifications({ tag });
            self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
        }""",
        tag,
    )
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    assert page.url == f"{live_server}/documents/{doc}"
    deadline = time.monotonic() + 5
    while _shown(page, tag) and time.monotonic() < deadline:  # the click closed it
        page.wait_for_timeout(100)
    assert _shown(page, tag) == []

    # the other screens, for the record
    page.get_by_role("link", name=re.compile("^Thông báo")).click()
    expect(page.get_by_role("heading", level=1, name="Thông báo")).to_be_visible()
    expect(page.get_by_text(note["title"]).first).to_be_visible()
    shot(page, "06-notifications")
    page.get_by_role("link", name="Cài đặt").click()
    expect(page.get_by_role("heading", level=1, name="Cài đặt")).to_be_visible()
    shot(page, "07-settings")
    page.get_by_role("link", name=re.compile("thiết bị", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", level=1, name="Thiết bị")).to_be_visible()
    expect(page.get_by_text("Thiết bị này", exact=True)).to_be_visible()
    shot(page, "08-devices")


def incoming_for_leader(base: str, subject: str, leader: str) -> int:
    """The clerk uploads an incoming document, registers it (số đến) and shows it to a
    leader, who assigns it."""
    clerk = api_login(base, "vanthu")
    types = clerk.get("/api/document-types").json()
    type_id = next(t["id"] for t in types if t["code"] == "cong-van")
    r = clerk.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject, "direction": "incoming"},
        files={"file": ("cong-van-den.pdf", make_pdf("CONG VAN DEN"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    r = clerk.post(
        f"/api/documents/{doc['id']}/register-incoming",
        json={
            "sender_name": "Bộ Kế hoạch và Đầu tư",
            "sender_code": "000.00.00.G11",
            "number_symbol": f"{uuid.uuid4().int % 9000 + 1}/BKHĐT-TH",
            "document_date": "2026-10-20",
        },
        headers={"If-Match": doc["etag"], "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 200, r.text
    etag = r.json()["document"]["etag"]
    r = clerk.post(
        f"/api/documents/{doc['id']}/participants",
        json={"user_id": user_id(base, clerk, leader)},
        headers={"If-Match": etag},
    )
    assert r.status_code == 201, r.text
    return doc["id"]


def test_assign_to_units(page, live_server):
    """Giao xử lý from the document view: instruction, lead unit, a cooperating unit and
    a unit kept informed, a deadline for each unit that acts."""
    subject = unique("Về việc góp ý dự thảo Luật Đầu tư công (sửa đổi)")
    leader = "phochutich2"
    doc = incoming_for_leader(live_server, subject, leader)
    vn_today = (datetime.now(UTC) + timedelta(hours=7)).date()
    lead_due = (vn_today + timedelta(days=10)).isoformat()
    coop_due = (vn_today + timedelta(days=7)).isoformat()

    sign_in(page, leader)
    page.goto(f"/documents/{doc}")
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    page.get_by_role("toolbar").get_by_role("button", name="Giao xử lý").click()
    dialog = page.get_by_role("dialog", name="Giao xử lý văn bản")
    dialog.get_by_role("button", name="Giao xử lý").click()  # nothing filled in
    expect(dialog.get_by_role("alert")).to_have_text("Vui lòng nhập nội dung.")
    text = "Giao Phòng Kinh tế chủ trì, Phòng Văn hóa - Xã hội phối hợp tham mưu văn bản góp ý."
    dialog.get_by_label("Ý kiến chỉ đạo").fill(text)
    dialog.get_by_label("Đơn vị chủ trì").select_option(label="Phòng Kinh tế")
    dialog.get_by_label("Hạn xử lý của Phòng Kinh tế").fill(lead_due)
    cooperating = dialog.get_by_role("group", name="Đơn vị phối hợp")
    expect(cooperating.get_by_role("checkbox", name="Phòng Kinh tế")).to_have_count(0)
    cooperating.get_by_role("checkbox", name="Phòng Văn hóa - Xã hội").check()
    dialog.get_by_label("Hạn xử lý của Phòng Văn hóa - Xã hội").fill(coop_due)
    informed = dialog.get_by_role("group", name="Đơn vị để biết")
    expect(informed.get_by_role("checkbox", name="Phòng Văn hóa - Xã hội")).to_be_disabled()
    informed.get_by_role("checkbox", name="Phòng Nội chính").check()
    # big targets: every checkbox row and date field is at least 44 px high
    for box in dialog.locator("label.check, input[type=date], select").all():
        assert box.bounding_box()["height"] >= 44, box
    expect(dialog.get_by_text("Giao cho 3 đơn vị")).to_be_visible()
    shot(page, "09-assign-sheet")
    dialog.get_by_role("button", name="Giao xử lý").click()
    expect(page.get_by_role("status").filter(has_text="Đã giao xử lý.")).to_be_visible()
    processing = page.locator("section", has=page.get_by_role("heading", name="Giao xử lý"))
    expect(processing.get_by_role("listitem")).to_have_count(3)
    expect(processing).to_contain_text("Chủ trì: Phòng Kinh tế")
    expect(page.get_by_role("toolbar")).to_have_count(0)  # assigned once

    me = api_login(live_server, leader)
    tree = me.get(f"/api/documents/{doc}/assignments").json()
    got = sorted((a["role"], a["unit"]["name"], a["deadline"]) for a in tree["assignments"])
    assert got == [
        ("cooperate", "Phòng Văn hóa - Xã hội", coop_due),
        ("fyi", "Phòng Nội chính", None),
        ("lead", "Phòng Kinh tế", lead_due),
    ], got
    assert tree["processing"]["lead_unit"]["name"] == "Phòng Kinh tế"
    # the instruction is the document's ý kiến chỉ đạo, in its timeline
    events = me.get(f"/api/documents/{doc}/timeline").json()
    assert [e["text"] for e in events if e["kind"] == "instruction"] == [text]
    expect(page.locator(".timeline blockquote").filter(has_text=text)).to_be_visible()
