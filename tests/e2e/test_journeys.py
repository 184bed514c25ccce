"""Every role's journey through the app, on a phone (390×844) and at a desk (1280×800):
the specialist drafts and routes → the head reviews → the leader signs → the clerk
issues (the register shows it) → an incoming document is registered → the leader
instructs and assigns → the head sub-assigns → the specialist reports progress → the head
completes. Each step is done in the app, as its user would; the API confirms what
happened. A screenshot of every screen goes to tests/artifacts/screens/journey-*."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from signing.samples import decision
from tests.e2e.conftest import PASSWORD, ROOT, api_login, make_pdf

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


class Journey:
    """People of the demo agency, each signed in on their own device (context)."""

    def __init__(self, browser: Any, base: str, layout: str, tmp: Path) -> None:
        self.browser, self.base, self.layout, self.tmp = browser, base, layout, tmp
        self.n = 0
        self.contexts: list[Any] = []

    def person(self, username: str) -> Any:
        ctx = self.browser.new_context(
            base_url=self.base,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
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
        path = SCREENS / f"journey-{self.layout}-{self.n:02d}-{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        assert path.stat().st_size > 5_000, f"{name}: an empty screenshot?"

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def no_horizontal_overflow(page: Any) -> None:
    """Nothing sticks out of the screen sideways (the 390 px phone especially)."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def dismiss_push_prompt(page: Any) -> None:
    """The offer of notifications comes after a person's first decision on a device (and
    never again): "Not now" when it is there."""
    prompt = page.get_by_role("dialog", name="Nhận thông báo khi có văn bản mới cần xử lý?")
    with contextlib.suppress(PlaywrightTimeout):
        prompt.get_by_role("button", name="Để sau").click(timeout=3_000)


def section(page: Any, name: str) -> None:
    """Go to a section of the app as its user would: its link in the bottom bar (phone)
    or the top bar (desk); from a detail screen, back first."""
    for _ in range(4):
        link = page.get_by_role("link", name=name, exact=True)
        if link.count() and link.first.is_visible():
            link.first.click()
            return
        page.get_by_role("button", name="Quay lại").click()
        page.wait_for_timeout(300)
    raise AssertionError(f"no link to {name}")


def open_row(page: Any, subject: str) -> None:
    page.get_by_role("link", name=re.compile(re.escape(subject))).first.click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()


@pytest.mark.parametrize("layout", ["phone", "desk"])
def test_every_role_journey(browser, live_server, layout, tmp_path):
    j = Journey(browser, live_server, layout, tmp_path)
    tag = uuid.uuid4().hex[:6]
    subject = f"Quyết định thành lập Tổ công tác số hóa hồ sơ {tag}"
    incoming_subject = f"Về việc góp ý dự thảo Luật Đầu tư công {tag}"
    vn_today = (datetime.now(UTC) + timedelta(hours=7)).date()
    draft_pdf = tmp_path / "du-thao-quyet-dinh.pdf"
    draft_pdf.write_bytes(decision("Nguyễn Văn Thắng", subject=subject))
    incoming_pdf = tmp_path / "cong-van-den.pdf"
    incoming_pdf.write_bytes(make_pdf("CONG VAN DEN"))
    photo = tmp_path / "bien-ban-hop.jpg"
    from PIL import Image

    Image.new("RGB", (640, 480), (30, 90, 160)).save(photo, "JPEG")
    try:
        # -- the specialist drafts and routes -----------------------------------------
        page = j.person("chuyenvien.kt")
        section(page, "Soạn thảo")
        expect(page.get_by_role("heading", level=1, name="Soạn thảo")).to_be_visible()
        j.shot(page, "specialist-drafts")
        page.get_by_role("link", name="Soạn văn bản mới").click()
        page.get_by_role("button", name="Lưu dự thảo").click()  # nothing filled in
        expect(page.get_by_text("Vui lòng chọn loại văn bản.")).to_be_visible()
        expect(page.get_by_text("Vui lòng chọn tệp dự thảo chính.")).to_be_visible()
        page.get_by_label("Loại văn bản").select_option(label="Quyết định")
        page.get_by_label("Trích yếu").fill(subject)
        page.get_by_label("Độ khẩn").select_option(label="Khẩn")
        page.get_by_label("Hạn xử lý (không bắt buộc)").fill(
            (vn_today + timedelta(days=5)).isoformat()
        )
        page.locator("#draft-file").set_input_files(str(draft_pdf))
        expect(page.get_by_text("du-thao-quyet-dinh.pdf")).to_be_visible()
        no_horizontal_overflow(page)
        j.shot(page, "specialist-new-draft")
        page.get_by_role("button", name="Lưu dự thảo").click()
        expect(page.get_by_role("heading", name="Quy trình trình ký")).to_be_visible()

        # the route: review by the head, the chairman signs, the clerk issues
        def pick(step: int, query: str, name: str) -> None:
            page.get_by_role("button", name="Thêm người hoặc đơn vị").nth(step).click()
            dialog = page.get_by_role("dialog", name="Thêm người hoặc đơn vị")
            dialog.get_by_label("Tìm người hoặc đơn vị").fill(query)
            dialog.get_by_role("button", name=re.compile(name)).click()

        pick(0, "hoang lan", "Hoàng Thị Lan")
        page.get_by_role("button", name="Thêm bước").click()
        page.locator("select[id$='-kind']").nth(1).select_option("sign")
        pick(1, "thang", "Nguyễn Văn Thắng")
        page.get_by_role("button", name="Thêm bước").click()
        page.locator("select[id$='-kind']").nth(2).select_option("issue")
        # saved without the clerk: the server's rule, next to the step it concerns
        page.get_by_role("button", name="Lưu quy trình").click()
        step3 = page.locator(".step-card").nth(2)
        expect(step3.get_by_role("alert")).to_have_text(
            "Mỗi bước có từ 1 đến 10 người hoặc đơn vị."
        )
        expect(page.locator(".step-card").nth(0).get_by_role("alert")).to_have_count(0)
        j.shot(page, "specialist-route-rule")
        pick(2, "van thu", "Phan Thị Ngọc Ánh")
        j.shot(page, "specialist-route")
        page.get_by_role("button", name="Lưu và trình").click()
        expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
        expect(page.locator(".doc-marks .mark-status")).to_have_text("Đang trình")
        dismiss_push_prompt(page)
        expect(page.get_by_role("toolbar").get_by_role("button", name="Rút lại")).to_be_visible()
        j.shot(page, "specialist-submitted-document")
        section(page, "Soạn thảo")
        page.get_by_role("tab", name="Đã trình").click()
        row = page.get_by_role("listitem").filter(has_text=subject)
        expect(row).to_contain_text("Đang ở bước Xem xét: Hoàng Thị Lan")
        j.shot(page, "specialist-submitted-list")
        drafter = api_login(live_server, "chuyenvien.kt")
        doc = next(
            d
            for d in drafter.get("/api/documents?mine=true&limit=20").json()["items"]
            if d["subject"] == subject
        )
        assert doc["status"] == "in_review" and doc["urgency"] == "khan"
        route = drafter.get(f"/api/documents/{doc['id']}/route").json()
        assert [s["kind"] for s in route["steps"]] == ["review", "sign", "issue"]

        # -- the head reviews ---------------------------------------------------------------
        page = j.person("truongphong.kt")
        row = page.get_by_role("listitem").filter(has_text=subject)
        expect(row).to_contain_text("Từ Đặng Văn Hùng — Phòng Kinh tế")
        j.shot(page, "head-inbox")
        open_row(page, subject)
        expect(page.get_by_text("Đơn vị soạn")).to_be_visible()
        j.shot(page, "head-document")
        page.get_by_role("toolbar").get_by_role("button", name="Đồng ý").click()
        page.get_by_role("dialog").get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý, trình ký.")
        j.shot(page, "head-approve-sheet")
        page.get_by_role("dialog").get_by_role("button", name="Đồng ý").click()
        expect(page.get_by_role("status").filter(has_text="Đã đồng ý văn bản.")).to_be_visible()
        dismiss_push_prompt(page)

        # -- the leader signs (the signature shows at once: point 10) -----------------------
        page = j.person("chutich")
        page.get_by_role("tab", name=re.compile("Chờ ký")).click()
        open_row(page, subject)
        page.get_by_role("toolbar").get_by_role("button", name="Ký số").click()
        dialog = page.get_by_role("dialog", name="Ký số")
        dialog.get_by_label("Mã", exact=True).fill("123456")
        j.shot(page, "leader-sign-sheet")
        dialog.get_by_role("button", name="Ký", exact=True).click()
        expect(dialog.get_by_text("Đã ký xong.")).to_be_visible(timeout=90_000)
        dismiss_push_prompt(page)
        dialog.get_by_role("button", name="Đóng").click()
        signatures = page.get_by_role("region", name="Chữ ký số")
        expect(signatures).to_contain_text("tất cả hợp lệ", timeout=30_000)
        expect(signatures).not_to_contain_text("chưa có chữ ký số")
        expect(signatures).to_contain_text("Ký bởi Nguyễn Văn Thắng")
        signatures.scroll_into_view_if_needed()
        j.shot(page, "leader-signed")

        # -- the clerk issues; the register shows it ----------------------------------------
        page = j.person("vanthu")
        open_row(page, subject)
        page.get_by_role("toolbar").get_by_role("button", name="Ban hành").click()
        expect(page.get_by_role("heading", name="Ban hành văn bản")).to_be_visible()
        number = page.locator(".number-preview").inner_text()
        assert re.fullmatch(r"\d{2,}/QĐ-UBND", number), number
        page.get_by_role("checkbox", name="Phòng Kinh tế").check()
        page.get_by_label("Số lượng bản").fill("3")
        no_horizontal_overflow(page)
        j.shot(page, "clerk-issue")
        page.get_by_role("button", name="Ban hành", exact=True).click()
        confirm = page.get_by_role("dialog", name="Cấp số và ban hành?")
        expect(confirm).to_contain_text(number)
        j.shot(page, "clerk-issue-confirm")
        confirm.get_by_role("button", name="Ban hành").click()
        expect(page.get_by_text(f"Đã ban hành: số {number}").first).to_be_visible(timeout=60_000)
        dismiss_push_prompt(page)
        # the leader's signature and the agency's seal, both valid
        expect(page.get_by_role("region", name="Chữ ký số")).to_contain_text(
            "2 chữ ký, tất cả hợp lệ", timeout=30_000
        )
        j.shot(page, "clerk-issued")
        page.get_by_role("link", name="Xem sổ văn bản đi").click()
        expect(page.get_by_role("heading", level=1, name="Sổ văn bản")).to_be_visible()
        expect(page.locator("#register-panel").get_by_text(number)).to_be_visible()
        j.shot(page, "clerk-register")
        clerk = api_login(live_server, "vanthu")
        issued = clerk.get(f"/api/documents/{doc['id']}").json()
        assert issued["status"] == "issued" and issued["number_symbol"] == number
        year = vn_today.year
        org = clerk.user["memberships"][0]["organisation_id"]
        entries = clerk.get(
            f"/api/registers/outgoing?organisation_id={org}&year={year}&q={tag}"
        ).json()["items"]
        assert [(e["number_symbol"], e["copies"]) for e in entries] == [(number, 3)]
        assert "- Phòng Kinh tế;" in entries[0]["recipients"]

        # -- an incoming document, registered and sent to a leader --------------------------
        section(page, "Văn bản đến")
        page.get_by_role("link", name="Vào sổ văn bản đến").click()
        page.locator("#in-file").set_input_files(str(incoming_pdf))
        expect(page.get_by_text("Tệp không có chữ ký số")).to_be_visible()
        page.get_by_label("Nơi gửi (cơ quan ban hành)").fill("Bộ Kế hoạch và Đầu tư")
        page.get_by_label("Mã định danh của nơi gửi (không bắt buộc)").fill("000.00.00.G11")
        page.get_by_label("Số, ký hiệu của văn bản").fill(f"{uuid.uuid4().int % 9000 + 1}/BKHĐT-TH")
        page.get_by_label("Loại văn bản").select_option(label="Công văn")
        page.get_by_label("Trích yếu").fill(incoming_subject)
        page.get_by_label("Chuyển lãnh đạo cho ý kiến chỉ đạo").select_option(
            label="Lê Thị Hồng Hạnh — Phó Chủ tịch"
        )
        j.shot(page, "clerk-incoming-form")
        page.get_by_role("button", name="Vào sổ", exact=True).click()
        expect(page.get_by_role("heading", level=1, name=incoming_subject)).to_be_visible()
        dismiss_push_prompt(page)
        meta = page.locator("dl.meta")
        expect(meta).to_contain_text("Nơi gửi")
        expect(meta).to_contain_text("Bộ Kế hoạch và Đầu tư")
        expect(meta).to_contain_text("Số đến")
        expect(meta).not_to_contain_text("Nơi soạn")
        j.shot(page, "clerk-incoming-registered")

        # -- the leader sees it waiting (point 9), instructs and assigns --------------------
        page = j.person("phochutich1")
        row = page.get_by_role("listitem").filter(has_text=incoming_subject)
        expect(row).to_contain_text("Cho ý kiến chỉ đạo")
        expect(row).to_contain_text("Từ Bộ Kế hoạch và Đầu tư")
        j.shot(page, "leader-inbox-incoming")
        open_row(page, incoming_subject)
        # the trích yếu once (the heading), not again in the metadata (point 16)
        document = page.locator("article.document")
        expect(document.get_by_text(incoming_subject, exact=True)).to_have_count(1)
        timeline = page.locator(".timeline")
        expect(timeline).to_contain_text("Vào sổ văn bản đến")
        expect(timeline).to_contain_text("chuyển Lê Thị Hồng Hạnh cho ý kiến chỉ đạo")
        j.shot(page, "leader-incoming-document")
        page.get_by_role("toolbar").get_by_role("button", name="Giao xử lý").click()
        dialog = page.get_by_role("dialog", name="Giao xử lý văn bản")
        dialog.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Kinh tế chủ trì tham mưu góp ý.")
        dialog.get_by_label("Đơn vị chủ trì").select_option(label="Phòng Kinh tế")
        lead_due = (vn_today + timedelta(days=10)).isoformat()
        dialog.get_by_label("Hạn xử lý của Phòng Kinh tế").fill(lead_due)
        j.shot(page, "leader-assign-sheet")
        dialog.get_by_role("button", name="Giao xử lý").click()
        expect(page.get_by_role("status").filter(has_text="Đã giao xử lý.")).to_be_visible()
        dismiss_push_prompt(page)
        leader = api_login(live_server, "phochutich1")
        waiting = [
            i["document"]["subject"] for i in leader.get("/api/inbox/waiting").json()["items"]
        ]
        assert incoming_subject not in waiting  # instructed: no longer waiting for her
        section(page, "Giao việc")
        page.get_by_role("tab", name="Mới").click()
        expect(page.get_by_role("listitem").filter(has_text=incoming_subject)).to_be_visible()
        j.shot(page, "leader-following-work")

        # -- the head sub-assigns --------------------------------------------------------
        page = j.person("truongphong.kt")
        section(page, "Việc được giao")
        expect(page.get_by_role("listitem").filter(has_text=incoming_subject)).to_be_visible()
        j.shot(page, "head-work-list")
        open_row(page, incoming_subject)
        expect(page.locator("blockquote").first).to_contain_text("Giao Phòng Kinh tế chủ trì")
        j.shot(page, "head-work")
        page.get_by_role("toolbar").get_by_role("button", name="Giao cán bộ").click()
        dialog = page.get_by_role("dialog", name="Giao cho cán bộ trong đơn vị")
        dialog.get_by_role("checkbox", name=re.compile("Đặng Văn Hùng")).check()
        dialog.get_by_label("Nội dung giao (không bắt buộc)").fill("Dự thảo văn bản góp ý.")
        j.shot(page, "head-sub-assign")
        dialog.get_by_role("button", name="Giao cho cán bộ").click()
        expect(page.get_by_text("Đã giao cho 1 người.")).to_be_visible()
        dismiss_push_prompt(page)
        expect(page.locator("section", has_text="Cán bộ được giao")).to_contain_text(
            "Đặng Văn Hùng"
        )

        # -- the specialist reports progress, with a photo ----------------------------------
        spec = j.person("chuyenvien.kt")
        section(spec, "Việc được giao")
        open_row(spec, incoming_subject)
        j.shot(spec, "specialist-work")
        spec.get_by_role("toolbar").get_by_role("button", name="Báo cáo").click()
        dialog = spec.get_by_role("dialog", name="Báo cáo tiến độ")
        dialog.get_by_label("Đã hoàn thành (%)").first.fill("80")
        dialog.get_by_label("Nội dung báo cáo").fill("Đã dự thảo xong; gửi ảnh biên bản họp.")
        spec.locator("#progress-files").set_input_files(str(photo))
        j.shot(spec, "specialist-progress")
        dialog.get_by_role("button", name="Gửi").click()
        expect(spec.get_by_text("Đã gửi báo cáo tiến độ.")).to_be_visible()
        dismiss_push_prompt(spec)
        expect(spec.get_by_role("button", name=re.compile("bien-ban-hop.jpg"))).to_be_visible()
        j.shot(spec, "specialist-progress-sent")

        # -- the head completes: the person's part, then the unit's ------------------------
        page.reload()
        expect(page.locator("section", has_text="Cán bộ được giao")).to_contain_text("80%")
        page.get_by_role("link", name="Đặng Văn Hùng").click()
        page.get_by_role("toolbar").get_by_role("button", name="Hoàn thành").click()
        dialog = page.get_by_role("dialog", name="Hoàn thành")
        dialog.get_by_label("Kết quả xử lý").fill("Đã hoàn thành dự thảo góp ý.")
        dialog.get_by_role("button", name="Hoàn thành").click()
        expect(page.get_by_text("Đã hoàn thành.")).to_be_visible()
        page.go_back()
        expect(page.get_by_role("heading", level=1, name=incoming_subject)).to_be_visible()
        page.reload()
        page.get_by_role("toolbar").get_by_role("button", name="Hoàn thành").click()
        dialog = page.get_by_role("dialog", name="Hoàn thành")
        dialog.get_by_label("Kết quả xử lý").fill("Đã gửi văn bản góp ý của Phòng Kinh tế.")
        j.shot(page, "head-complete")
        dialog.get_by_role("button", name="Hoàn thành").click()
        expect(page.get_by_text("Đã hoàn thành.")).to_be_visible()
        expect(page.locator(".doc-marks")).to_contain_text("Đã hoàn thành")
        j.shot(page, "head-completed")
        head = api_login(live_server, "truongphong.kt")
        incoming = next(
            i["document"]["id"]
            for i in head.get("/api/assignments?scope=unit&state=completed").json()["items"]
            if i["document"]["subject"] == incoming_subject
        )
        tree = head.get(f"/api/documents/{incoming}/assignments").json()
        assert tree["processing"]["state"] == "completed"
        [lead] = tree["assignments"]
        [part] = lead["children"]
        assert part["assignee"]["full_name"] == "Đặng Văn Hùng" and part["state"] == "completed"
        [report] = part["progress_reports"]
        assert report["percent"] == 80 and report["author"]["full_name"] == "Đặng Văn Hùng"
        assert [f["content_type"] for f in report["files"]] == ["image/jpeg"]
    finally:
        j.close()
