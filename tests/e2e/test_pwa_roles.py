"""The app for every role, continued (issue 14): what each role is shown, a returned draft
and a consultation, extensions, an incoming duplicate refused, and the fixes found by
trying today's screens as a new user: offline reading of what the inbox shows (11), a
fresh inbox after the queue is sent (12), what a failed push subscription says (13), the
phone's header, tabs and buttons at 390 px (14), the zoom (17)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import api_login, make_pdf, sign_in, submit_document, user_id
from tests.e2e.test_pwa_phone import shot


def unique(subject: str) -> str:
    return f"{subject} {uuid.uuid4().hex[:6]}"


def vn_day(days: int) -> str:
    return ((datetime.now(UTC) + timedelta(hours=7)).date() + timedelta(days=days)).isoformat()


def nav_links(page) -> list[str]:
    return page.locator("nav.bottom-nav a").all_inner_texts()


def test_each_role_sees_its_own_sections(browser, live_server):
    """Leader, specialist, clerk: the sections, tabs and buttons their role may use — no
    more (the server refuses the rest: tests/test_permissions.py)."""
    from tests.e2e.conftest import PHONE

    seen = {}
    for username in ("phochutich1", "chuyenvien.kt", "vanthu", "truongphong.kt"):
        ctx = browser.new_context(base_url=live_server, **PHONE)
        ctx.set_default_timeout(10_000)
        page = ctx.new_page()
        sign_in(page, username)
        seen[username] = (
            [x.split("\n")[0].strip() for x in nav_links(page)],
            [t.split("\n")[0] for t in page.get_by_role("tab").all_inner_texts()],
        )
        if username == "phochutich1":
            page.get_by_role("link", name="Sổ văn bản").click()
            # leaders read the secret series too
            expect(page.get_by_role("button", name="Mật")).to_be_visible()
        ctx.close()
    assert seen["phochutich1"] == (
        ["Văn bản", "Tổng quan", "Giao việc", "Lịch", "Sổ văn bản"],
        ["Chờ xử lý", "Chờ ký", "Đã xử lý", "Theo dõi"],
    )
    assert seen["chuyenvien.kt"] == (
        ["Văn bản", "Soạn thảo", "Việc được giao", "Lịch"],
        ["Chờ xử lý", "Đã xử lý", "Theo dõi"],
    )
    assert seen["vanthu"] == (
        ["Văn bản", "Văn bản đến", "Lịch", "Sổ văn bản"],
        ["Chờ xử lý", "Đã xử lý", "Theo dõi"],
    )
    assert seen["truongphong.kt"][0] == [
        "Văn bản",
        "Tổng quan",
        "Soạn thảo",
        "Việc được giao",
        "Lịch",
    ]
    assert "Chờ ký" in seen["truongphong.kt"][1]  # heads sign too


def test_returned_draft_is_revised_and_resubmitted_and_a_consultation_answered(
    page, context, live_server, tmp_path
):
    """A consultation answered from its own button; the return's reason up front for the
    drafter, "upload the revised version" first, then submit again (it resumes at the
    head), and withdraw while nobody has acted."""
    subject = unique("Báo cáo tình hình kinh tế quý IV")
    drafter = api_login(live_server, "chuyenvien.kt")
    types = drafter.get("/api/document-types").json()
    type_id = next(t["id"] for t in types if t["code"] == "bao-cao")
    r = drafter.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject},
        files={"file": ("bao-cao.pdf", make_pdf("BAO CAO"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    steps = [
        {
            "kind": "consult",
            "actors": [{"user_id": user_id(live_server, drafter, "truongphong.vx")}],
        },
        {
            "kind": "review",
            "actors": [{"user_id": user_id(live_server, drafter, "truongphong.kt")}],
        },
        {"kind": "sign", "actors": [{"user_id": user_id(live_server, drafter, "chutich")}]},
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

    # the consulted head answers with the button of a consultation
    sign_in(page, "truongphong.vx")
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    toolbar = page.get_by_role("toolbar")
    expect(toolbar.get_by_role("button", name="Đồng ý")).to_have_count(0)
    toolbar.get_by_role("button", name="Cho ý kiến").click()
    dialog = page.get_by_role("dialog", name="Cho ý kiến")
    dialog.get_by_role("button", name="Gửi").click()
    expect(dialog.get_by_role("alert")).to_have_text("Vui lòng nhập nội dung.")
    dialog.get_by_label("Ý kiến của bạn").fill("Phòng VHXH thống nhất, đề nghị bổ sung số liệu.")
    dialog.get_by_role("button", name="Gửi").click()
    expect(page.get_by_role("status").filter(has_text="Đã gửi ý kiến.")).to_be_visible()
    events = drafter.get(f"/api/documents/{doc['id']}/timeline").json()
    assert ("reply", "Phòng VHXH thống nhất, đề nghị bổ sung số liệu.") in [
        (e.get("action"), e.get("text")) for e in events
    ]

    # the head returns it
    head = api_login(live_server, "truongphong.kt")
    etag = head.get(f"/api/documents/{doc['id']}").json()["etag"]
    r = head.post(
        f"/api/documents/{doc['id']}/return",
        json={"reason": "Bổ sung số liệu tháng 12."},
        headers={"If-Match": etag, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 200, r.text

    context.clear_cookies()
    page.evaluate("indexedDB.deleteDatabase('trinhky')")
    sign_in(page, "chuyenvien.kt")
    page.goto(f"/documents/{doc['id']}")
    banner = page.locator(".returned-banner")
    expect(banner).to_contain_text("Bị trả lại bởi Hoàng Thị Lan")
    expect(banner).to_contain_text("Bổ sung số liệu tháng 12.")
    toolbar = page.get_by_role("toolbar")
    expect(toolbar.get_by_role("button").first).to_have_text("Tải lên bản đã sửa")
    shot(page, "10-returned-draft")
    toolbar.get_by_role("button", name="Tải lên bản đã sửa").click()
    revised = tmp_path / "bao-cao-sua.pdf"
    revised.write_bytes(make_pdf("BAO CAO DA SUA", 3))
    page.locator("#draft-file").set_input_files(str(revised))
    page.get_by_label("Ghi chú (không bắt buộc)").fill("Đã bổ sung số liệu.")
    page.get_by_role("button", name="Tải lên phiên bản mới").click()
    expect(page.get_by_role("status").filter(has_text="Đã tải lên phiên bản 2.")).to_be_visible()
    page.get_by_role("toolbar").get_by_role("button", name="Trình lại").click()
    page.get_by_role("dialog").get_by_role("button", name="Trình lại").click()
    expect(page.locator(".doc-marks .mark-status")).to_have_text("Đang trình")
    prompt = page.get_by_role("dialog", name="Nhận thông báo khi có văn bản mới cần xử lý?")
    prompt.get_by_role("button", name="Để sau").click()
    again = drafter.get(f"/api/documents/{doc['id']}").json()
    assert again["status"] == "in_review" and again["current_version"] == 2
    waiting = [
        i["document"]["id"] for i in head.get("/api/inbox/waiting?limit=100").json()["items"]
    ]
    assert doc["id"] in waiting  # resumed at the step that returned it

    # nobody acted since: withdrawn back to a draft
    page.get_by_role("toolbar").get_by_role("button", name="Rút lại").click()
    page.get_by_role("dialog").get_by_role("button", name="Rút lại").click()
    expect(page.locator(".doc-marks .mark-status")).to_have_text("Dự thảo")
    assert drafter.get(f"/api/documents/{doc['id']}").json()["status"] == "draft"


def test_extension_asked_by_the_head_and_accepted_by_the_leader(browser, live_server):
    from tests.e2e.conftest import PHONE
    from tests.e2e.test_pwa_phone import incoming_for_leader

    subject = unique("Về việc rà soát thủ tục hành chính")
    doc = incoming_for_leader(live_server, subject, "phochutich1")
    leader = api_login(live_server, "phochutich1")
    etag = leader.get(f"/api/documents/{doc}").json()["etag"]
    org = leader.user["memberships"][0]["organisation_id"]
    kt = next(
        u["id"]
        for u in leader.get(f"/api/organisations/{org}/units").json()
        if u["abbreviation"] == "KT"
    )
    r = leader.post(
        f"/api/documents/{doc}/assignments",
        json={
            "text": "Giao Phòng Kinh tế rà soát.",
            "lead": {"unit_id": kt, "deadline": vn_day(5)},
        },
        headers={"If-Match": etag, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    lead = r.json()["assignments"][0]["id"]

    ctx = browser.new_context(base_url=live_server, **PHONE)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    sign_in(page, "truongphong.kt")
    page.goto(f"/assignments/{lead}")
    page.get_by_role("toolbar").get_by_role("button", name="Thêm").click()
    page.get_by_role("dialog").get_by_role("button", name="Xin gia hạn").click()
    dialog = page.get_by_role("dialog", name="Xin gia hạn")
    dialog.get_by_label("Xin gia hạn đến ngày").fill(vn_day(12))
    dialog.get_by_label("Lý do").fill("Chờ số liệu của các huyện.")
    dialog.get_by_role("button", name="Gửi").click()
    expect(page.get_by_text("Đã gửi đề nghị gia hạn.")).to_be_visible()
    expect(page.locator("section", has_text="Gia hạn")).to_contain_text("Chờ quyết định")
    ctx.close()

    ctx = browser.new_context(base_url=live_server, **PHONE)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    sign_in(page, "phochutich1")
    page.get_by_role("link", name="Giao việc").click()
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    page.get_by_role("toolbar").get_by_role("button", name="Duyệt gia hạn").click()
    dialog = page.get_by_role("dialog", name="Quyết định gia hạn")
    expect(dialog).to_contain_text("Chờ số liệu của các huyện.")
    shot(page, "11-extension-decision")
    dialog.get_by_role("button", name="Đồng ý gia hạn").click()
    expect(page.get_by_text("Đã trả lời đề nghị gia hạn.")).to_be_visible()
    ctx.close()
    node = leader.get(f"/api/assignments/{lead}").json()
    assert node["deadline"] == vn_day(12) and node["original_deadline"] == vn_day(5)
    assert node["extensions"][0]["status"] == "accepted"


def test_incoming_signature_check_duplicate_alert_and_refusal(page, live_server, tmp_path):
    """A signed PDF's signature in plain words before registering; the same number again
    from the same sender: the alert names the earlier entry; refused with a reason."""
    from tests.e2e.test_pwa_phone import submit_decision_for_signature

    clerk = api_login(live_server, "vanthu")
    # a PDF signed by the leader through the API's own flow (PIN, worker)
    signer = api_login(live_server, "phochutich1")
    target = submit_decision_for_signature(live_server, unique("Quyết định giao chỉ tiêu"))
    r = signer.post("/api/signing-requests", json={"document_ids": [target]})
    assert r.status_code == 201, r.text
    req = r.json()["id"]
    r = signer.post(
        f"/api/signing-requests/{req}/authorize", json={"method": "pin", "code": "123456"}
    )
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while signer.get(f"/api/signing-requests/{req}").json()["state"] != "completed":
        assert time.monotonic() < deadline, "signing did not complete"
        time.sleep(0.5)
    signed = signer.get(f"/api/documents/{target}").json()
    main = next(f for f in signed["files"] if f["kind"] == "main")
    pdf = tmp_path / "da-ky.pdf"
    pdf.write_bytes(signer.get(f"/api/documents/{target}/files/{main['id']}").content)

    number = f"{uuid.uuid4().int % 9000 + 1}/UBND-VP"
    sign_in(page, "vanthu")
    page.get_by_role("link", name="Văn bản đến").click()
    page.get_by_role("link", name="Vào sổ văn bản đến").click()
    page.locator("#in-file").set_input_files(str(pdf))
    check = page.locator(".sig-check")
    expect(check).to_contain_text("Chữ ký số hợp lệ: Lê Thị Hồng Hạnh", timeout=30_000)
    shot(page, "12-incoming-signature-check")

    def fill(subject: str) -> None:
        page.get_by_label("Nơi gửi (cơ quan ban hành)").fill("Ủy ban nhân dân huyện Nam Đàn")
        page.get_by_label("Số, ký hiệu của văn bản").fill(number)
        page.get_by_label("Loại văn bản").select_option(label="Công văn")
        page.get_by_label("Trích yếu").fill(subject)

    first = unique("Về việc xin chủ trương đầu tư")
    fill(first)
    page.get_by_role("button", name="Vào sổ", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=first)).to_be_visible()

    page.goto("/incoming/new")
    page.locator("#in-file").set_input_files(str(pdf))
    second = unique("Về việc xin chủ trương đầu tư (gửi lại)")
    fill(second)
    page.get_by_role("button", name="Vào sổ", exact=True).click()
    alert = page.get_by_role("alert").filter(has_text="Có thể đã vào sổ rồi")
    expect(alert).to_contain_text(number)
    expect(alert.get_by_role("link", name=re.compile("Số đến"))).to_be_visible()
    shot(page, "13-incoming-duplicate")
    alert.get_by_role("button", name="Từ chối tiếp nhận").click()
    dialog = page.get_by_role("dialog", name="Từ chối tiếp nhận văn bản")
    dialog.get_by_role("button", name="Từ chối tiếp nhận").click()
    expect(dialog.get_by_role("alert")).to_have_text("Vui lòng nhập lý do trả lại.")
    dialog.get_by_label("Lý do từ chối").fill("Trùng văn bản đã vào sổ.")
    dialog.get_by_role("button", name="Từ chối tiếp nhận").click()
    expect(page.get_by_text("Đã từ chối tiếp nhận văn bản.")).to_be_visible()
    refused = next(
        d
        for d in clerk.get("/api/documents?direction=incoming&status=refused&mine=true").json()[
            "items"
        ]
        if d["subject"] == second
    )
    page.goto(f"/documents/{refused['id']}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Từ chối tiếp nhận")
    expect(timeline).to_contain_text("Trùng văn bản đã vào sổ.")
    expect(timeline).not_to_contain_text("refuse")


def test_offline_a_document_never_opened_can_be_read(page, context, live_server):
    """Point 11: the first documents of the inbox are kept (the document, its route and
    timeline, the first pages at this width) in idle time after the list loads."""
    subject = unique("Kế hoạch phòng chống thiên tai năm 2027")
    doc = submit_document(live_server, subject, urgency="hoa_toc")
    sign_in(page, "truongphong.kt")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.get_by_role("listitem").filter(has_text=subject)).to_be_visible()
    page.reload()  # controlled by the worker; the list is fresh: the keeping starts
    expect(page.get_by_role("listitem").filter(has_text=subject)).to_be_visible()
    kept = """(doc) => new Promise((resolve) => {
        const open = indexedDB.open("trinhky");
        open.onsuccess = () => {
            const tx = open.result.transaction(["cache", "images"]);
            const json = tx.objectStore("cache").getAllKeys();
            const images = tx.objectStore("images").getAllKeys();
            tx.oncomplete = () =>
                resolve(
                    json.result.includes(`/api/documents/${doc}`) &&
                        images.result.some((k) => String(k).startsWith(`/api/documents/${doc}/`)),
                );
            tx.onerror = () => resolve(false);
        };
        open.onerror = () => resolve(false);
    })"""
    deadline = time.monotonic() + 30
    while not page.evaluate(kept, doc):  # the keeping runs in idle time after the list
        assert time.monotonic() < deadline, "the inbox's documents were not kept for offline"
        page.wait_for_timeout(500)
    context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_text("Không có mạng — đang xem bản đã lưu trên máy.")).to_be_visible()
        page.get_by_role("link", name=re.compile(re.escape(subject))).click()
        expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
        image = page.get_by_role("img", name="Trang 1 / 2")
        expect(image).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.querySelector('.page img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
    finally:
        context.set_offline(False)


def test_after_the_queued_approval_is_sent_the_inbox_is_fresh(page, context, live_server):
    """Point 12: approved offline, back to the inbox (the kept copy, the banner, the row
    marked Chờ gửi); the network returns: banner and document go without a reload."""
    subject = unique("Đề án phát triển du lịch cộng đồng")
    submit_document(live_server, subject, urgency="khan")
    sign_in(page, "truongphong.kt")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    context.set_offline(True)
    page.get_by_role("toolbar").get_by_role("button", name="Đồng ý").click()
    page.get_by_role("dialog").get_by_role("button", name="Đồng ý").click()
    expect(page.locator(".notice-pending")).to_contain_text("Đồng ý")
    page.get_by_role("button", name="Quay lại").click()
    banner = page.get_by_text("Không có mạng — đang xem bản đã lưu trên máy.")
    expect(banner).to_be_visible()
    row = page.get_by_role("listitem").filter(has_text=subject)
    expect(row.get_by_text("Chờ gửi")).to_be_visible()
    # point 14: offline with a queue, the header stays one line with the bell and settings
    bar = page.locator("header.topbar").bounding_box()
    assert bar["height"] <= 64, bar
    for name in ("Thông báo", "Cài đặt"):
        box = page.get_by_role("link", name=re.compile(name)).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    expect(page.locator(".status-strip")).to_contain_text("1 thao tác chờ gửi")
    shot(page, "14-offline-queue-inbox")
    context.set_offline(False)
    expect(banner).to_have_count(0, timeout=20_000)
    expect(row).to_have_count(0)
    expect(page.locator(".status-strip")).to_have_count(0)


def test_a_failed_push_subscription_says_what_failed(page, context, live_server):
    """Point 13: the browser's push service refusing is not "no network"."""
    context.grant_permissions(["notifications"], origin=live_server)
    page.add_init_script(
        """PushManager.prototype.subscribe = () => Promise.reject(
             new DOMException("Registration failed - push service error", "AbortError"));"""
    )
    sign_in(page, "truongphong.kt")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("button", name="Bật thông báo").click()
    toast = page.locator(".toast-error")
    expect(toast).to_contain_text("Dịch vụ thông báo của trình duyệt từ chối đăng ký (AbortError)")
    expect(toast).not_to_contain_text("Không có kết nối mạng")


def test_phone_tabs_buttons_and_chips_fit(page, live_server):
    """Point 14 at 390 px: four tabs and their badges on screen, the decision bar's
    labels on one line, the notifications heading on one line, 44 px language chips."""
    page.goto("/")
    for chip in page.locator(".lang-switch .chip-button").all():
        assert chip.bounding_box()["height"] >= 44
    subject = unique("Về việc kiểm tra công tác cải cách hành chính")
    submit_document(live_server, subject)
    sign_in(page, "truongphong.kt")
    expect(page.get_by_role("tab")).to_have_count(4)
    for tab in page.get_by_role("tab").all():
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        label = tab.locator(".tab-label")
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), tab.inner_text()
    for badge in page.locator(".tab .badge").all():
        box = badge.bounding_box()
        assert box["x"] + box["width"] <= 390, box
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    for button in page.get_by_role("toolbar").get_by_role("button").all():
        assert button.evaluate("e => e.scrollWidth <= e.clientWidth"), button.inner_text()
        assert button.bounding_box()["height"] <= 56, button.inner_text()
    page.get_by_role("link", name=re.compile("^Thông báo")).click()
    heading = page.get_by_role("heading", level=1, name="Thông báo")
    expect(heading).to_be_visible()
    assert heading.bounding_box()["height"] < 50
    page.get_by_role("link", name="Cài đặt").click()
    for chip in page.locator(".lang-switch .chip-button").all():
        assert chip.bounding_box()["height"] >= 44


def test_zoom_buttons_and_double_tap(page, live_server):
    """Point 17: 200 % fetches sharper images and scrolls sideways; a double tap zooms
    in at that point and another one back to the width of the screen."""
    subject = unique("Quy hoạch mạng lưới trường học")
    submit_document(live_server, subject)
    sign_in(page, "truongphong.kt")
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    first = page.locator('.page[data-page="1"] img')
    expect(first).to_be_visible()
    page.wait_for_function("() => document.querySelector('.page img')?.naturalWidth > 0")
    fit_width = first.evaluate("i => i.naturalWidth")
    pages = page.locator(".pages")
    box = pages.bounding_box()
    page.get_by_role("button", name="200%").click()
    expect(page.get_by_role("button", name="200%")).to_have_attribute("aria-pressed", "true")
    expect(pages).to_have_attribute("data-zoom", "2")
    page.wait_for_function(
        f"() => document.querySelector('.page[data-page=\"1\"] img')?.naturalWidth > {fit_width}"
    )
    assert pages.evaluate("e => e.scrollWidth") >= 1.9 * box["width"]
    page.get_by_role("button", name="Vừa màn hình").click()
    expect(pages).to_have_attribute("data-zoom", "1")
    # double tap on the page
    target = page.locator('.page[data-page="1"]').bounding_box()
    x, y = target["x"] + target["width"] * 0.7, target["y"] + 100
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(80)
    page.touchscreen.tap(x, y)
    expect(pages).to_have_attribute("data-zoom", "2")
    assert pages.evaluate("e => e.scrollLeft") > 0  # the tapped point, not the left edge
    shot(page, "15-zoomed")
    page.wait_for_timeout(400)
    target = page.locator('.page[data-page="1"]').bounding_box()
    tap_x, tap_y = 200, max(target["y"], 0) + 120
    page.touchscreen.tap(tap_x, tap_y)
    page.wait_for_timeout(80)
    page.touchscreen.tap(tap_x, tap_y)
    expect(pages).to_have_attribute("data-zoom", "1")
