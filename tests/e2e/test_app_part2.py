"""The app for every role, part 2 (issue 16): search, the leader's dashboard and the reports,
the work calendar, delegation, personal settings, administration and the check of a PDF
from outside — each screen driven by the role that uses it, on a phone (390×844) and at a
desk (1280×800); the other roles find no way in and the server refuses them. Screenshots go
to tests/artifacts/screens/part2-{phone,desk}-*.png."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import io
import re
import sqlite3
import struct
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from signing.samples import decision
from tests.e2e.conftest import PASSWORD, ROOT, VAR_DIRS, api_login, make_pdf, user_id

SCREENS = ROOT / "tests" / "artifacts" / "screens"
VIEWPORTS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desk": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}
LAYOUTS = pytest.mark.parametrize("layout", ["phone", "desk"])


class Screens:
    """People of the demo agency signed in on their own device at one layout."""

    def __init__(self, browser: Any, base: str, layout: str, topic: str) -> None:
        self.browser, self.base, self.layout, self.topic = browser, base, layout, topic
        self.contexts: list[Any] = []
        self.n = 0

    def person(self, username: str) -> Any:
        ctx = self.browser.new_context(
            base_url=self.base,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
            **VIEWPORTS[self.layout],
        )
        ctx.set_default_timeout(15_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.goto("/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("tab", name=re.compile("Chờ xử lý")).wait_for()
        return page

    def shot(self, page: Any, name: str) -> None:
        self.n += 1
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"part2-{self.layout}-{self.topic}-{self.n:02d}-{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        assert path.stat().st_size > 5_000, f"{name}: an empty screenshot?"
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name}: overflows"

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def screens(request, browser, live_server):
    opened: list[Screens] = []

    def make(layout: str) -> Screens:
        s = Screens(browser, live_server, layout, request.node.originalname.removeprefix("test_"))
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


def go(page: Any, name: str) -> None:
    """A section as its user reaches it: the bottom bar (phone, or its "Thêm") or the top
    bar (desk)."""
    for _ in range(4):
        link = page.get_by_role("link", name=name, exact=True)
        if link.count() and link.first.is_visible():
            link.first.click()
            return
        more = page.get_by_role("link", name="Thêm", exact=True)
        if more.count() and more.first.is_visible():
            more.first.click()
            page.get_by_role("link", name=name, exact=True).click()
            return
        page.get_by_role("button", name="Quay lại").click()  # from a detail screen
        page.wait_for_timeout(300)
    raise AssertionError(f"no way to {name}")


def choose(select: Any, starts: str) -> None:
    """Pick the option of a <select> whose text starts with `starts` ("Name — title")."""
    expect(select.locator("option", has_text=starts).first).to_be_attached()  # loaded
    labels = select.evaluate("s => [...s.options].map((o) => o.text)")
    select.select_option(label=next(x for x in labels if x.startswith(starts)))


def tag() -> str:
    return uuid.uuid4().hex[:6]


def vn_today() -> datetime:
    return datetime.now(UTC) + timedelta(hours=7)


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 as an authenticator app computes it (written here, not imported)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return str((struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6).zfill(6)


def incoming_assigned(base: str, subject: str, unit: str, days: int, leader: str = "chutich"):
    """An incoming letter registered, sent to the leader and assigned to a unit."""
    clerk, boss = api_login(base, "vanthu"), api_login(base, leader)
    org = clerk.user["memberships"][0]["organisation_id"]
    types = clerk.get("/api/document-types").json()
    type_id = next(t["id"] for t in types if t["code"] == "cong-van")
    r = clerk.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject, "direction": "incoming"},
        files={"file": ("den.pdf", make_pdf("CONG VAN DEN"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    r = clerk.post(
        f"/api/documents/{doc['id']}/register-incoming",
        headers={"If-Match": doc["etag"], "Idempotency-Key": str(uuid.uuid4())},
        json={
            "sender_name": "Bộ Tài chính",
            "number_symbol": f"{tag()}/BTC-NSNN",
            "document_date": vn_today().date().isoformat(),
            "send_to_user_id": boss.user["id"],
        },
    )
    assert r.status_code == 200, r.text
    units = {u["abbreviation"]: u for u in clerk.get(f"/api/organisations/{org}/units").json()}
    deadline = (vn_today().date() + timedelta(days=days)).isoformat()
    r = boss.post(
        f"/api/documents/{doc['id']}/assignments",
        headers={"If-Match": r.json()["document"]["etag"], "Idempotency-Key": str(uuid.uuid4())},
        json={
            "text": "Giao chủ trì.",
            "lead": {"unit_id": units[unit]["id"], "deadline": deadline},
        },
    )
    assert r.status_code == 201, r.text
    return doc["id"], units[unit]


# -- 1. search -----------------------------------------------------------------------------


@LAYOUTS
def test_search_from_anywhere(screens, live_server, layout):
    """The search field is one tap away on every screen ("/" at a desk); results come as
    the words are typed, without diacritics, the words highlighted; filters narrow them;
    a result opens the document."""
    t = tag()
    subject = f"Kế hoạch chuyển đổi số ngành giáo dục {t}"
    drafter = api_login(live_server, "chuyenvien.kt")
    types = drafter.get("/api/document-types").json()
    plan_type = next(x for x in types if x["code"] == "ke-hoach")
    r = drafter.post(
        "/api/documents",
        data={"document_type_id": str(plan_type["id"]), "subject": subject},
        files={"file": ("ke-hoach.pdf", make_pdf("KE HOACH"), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()["id"]
    s = screens(layout)
    page = s.person("chuyenvien.kt")
    go(page, "Soạn thảo")  # from any section
    if layout == "desk":
        page.keyboard.press("/")
    else:
        page.get_by_role("link", name="Tìm kiếm").click()
    expect(page.get_by_role("heading", level=1, name="Tìm kiếm văn bản")).to_be_visible()
    field = page.get_by_role("searchbox", name="Tìm văn bản")
    expect(field).to_be_focused()
    field.press_sequentially(f"chuyen doi so nganh giao duc {t}", delay=20)  # no Enter
    hit = page.get_by_role("link", name=re.compile(re.escape(t)))
    expect(hit).to_have_count(1)
    marks = hit.locator("mark").all_inner_texts()
    assert {"chuyển", "đổi", "số", "ngành", "giáo", "dục", t} <= set(marks), marks
    expect(hit).to_contain_text("Kế hoạch")  # its type
    expect(hit).to_contain_text("Dự thảo")  # its state
    expect(page.get_by_role("status").filter(has_text="Tìm thấy 1 văn bản")).to_have_count(1)
    s.shot(page, "results")
    page.get_by_text("Bộ lọc", exact=True).click()
    page.get_by_label("Loại văn bản").select_option(label="Kế hoạch")
    expect(hit).to_have_count(1)
    page.get_by_label("Văn bản đi / đến").select_option(label="Văn bản đến")
    expect(page.get_by_text("Không tìm thấy văn bản nào khớp.").first).to_be_visible()
    assert "dir=incoming" in page.url and "type=" in page.url
    page.get_by_label("Văn bản đi / đến").select_option(label="Văn bản đi")
    page.get_by_label("Năm").select_option(str(vn_today().year))
    page.get_by_label("Đơn vị soạn thảo").select_option(label="Phòng Kinh tế")
    expect(hit).to_have_count(1)
    s.shot(page, "filters")
    hit.click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    assert page.url.endswith(f"/documents/{doc}")
    if layout == "desk":  # the results stay beside the document
        expect(page.get_by_role("searchbox", name="Tìm văn bản")).to_be_visible()
    s.shot(page, "opened")
    # another agency's reader, or one who may not open it, never finds it
    leader = api_login(live_server, "phochutich1")
    assert leader.get("/api/search", params={"q": t}).json()["items"] == []


# -- 2. + 3. the dashboard and the reports --------------------------------------------------


@LAYOUTS
def test_dashboard_chart_and_reports(screens, live_server, layout):
    """The leader's overview: what waits by urgency, the work, issued this month, a bar per
    unit with its figures in words and as a table; a bar opens the unit's documents. The
    reports: units and their people for a period, drill-down, CSV and Excel from the
    server."""
    t = tag()
    subject = f"Về việc báo cáo tình hình thu ngân sách {t}"
    doc, kt = incoming_assigned(live_server, subject, "KT", 12)
    s = screens(layout)
    page = s.person("chutich")
    go(page, "Tổng quan")
    expect(page.get_by_role("heading", level=1, name="Tổng quan")).to_be_visible()
    for heading in ("Chờ tôi xử lý", "Công việc", "Tình hình giải quyết theo đơn vị"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_text("Văn bản ban hành tháng này")).to_be_visible()
    board = api_login(live_server, "chutich").get("/api/dashboard").json()
    report = api_login(live_server, "chutich").get("/api/reports/processing").json()
    row = next(r for r in report["rows"] if r["unit_id"] == kt["id"])
    bar = page.get_by_role("link", name=re.compile(f"^{kt['name']} nhận {row['received']} việc;"))
    expect(bar).to_have_count(1)
    label = bar.text_content()
    assert f"Đang xử lý trong hạn {row['in_progress_on_time']}" in label, label
    assert bar.locator("svg rect.seg-in_progress_on_time").count() == 1
    issued = f"{board['issued_this_month']} văn bản — Mở sổ văn bản đi"
    expect(page.get_by_role("link", name=issued)).to_be_visible()
    # the same figures as a table (open at a desk, one tap on a phone)
    if layout == "phone":
        page.get_by_text("Số liệu dạng bảng").click()
    table = page.get_by_role("table", name="Tình hình giải quyết theo đơn vị")
    kt_row = table.get_by_role("row", name=re.compile(kt["name"]))
    expect(kt_row.get_by_role("cell").first).to_have_text(str(row["received"]))
    s.shot(page, "dashboard")
    bar.click()
    expect(page.get_by_role("heading", level=1, name="Văn bản: Tiếp nhận")).to_be_visible()
    expect(page.get_by_text(f"Đơn vị: {kt['name']}")).to_be_visible()
    page.get_by_role("button", name="Đang xử lý", exact=True).click()
    drill = page.get_by_role("link", name=re.compile(re.escape(subject)))
    expect(drill).to_have_count(1)
    s.shot(page, "drill-down")
    drill.click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()

    go(page, "Tổng quan")
    page.get_by_role("link", name="Báo cáo chi tiết theo đơn vị và cán bộ").click()
    expect(
        page.get_by_role("heading", level=1, name="Báo cáo tình hình giải quyết")
    ).to_be_visible()
    page.get_by_role("button", name="Năm nay").click()
    tree = page.get_by_role("table", name="Báo cáo tình hình giải quyết")
    tree.get_by_role("button", name=f"Mở {kt['name']}").click()
    expect(tree.get_by_role("button", name=f"Thu gọn {kt['name']}")).to_have_attribute(
        "aria-expanded", "true"
    )
    s.shot(page, "reports")
    with page.expect_download() as got:
        page.get_by_role("button", name="⬇ Tải CSV").click()
    csv = got.value.path().read_bytes().decode("utf-8")
    assert csv.startswith("\ufeffĐơn vị,Tiếp nhận") and kt["name"] in csv
    assert got.value.suggested_filename.startswith("tinh-hinh-giai-quyet-")
    page.get_by_label("Xuất theo").select_option("person")
    with page.expect_download() as got:
        page.get_by_role("button", name="⬇ Tải Excel").click()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(got.value.path().read_bytes())).active
    assert [c.value for c in sheet[2]][:2] == ["Đơn vị", "Cán bộ"]


# -- 4. the work calendar ------------------------------------------------------------------


@LAYOUTS
def test_work_calendar(screens, live_server, layout):
    """The clerk adds an event (chair, attendees, a document); the leader finds it in the
    agency's week and in her own, today marked; a change made meanwhile by someone else is
    shown plainly and the clerk chooses; the event is cancelled and stays, marked."""
    t = tag()
    title = f"Họp giao ban công tác chuyển đổi số {t}"
    today = vn_today().date()
    s = screens(layout)
    clerk = s.person("vanthu")
    go(clerk, "Lịch công tác" if layout == "desk" else "Lịch")
    expect(clerk.get_by_role("heading", level=1, name="Lịch công tác")).to_be_visible()
    today_heading = clerk.get_by_text("Hôm nay", exact=True)
    expect(today_heading).to_be_visible()
    clerk.get_by_role("link", name="Thêm lịch").click()
    clerk.get_by_label("Nội dung").fill(title)
    clerk.get_by_label("Ngày", exact=True).fill(today.isoformat())
    clerk.get_by_label("Bắt đầu", exact=True).fill("14:00")
    clerk.get_by_label("Kết thúc", exact=True).fill("13:00")
    clerk.get_by_role("button", name="Lưu").click()
    expect(clerk.get_by_text("Giờ kết thúc phải sau giờ bắt đầu.")).to_be_visible()
    clerk.get_by_label("Kết thúc", exact=True).fill("16:30")
    clerk.get_by_label("Địa điểm").fill("Phòng họp số 1")
    choose(clerk.get_by_label("Chủ trì"), "Lê Thị Hồng Hạnh")
    clerk.get_by_label("Tìm người").fill("Hoàng")
    clerk.get_by_role("checkbox", name=re.compile("^Hoàng Thị Lan")).check()
    expect(clerk.get_by_role("button", name="Bỏ Hoàng Thị Lan")).to_be_visible()
    s.shot(clerk, "new-event")
    clerk.get_by_role("button", name="Lưu").click()
    expect(clerk.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(clerk.get_by_text("Phòng họp số 1")).to_be_visible()
    event_id = int(clerk.url.rsplit("/", 1)[1])
    leader_api = api_login(live_server, "phochutich1")
    kinds = [n["kind"] for n in leader_api.get("/api/notifications").json()["items"][:5]]
    assert "calendar.invited" in kinds  # the server tells the chair

    leader = s.person("phochutich1")
    go(leader, "Lịch công tác" if layout == "desk" else "Lịch")
    expect(leader.get_by_role("link", name="Thêm lịch")).to_have_count(0)  # the office keeps it
    today_box = (
        leader.locator("tbody.day-today")
        if layout == "desk"
        else leader.locator("section.day-today")
    )
    expect(today_box.get_by_text(title)).to_be_visible()
    choose(leader.get_by_label("Lịch của"), "Lê Thị Hồng Hạnh")
    expect(leader.get_by_text(title)).to_be_visible()
    s.shot(leader, "leader-week")
    choose(leader.get_by_label("Lịch của"), "Trần Quốc Bảo")
    expect(leader.get_by_text(title)).to_have_count(0)
    leader.goto(f"/calendar/events/{event_id}")
    expect(leader.locator("dl.meta").get_by_text("Lê Thị Hồng Hạnh")).to_be_visible()
    expect(leader.get_by_role("button", name="Sửa lịch")).to_have_count(0)
    s.shot(leader, "event")

    # someone else changes it while the clerk edits
    clerk.get_by_role("button", name="Sửa lịch").click()
    clerk.get_by_label("Địa điểm").fill("Hội trường tầng 3")
    admin = api_login(live_server, "quantri")
    now = admin.get(f"/api/calendar/events/{event_id}")
    r = admin.patch(
        f"/api/calendar/events/{event_id}",
        json={"place": "Phòng họp trực tuyến"},
        headers={"If-Match": now.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    clerk.get_by_role("button", name="Lưu").click()
    conflict = clerk.get_by_role("alert").filter(has_text="Lịch này vừa được người khác sửa")
    expect(conflict).to_contain_text("Phòng họp trực tuyến")
    s.shot(clerk, "conflict")
    conflict.get_by_role("button", name="Vẫn lưu thay đổi của tôi").click()
    expect(clerk.get_by_role("heading", level=1, name=title)).to_be_visible()
    assert admin.get(f"/api/calendar/events/{event_id}").json()["place"] == "Hội trường tầng 3"

    clerk.get_by_role("button", name="Hủy lịch").click()
    sheet = clerk.get_by_role("dialog", name="Hủy lịch")
    sheet.get_by_label("Lý do hủy (không bắt buộc)").fill("Lãnh đạo đi công tác")
    sheet.get_by_role("button", name="Hủy lịch").click()
    expect(clerk.get_by_text(re.compile("Đã hủy lúc .*Lãnh đạo đi công tác"))).to_be_visible()
    assert admin.get(f"/api/calendar/events/{event_id}").json()["status"] == "cancelled"
    # the leader may not write to it: no button, and the server refuses
    r = leader_api.post(
        "/api/calendar/events",
        json={"title": "x", "starts_at": f"{today}T08:00", "ends_at": f"{today}T09:00"},
    )
    assert r.status_code == 403


# -- 5. delegation -------------------------------------------------------------------------


def sign_request_for(base: str, subject: str, signer: str, signer_name: str) -> int:
    """A decision routed straight to `signer`'s signature."""
    drafter = api_login(base, "chuyenvien.kt")
    types = drafter.get("/api/document-types").json()
    type_id = next(x["id"] for x in types if x["code"] == "quyet-dinh")
    r = drafter.post(
        "/api/documents",
        data={"document_type_id": str(type_id), "subject": subject},
        files={"file": ("qd.pdf", decision(signer_name, subject=subject), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    steps = [{"kind": "sign", "actors": [{"user_id": user_id(base, drafter, signer)}]}]
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


@LAYOUTS
def test_delegation_before_travelling(screens, live_server, layout):
    """The vice-chairman delegates signing to the other vice-chairman for the trip; the
    deputy's app says whom each covered item is for; revoking stops it at once."""
    t = tag()
    subject = f"Quyết định phê duyệt dự toán kinh phí {t}"
    doc = sign_request_for(live_server, subject, "phochutich1", "Lê Thị Hồng Hạnh")
    s = screens(layout)
    boss = s.person("phochutich1")
    boss.get_by_role("link", name="Cài đặt").click()
    boss.get_by_role("link", name="Ủy quyền").click()
    expect(boss.get_by_role("heading", level=1, name="Ủy quyền")).to_be_visible()
    boss.get_by_role("button", name="Ủy quyền", exact=True).click()  # nothing chosen
    expect(boss.get_by_text("Vui lòng chọn người được ủy quyền.")).to_be_visible()
    choose(boss.get_by_label("Người được ủy quyền"), "Trần Quốc Bảo")
    boss.get_by_label("Ký số", exact=True).check()
    boss.get_by_label("Chỉ một số loại văn bản hoặc đơn vị").check()
    boss.get_by_role("group", name="Loại văn bản").get_by_label("Quyết định", exact=True).check()
    boss.get_by_label("Ghi chú (không bắt buộc)").fill("Đi công tác Hà Nội")
    s.shot(boss, "new")
    boss.get_by_role("button", name="Ủy quyền", exact=True).click()
    given = boss.locator("li.delegation").filter(has_text="Cho Trần Quốc Bảo")
    expect(given.filter(has_text="Đang hiệu lực")).to_have_count(1)
    expect(given.first).to_contain_text("Loại: Quyết định")
    s.shot(boss, "given")
    try:
        deputy = s.person("phochutich2")
        row = deputy.get_by_role("link", name=re.compile(re.escape(subject)))
        expect(row).to_contain_text("Xử lý thay Lê Thị Hồng Hạnh")
        row.click()
        expect(
            deputy.get_by_text("Bạn đang xử lý thay Lê Thị Hồng Hạnh (ủy quyền).")
        ).to_be_visible()
        s.shot(deputy, "acting-for")
        deputy.goto("/delegations")
        mine = deputy.locator("li.delegation").filter(has_text="Thay Lê Thị Hồng Hạnh")
        expect(mine.filter(has_text="Đang hiệu lực")).to_have_count(1)
        expect(deputy.get_by_role("button", name=re.compile("^Thu hồi"))).to_have_count(0)
    finally:
        given.first.get_by_role("button", name=re.compile("^Thu hồi")).click()
        given.first.get_by_role("button", name="Thu hồi", exact=True).click()
        expect(given.first).to_contain_text("Đã thu hồi")
    waiting = api_login(live_server, "phochutich2").get("/api/inbox/waiting").json()["items"]
    assert doc not in [i["document"]["id"] for i in waiting]


# -- 6. personal settings ------------------------------------------------------------------


@LAYOUTS
def test_personal_settings(screens, live_server, layout):
    """A head of unit sets the signing PIN (the account password confirms), enrols an
    authenticator app from its QR code, mutes a kind and keeps quiet hours, orders the
    quick phrases; language and devices are there."""
    username = "truongphong.vx" if layout == "phone" else "truongphong.nc"
    s = screens(layout)
    page = s.person(username)
    me = api_login(live_server, username)
    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("link", name="Ký số: mã PIN, OTP, khóa truy cập").click()
    pin_form = page.get_by_role("form", name="Đặt hoặc đổi mã PIN")
    pin_form.get_by_label("Mật khẩu tài khoản").fill("sai-mat-khau-2026")
    pin_form.get_by_label("Mã PIN mới (6–12 chữ số)").fill("246810")
    pin_form.get_by_label("Nhập lại mã PIN").fill("246810")
    pin_form.get_by_role("button", name="Lưu mã PIN").click()
    expect(pin_form.get_by_role("alert")).to_have_text("Mật khẩu tài khoản không đúng.")
    pin_form.get_by_label("Mật khẩu tài khoản").fill(PASSWORD)
    pin_form.get_by_role("button", name="Lưu mã PIN").click()
    expect(page.get_by_text("Đã lưu mã PIN ký số.")).to_be_visible()
    assert me.get("/api/me/signing").json()["pin_set"] is True

    totp_part = page.get_by_role("region", name="Ứng dụng xác thực (OTP)")
    totp_part.get_by_label("Mật khẩu tài khoản").fill(PASSWORD)
    totp_part.get_by_role("button", name=re.compile("Cài (lại )?ứng dụng xác thực|Cài lại")).click()
    qr = page.get_by_role("img", name=re.compile("Mã QR"))
    expect(qr).to_be_visible()
    assert qr.locator("path").get_attribute("d").count("h1v1") > 200  # modules drawn
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    s.shot(page, "totp")
    page.get_by_label("Mã 6 số").fill(totp(secret))
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Đã bật ứng dụng xác thực cho ký số.")).to_be_visible()
    assert me.get("/api/me/signing").json()["totp_enabled"] is True

    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("link", name="Tùy chọn thông báo").click()
    page.get_by_label("Lịch thay đổi").uncheck()
    page.get_by_label("Bật giờ yên lặng").check()
    page.get_by_label("Từ", exact=True).fill("22:00")
    page.get_by_label("Đến", exact=True).fill("06:30")
    s.shot(page, "notifications")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu tùy chọn thông báo.")).to_be_visible()
    prefs = me.get("/api/me/notification-preferences").json()
    assert "calendar.changed" in prefs["muted_kinds"]
    assert (prefs["quiet_start"], prefs["quiet_end"]) == ("22:00", "06:30")

    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("link", name="Câu trả lời nhanh").click()
    phrase = f"Giao Phòng Văn hóa - Xã hội chủ trì {tag()}."
    page.get_by_label("Câu mới").fill(phrase)
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.get_by_text(phrase)).to_be_visible()
    page.get_by_role("button", name=f"Lên trên: {phrase}").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    first = me.get("/api/me/quick-phrases").json()[0]["text"]
    page.get_by_role("button", name=f"Xóa: {first}").click()
    expect(page.get_by_role("button", name=f"Xóa: {first}")).to_have_count(0)
    texts = [p["text"] for p in me.get("/api/me/quick-phrases").json()]
    assert first not in texts and texts.index(phrase) == len(texts) - 2
    s.shot(page, "phrases")

    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1, name="Settings")).to_be_visible()
    page.get_by_role("button", name="Tiếng Việt").click()
    page.get_by_role("link", name="Các thiết bị đã đăng nhập").click()
    expect(page.get_by_text("Thiết bị này", exact=True)).to_be_visible()


# -- 7. administration ---------------------------------------------------------------------


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver on loopback: answers 200 and keeps what it got."""

    got: list[bytes] = []

    def do_POST(self):  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.got.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def untrusted_pem() -> str:
    """A self-signed certificate: a chain that ends at no trusted root."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Người lạ")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def png(color: tuple[int, int, int], transparent: bool) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new(
        "RGBA" if transparent else "RGB", (240, 120), (0, 0, 0, 0) if transparent else "white"
    )
    ImageDraw.Draw(image).ellipse((20, 20, 220, 100), outline=color, width=8)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@LAYOUTS
def test_administration(screens, live_server, layout, tmp_path):
    """The administrator, desk layout first: a unit created, renamed and given a head; a
    user created, given roles, locked, unlocked and given a new password; a certificate
    refused for what the server found, expiry warnings, the signature image checked; the
    signing level; a webhook with its secret shown once, switched off and on, its delivery
    resent; the audit log with its hash chain verified."""
    t = tag()
    abbr = f"TN{t[:4].upper()}"
    s = screens(layout)
    page = s.person("quantri")
    go(page, "Quản trị")
    expect(page.get_by_role("heading", level=1, name="Quản trị")).to_be_visible()
    admin = api_login(live_server, "quantri")
    org = admin.user["memberships"][0]["organisation_id"]

    # units
    page.get_by_role("link", name=re.compile("^Đơn vị")).click()
    page.get_by_label("Tên đơn vị").last.fill(f"Phòng Tài nguyên {t}")
    page.get_by_label(re.compile("^Viết tắt")).last.fill(abbr)
    page.get_by_role("button", name="Tạo đơn vị").click()
    expect(page.get_by_text(f"Đã tạo đơn vị Phòng Tài nguyên {t}.")).to_be_visible()
    node = page.locator("li.unit-node").filter(has_text=f"({abbr})")
    expect(node.get_by_text("Chưa có lãnh đạo đơn vị")).to_be_visible()
    node.get_by_role("button", name=f"Đổi tên: Phòng Tài nguyên {t}").click()
    node.get_by_label("Tên đơn vị").fill(f"Phòng Tài nguyên và Môi trường {t}")
    node.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu đơn vị.")).to_be_visible()
    unit = next(
        u for u in admin.get(f"/api/organisations/{org}/units").json() if u["abbreviation"] == abbr
    )
    assert unit["name"] == f"Phòng Tài nguyên và Môi trường {t}"

    # users: a new specialist of the new unit, then its head
    page.goto("/admin/users")
    page.get_by_role("link", name="Tạo người dùng").click()
    username = f"e2e.{t}"
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill(f"Lương Thị Thảo {t}")
    page.get_by_label("Mật khẩu ban đầu (ít nhất 10 ký tự)").fill("mat-khau-ban-dau")
    page.get_by_label("Vai trò").select_option("specialist")
    page.get_by_label("Đơn vị").select_option(label=unit["name"])
    page.get_by_label("Chức vụ").fill("Chuyên viên")
    s.shot(page, "new-user")
    page.get_by_role("button", name="Tạo người dùng").click()
    expect(page.get_by_role("heading", level=1, name=f"Lương Thị Thảo {t}")).to_be_visible()
    new_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("button", name="Khóa tài khoản").click()
    expect(page.get_by_text("Đã khóa tài khoản")).to_be_visible()
    assert admin.get(f"/api/users/{new_id}").json()["active"] is False
    page.get_by_role("button", name="Mở khóa tài khoản").click()
    expect(page.get_by_text("Đã mở khóa tài khoản.")).to_be_visible()
    page.get_by_label("Mật khẩu mới (ít nhất 10 ký tự)").fill("mat-khau-moi-2026")
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.get_by_text("Đã đặt lại mật khẩu")).to_be_visible()
    r = requests.post(
        f"{live_server}/api/auth/login",
        json={"username": username, "password": "mat-khau-moi-2026", "device_name": "e2e"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    # a second position: clerk of the Văn phòng as well
    page.get_by_role("button", name="Thêm vị trí").click()
    page.get_by_label("Vai trò").last.select_option("clerk")
    page.get_by_label("Đơn vị").last.select_option(label="Văn phòng UBND tỉnh")
    page.get_by_role("button", name="Lưu vị trí và vai trò").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    roles = {
        (m["role"], m["unit_id"]) for m in admin.get(f"/api/users/{new_id}").json()["memberships"]
    }
    assert (
        "clerk",
        next(
            u["id"]
            for u in admin.get(f"/api/organisations/{org}/units").json()
            if u["abbreviation"] == "VP"
        ),
    ) in roles
    s.shot(page, "user")
    page.goto("/admin/units")
    node = page.locator("li.unit-node").filter(has_text=f"({abbr})")
    choose(node.get_by_label("Thêm lãnh đạo đơn vị"), f"Lương Thị Thảo {t}")
    node.get_by_label("Chức vụ").fill("Phó Trưởng phòng")
    node.get_by_role("button", name="Thêm lãnh đạo đơn vị").click()
    expect(node.get_by_text(f"Lương Thị Thảo {t} — Phó Trưởng phòng")).to_be_visible()
    s.shot(page, "units")

    # certificates: what the server refuses, said on the field; expiry; the image check
    page.goto("/admin/credentials")
    form = page.locator("form").filter(has=page.get_by_role("heading", name="Đăng ký chứng thư số"))
    choose(form.get_by_label("Người ký", exact=True), f"Lương Thị Thảo {t}")
    form.get_by_label("Tên tệp khóa / nhãn khóa / mã chứng thư").fill("../../etc/passwd")
    form.get_by_label(re.compile("^Chuỗi chứng thư")).fill(untrusted_pem())
    form.get_by_role("button", name="Đăng ký").click()
    expect(form.get_by_role("alert")).to_contain_text(
        re.compile("không dẫn đến một CA gốc được tin cậy|Tên tệp khóa không hợp lệ")
    )
    s.shot(page, "certificate-refused")
    creds = admin.get("/api/signing-credentials", params={"organisation_id": org}).json()
    target = next(c for c in creds if c["active"] and c["purpose"] == "personal")
    owner = next(
        u
        for u in admin.get(f"/api/organisations/{org}/users").json()
        if u["id"] == target["user_id"]
    )
    db = sqlite3.connect(VAR_DIRS[live_server] / "app.db")
    with db:  # as if its end were 20 days away
        db.execute(
            "UPDATE signing_credentials SET not_after = ? WHERE id = ?",
            (
                (datetime.now(UTC) + timedelta(days=20, hours=2)).strftime(
                    "%Y-%m-%d %H:%M:%S.000000"
                ),
                target["id"],
            ),
        )
    db.close()
    page.reload()
    card = page.locator("article.cred").filter(
        has=page.get_by_role("heading", name=f"Chữ ký của {owner['full_name']}")
    )
    expect(card.get_by_text("Sắp hết hạn: còn 20 ngày")).to_be_visible()
    picker = card.get_by_label("Chọn ảnh PNG")
    bad = tmp_path / "nen-trang.png"
    bad.write_bytes(png((20, 60, 200), transparent=False))
    picker.set_input_files(str(bad))
    expect(card.get_by_role("img", name="Xem trước hình sẽ tải lên")).to_be_visible()
    card.get_by_role("button", name="Tải hình lên").click()
    expect(card.get_by_text("Nền ảnh phải trong suốt (PNG có kênh alpha).")).to_be_visible()
    red = tmp_path / "mau-do.png"
    red.write_bytes(png((200, 20, 20), transparent=True))
    picker.set_input_files(str(red))
    card.get_by_role("button", name="Tải hình lên").click()
    expect(card.get_by_text("Chữ ký phải bằng mực xanh.")).to_be_visible()
    s.shot(page, "certificates")
    blue = tmp_path / "mau-xanh.png"
    blue.write_bytes(png((20, 60, 200), transparent=True))
    picker.set_input_files(str(blue))
    card.get_by_role("button", name="Tải hình lên").click()
    expect(page.get_by_text("Máy chủ đã kiểm tra và lưu hình.")).to_be_visible()

    # the signing level (put back: the other tests sign)
    page.goto("/admin/signing")
    page.get_by_label("B-T: có dấu thời gian").check()
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu mức ký số.")).to_be_visible()
    assert (
        admin.get(f"/api/organisations/{org}/signing-settings").json()["signature_level"] == "B-T"
    )
    page.get_by_label("B-LTA: lưu trữ dài hạn (khuyến nghị)").check()
    page.get_by_role("button", name="Lưu").click()
    level = lambda: admin.get(f"/api/organisations/{org}/signing-settings").json()  # noqa: E731
    deadline = time.monotonic() + 10
    while level()["signature_level"] != "B-LTA" and time.monotonic() < deadline:
        time.sleep(0.2)
    if level()["signature_level"] != "B-LTA":  # put back for the other tests, then fail
        admin.put(f"/api/organisations/{org}/signing-settings", json={"signature_level": "B-LTA"})
        raise AssertionError("the second save did not reach the server")

    # a webhook to a receiver on loopback
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook-{t}"
    try:
        page.goto("/admin/webhooks")
        page.get_by_label("Địa chỉ HTTPS nhận sự kiện").fill(hook_url)
        page.get_by_label("Văn bản được trình").check()
        page.get_by_role("button", name="Thêm", exact=True).click()
        box = page.get_by_role("alert").filter(has_text="Khóa bí mật — chỉ hiện một lần")
        secret = box.locator("code").inner_text()
        assert len(secret) >= 32
        s.shot(page, "webhook-secret")
        box.get_by_role("button", name="Tôi đã lưu khóa").click()
        expect(page.get_by_text(secret)).to_have_count(0)
        hook = page.locator("article.cred").filter(has_text=hook_url)
        expect(hook.get_by_text("Đang bật")).to_be_visible()
        before = len(Receiver.got)
        sign_request_for(live_server, f"Quyết định thử webhook {t}", "phochutich2", "Trần Quốc Bảo")
        deadline = time.monotonic() + 30
        while len(Receiver.got) == before and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(Receiver.got) > before, "the worker delivered the event"
        hook.get_by_role("button", name=f"Tắt: {hook_url}").click()
        expect(hook.get_by_text("Đang tắt")).to_be_visible()
        hook.get_by_role("button", name=f"Bật: {hook_url}").click()
        expect(hook.get_by_text("Đang bật")).to_be_visible()
        hook.get_by_role("link", name="Nhật ký gửi").click()
        expect(page.get_by_text("Đã nhận").first).to_be_visible()
        delivered = len(Receiver.got)
        page.get_by_role("button", name=re.compile("^Gửi lại: Văn bản được trình")).first.click()
        expect(page.get_by_text("Đã xếp lịch gửi lại.")).to_be_visible()
        deadline = time.monotonic() + 30
        while len(Receiver.got) == delivered and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(Receiver.got) > delivered, "resent"
        s.shot(page, "deliveries")
    finally:
        server.shutdown()

    # the audit log, its chain verified now
    page.goto("/admin/audit")
    expect(
        page.get_by_text(re.compile("Chuỗi băm nguyên vẹn: đã kiểm tra \\d+ sự kiện"))
    ).to_be_visible()
    expect(page.get_by_text("org.user_created").first).to_be_visible()
    s.shot(page, "audit")


# -- 8. a PDF from outside, and the report of a document's signatures ----------------------


@LAYOUTS
def test_check_a_pdf_from_outside(screens, live_server, layout):
    """The clerk checks a signed PDF received by e-mail: each signature in plain words;
    the document's own signatures come with the one-page report to download."""
    t = tag()
    subject = f"Quyết định khen thưởng tập thể {t}"
    doc = sign_request_for(live_server, subject, "phochutich2", "Trần Quốc Bảo")
    signer = api_login(live_server, "phochutich2")
    r = signer.post("/api/signing-requests", json={"document_ids": [doc]})
    assert r.status_code == 201, r.text
    req = r.json()["id"]
    r = signer.post(
        f"/api/signing-requests/{req}/authorize", json={"method": "pin", "code": "123456"}
    )
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while signer.get(f"/api/signing-requests/{req}").json()["state"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, "signing did not finish"
        time.sleep(0.5)
    document = signer.get(f"/api/documents/{doc}").json()
    main = next(f for f in document["files"] if f["kind"] == "main")
    signed = tmp = ROOT / "tests" / "artifacts" / f"signed-{t}.pdf"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(signer.get(f"/api/documents/{doc}/files/{main['id']}").content)

    s = screens(layout)
    page = s.person("vanthu")
    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_role("link", name="Kiểm tra chữ ký số của tệp PDF").click()
    expect(page.get_by_role("heading", level=1, name="Kiểm tra chữ ký số")).to_be_visible()
    page.get_by_label("Tệp PDF").set_input_files(str(signed))
    page.get_by_role("button", name="Kiểm tra").click()
    result = page.get_by_role("region", name=re.compile("Kết quả kiểm tra"))
    expect(result.get_by_text(re.compile("Ký bởi Trần Quốc Bảo"))).to_be_visible(timeout=30_000)
    expect(result.get_by_text("Hợp lệ").first).to_be_visible()
    s.shot(page, "validated")
    signed.unlink()
    # the document's signatures and the report as a PDF (the signer reads it)
    reader = s.person("phochutich2")
    reader.goto(f"/documents/{doc}")
    expect(reader.get_by_text(re.compile("Ký bởi Trần Quốc Bảo")).first).to_be_visible(
        timeout=30_000
    )
    with reader.expect_download() as got:
        reader.get_by_role("button", name="⬇ Tải biên bản kiểm tra chữ ký (PDF)").click()
    assert got.value.path().read_bytes().startswith(b"%PDF")
    assert got.value.suggested_filename == f"bien-ban-kiem-tra-chu-ky-{doc}.pdf"


# -- the other roles find no way in --------------------------------------------------------


def test_other_roles_find_no_way_in(browser, live_server):
    """A specialist sees no overview, no administration, no way to keep the calendar; the
    addresses typed by hand show the server's refusal. The server refuses every call
    anyway (tests/test_permissions.py holds the whole matrix)."""
    s = Screens(browser, live_server, "phone", "no-way-in")
    try:
        page = s.person("chuyenvien.kt")
        nav = [x.split("\n")[0] for x in page.locator("nav.bottom-nav a").all_inner_texts()]
        assert nav == ["Văn bản", "Soạn thảo", "Việc được giao", "Lịch"]
        page.get_by_role("link", name="Cài đặt").click()
        expect(page.get_by_role("link", name="Ủy quyền")).to_have_count(0)
        for path in ("/admin/users", "/dashboard", "/calendar/new"):
            page.goto(path)
            expect(page.get_by_text("Bạn không có quyền thực hiện việc này.")).to_be_visible()
        page.goto("/calendar")
        expect(page.get_by_role("heading", level=1, name="Lịch công tác")).to_be_visible()
        expect(page.get_by_role("link", name="Thêm lịch")).to_have_count(0)
        s.shot(page, "specialist")
    finally:
        s.close()
    me = api_login(live_server, "chuyenvien.kt")
    org = me.user["memberships"][0]["organisation_id"]
    assert me.get(f"/api/organisations/{org}/signing-settings").status_code == 200
    for path in (
        f"/api/webhooks?organisation_id={org}",
        f"/api/audit-events/verify?organisation_id={org}",
        "/api/reports/processing",
    ):
        assert me.get(path).status_code == 403, path
    assert (
        me.post(
            "/api/delegations",
            json={"organisation_id": org, "deputy_id": 1, "ends_at": "2030-01-01T00:00:00+07:00"},
        ).status_code
        == 403
    )


def test_dashboard_and_calendar_at_200_percent_text(screens, live_server):
    """Text at 200 % (the browser's text size doubled) on a phone: the dashboard's chart and
    table and the calendar's week still fit the width, their headings in order, nothing
    cut off sideways."""
    incoming_assigned(live_server, f"Về việc kiểm tra chữ to {tag()}", "VX", 9)
    s = screens("phone")
    page = s.person("chutich")
    # through the CSSOM: the strict CSP refuses an injected <style>, as it should
    page.evaluate("document.documentElement.style.setProperty('font-size', '36px', 'important')")
    for path, heading in (("/dashboard", "Tổng quan"), ("/calendar", "Lịch công tác")):
        page.goto(path)
        page.evaluate(
            "document.documentElement.style.setProperty('font-size', '36px', 'important')"
        )
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        levels = page.evaluate(
            "[...document.querySelectorAll('main h1, main h2')].map(h => h.tagName)"
        )
        assert levels[0] == "H1" and set(levels[1:]) <= {"H2"}, levels
        if path == "/dashboard":
            bar = page.locator("a.bar-link").first
            expect(bar).to_be_visible()
            box = bar.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        s.shot(page, path.strip("/"))  # also asserts no sideways overflow
