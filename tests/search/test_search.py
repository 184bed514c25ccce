"""Search: Vietnamese without diacritics or case, number/symbol, sender and PDF text,
only what the caller may open, ranked and paginated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from backend.core.db import atomic
from signing.samples import draft
from tests.conftest import (
    act,
    count_rows,
    document_type_id,
    run_worker,
    set_route,
    standard_route,
    upload_document,
)


@pytest.fixture(autouse=True, params=["window", "index"])
def path(request, monkeypatch):
    """Run every test both ways: within the recent-documents window (LIKE alone), and
    through the dialect's index (FTS5 / tsvector) with a window of one document."""
    from backend.search import service

    if request.param == "index":
        monkeypatch.setattr(service, "WINDOW", 1)
    return request.param


def pdf_with(*lines: str) -> bytes:
    """A one-page PDF whose text (embedded font) is ``lines``."""
    return draft([[(60, 780 - 20 * i, line) for i, line in enumerate(lines)]])


def search(client, person, q: str, **params):
    response = client.get("/api/search", query_string={"q": q, **params}, headers=person.headers)
    assert response.status_code == 200, response.json
    return response.json


def ids(client, person, q: str, **params) -> list[int]:
    return [hit["id"] for hit in search(client, person, q, **params)["items"]]


def upload(client, person, subject: str, *lines: str, **meta) -> int:
    pdf = pdf_with(*lines) if lines else None
    response = upload_document(client, person, subject=subject, pdf=pdf, **meta)
    assert response.status_code == 201, response.json
    run_worker(client.application)  # the worker reads the PDF's text after the commit
    return response.json["id"]


def test_without_diacritics_and_case(client, world):
    specialist = world["specialist"]
    decision = upload(client, specialist, "Quyết định phê duyệt kế hoạch đào tạo cán bộ")
    report = upload(client, specialist, "Tờ trình UBND tỉnh về đường giao thông nông thôn")
    for q in ("quyet dinh", "Quyết định", "QUYẾT ĐỊNH", "quyết dinh", "dao tao", "ĐÀO TẠO"):
        assert ids(client, specialist, q) == [decision], q
    for q in ("ubnd", "UBND", "Ubnd", "duong giao thong", "đường", "duong"):
        assert ids(client, specialist, q) == [report], q
    # every word must be found; a word matches the start of a word
    assert ids(client, specialist, "quyet dinh giao thong") == []
    assert ids(client, specialist, "ke hoa") == [decision]
    assert ids(client, specialist, "oach") == []


def test_text_only_in_the_pdf(client, world):
    specialist = world["specialist"]
    doc = upload(
        client,
        specialist,
        "Công văn gửi các sở, ngành",
        "Kính gửi: Các sở, ban, ngành",
        "Đề nghị báo cáo kết quả Hội nghị tổng kết công tác chuyển đổi số năm 2026.",
    )
    result = search(client, specialist, "hoi nghi tong ket")
    assert [h["id"] for h in result["items"]] == [doc]
    hit = result["items"][0]
    assert hit["matched_in"] == ["body"]
    assert "Hội nghị tổng kết" in hit["snippet"]  # shown with its diacritics
    assert hit["subject"] == "Công văn gửi các sở, ngành"  # the document summary
    assert ids(client, specialist, "chuyen doi so 2026") == [doc]
    assert ids(client, specialist, "tong ket ngan sach") == []


def test_attachment_text_is_searched(client, world):
    response = upload_document(
        client,
        world["specialist"],
        subject="Kế hoạch năm 2027",
        attachments=[(pdf_with("Phụ lục: danh mục dự án đầu tư công trung hạn"), "phu-luc.pdf")],
    )
    assert response.status_code == 201
    assert ids(client, world["specialist"], "dau tu cong") == []  # read by the worker…
    run_worker(client.application)
    assert ids(client, world["specialist"], "dau tu cong") == [response.json["id"]]


def test_number_symbol_after_issue(client, world):
    specialist = world["specialist"]
    doc = upload(client, specialist, "Về việc tăng cường phòng cháy chữa cháy")
    assert set_route(client, specialist, doc, standard_route(world)).status_code == 200
    assert act(client, specialist, doc, "submit").status_code == 200
    assert act(client, world["head"], doc, "approve").status_code == 200
    assert act(client, world["leader"], doc, "approve").status_code == 200
    issued = act(client, world["clerk"], doc, "issue")
    assert issued.status_code == 200, issued.json
    assert issued.json["number_symbol"] == "01/UBND-KT"
    for q in ("01/UBND-KT", "01/ubnd-kt", "01 ubnd kt"):
        hits = search(client, specialist, q)["items"]
        assert [h["id"] for h in hits] == [doc], q
        assert "number_symbol" in hits[0]["matched_in"]
    # the clerk, who issued it, finds it too
    assert ids(client, world["clerk"], "phong chay chua chay") == [doc]


def test_incoming_sender(client, world):
    clerk = world["clerk"]
    doc = upload(client, clerk, "Về việc tổ chức thi tuyển công chức", direction="incoming")
    response = act(
        client,
        clerk,
        doc,
        "register-incoming",
        sender_name="Bộ Nội vụ",
        sender_code="000.00.00.G09",
        number_symbol="125/BNV-CCVC",
        document_date="2026-11-20",
    )
    assert response.status_code == 200, response.json
    hits = search(client, clerk, "bo noi vu")["items"]
    assert [h["id"] for h in hits] == [doc]
    assert hits[0]["matched_in"] == ["sender"] and hits[0]["sender"] == "Bộ Nội vụ"
    assert ids(client, clerk, "125/BNV") == [doc]
    # the drafting unit is the sender of an outgoing draft
    draft_id = upload(client, world["specialist"], "Báo cáo tình hình kinh tế quý IV")
    hits = search(client, world["specialist"], "phong kinh te")["items"]
    assert [h["id"] for h in hits] == [draft_id] and hits[0]["sender"] == "Phòng Kinh tế"


def test_visibility(client, world):
    subject = "Kế hoạch kiểm tra đột xuất"
    mine = upload(client, world["specialist"], subject)
    secret = upload(client, world["specialist"], subject, secrecy="toi_mat")
    other_unit = upload(client, world["specialist_vx"], subject)
    other_org = upload(client, world["outsider"], subject)
    q = "ke hoach kiem tra dot xuat"
    assert set(ids(client, world["specialist"], q)) == {mine, secret}
    # the head of KT sees the unit's drafts, not the secret one, not another unit's
    assert ids(client, world["head"], q) == [mine]
    assert ids(client, world["head_vx"], q) == [other_unit]
    assert ids(client, world["outsider"], q) == [other_org]
    for role in ("leader", "clerk", "admin", "outsider_admin"):
        assert ids(client, world[role], q) == [], role


def test_ranking_head_matches_first_then_newest(client, world, frozen_clock):
    specialist = world["specialist"]
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    order = []
    for i, (subject, lines) in enumerate(
        [
            ("Kế hoạch phòng chống thiên tai", ()),  # head, oldest
            ("Công văn số liệu", ("Ứng phó thiên tai và tìm kiếm cứu nạn",)),  # body
            ("Báo cáo thiên tai năm 2026", ()),  # head, newer
            ("Thông báo", ("Tổng hợp thiệt hại do thiên tai",)),  # body, newest
            ("Giấy mời họp", ()),  # no match
        ]
    ):
        frozen_clock(start + timedelta(hours=i))
        order.append(upload(client, specialist, subject, *lines))
    hits = search(client, specialist, "thien tai")["items"]
    assert [h["id"] for h in hits] == [order[2], order[0], order[3], order[1]]
    assert [h["matched_in"] for h in hits] == [["subject"], ["subject"], ["body"], ["body"]]


def test_pagination_across_both_groups(client, world, frozen_clock):
    specialist = world["specialist"]
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    head_docs, body_docs = [], []
    for i in range(5):
        frozen_clock(start + timedelta(minutes=i))
        head_docs.append(upload(client, specialist, f"Đề án số hóa hồ sơ {i}"))
    for i in range(3):
        frozen_clock(start + timedelta(minutes=10 + i))
        body_docs.append(upload(client, specialist, f"Văn bản {i}", "Triển khai đề án số hóa"))
    expected = head_docs[::-1] + body_docs[::-1]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = search(client, specialist, "de an so hoa", **params)
        seen += [h["id"] for h in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected and pages == 3
    bad = client.get(
        "/api/search",
        query_string={"q": "de an", "cursor": "not-a-cursor"},
        headers=specialist.headers,
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_changes_are_indexed_in_the_same_transaction(client, world):
    specialist = world["specialist"]
    doc = upload(client, specialist, "Dự thảo lần một", "Nội dung cũ về thủy lợi")
    assert ids(client, specialist, "thuy loi") == [doc]
    etag = client.get(f"/api/documents/{doc}", headers=specialist.headers).headers["ETag"]
    response = client.patch(
        f"/api/documents/{doc}",
        json={"subject": "Dự thảo quy chế làm việc"},
        headers={**specialist.headers, "If-Match": etag},
    )
    assert response.status_code == 200
    assert ids(client, specialist, "quy che lam viec") == [doc]
    assert ids(client, specialist, "du thao lan mot") == []
    # a new version replaces the searched text
    response = client.post(
        f"/api/documents/{doc}/versions",
        data={"file": (__import__("io").BytesIO(pdf_with("Nội dung mới về giáo dục")), "v2.pdf")},
        headers={**specialist.headers, "If-Match": response.headers["ETag"]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    assert ids(client, specialist, "thuy loi") == []  # the old version's text: gone at once
    run_worker(client.application)  # the new one's: once the worker has read it
    assert ids(client, specialist, "giao duc") == [doc]


def test_a_failed_change_leaves_the_index_alone(client, world):
    specialist = world["specialist"]
    doc = upload(client, specialist, "Trích yếu ban đầu")
    response = client.patch(
        f"/api/documents/{doc}",
        json={"subject": "Trích yếu mới"},
        headers={**specialist.headers, "If-Match": '"d0-0"'},
    )
    assert response.status_code == 412
    assert ids(client, specialist, "ban dau") == [doc]
    assert ids(client, specialist, "trich yeu moi") == []


@pytest.mark.parametrize("q", ["", "!!!", "–…", "   "])
def test_empty_queries_are_refused(client, world, q):
    response = client.get("/api/search", query_string={"q": q}, headers=world["leader"].headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_reindex_command_backfills(app, client, world):
    specialist = world["specialist"]
    doc = upload(
        client, specialist, "Thông báo kết luận", "Kết luận của Chủ tịch về cải cách hành chính"
    )
    with app.app_context(), atomic() as s:
        s.execute(text("DELETE FROM document_search"))
        s.execute(text("DELETE FROM blob_texts"))  # as if stored before search existed
    assert ids(client, specialist, "cai cach hanh chinh") == []
    result = app.test_cli_runner().invoke(args=["reindex-search"])
    assert result.exit_code == 0 and "1 documents" in result.output
    assert ids(client, specialist, "cai cach hanh chinh") == [doc]
    assert count_rows(app, "blob_texts") == 1  # extracted again from the stored PDF


def test_a_lost_extraction_is_done_by_the_sweep(app, client, world):
    """The upload's text task never ran (a worker killed between commit and queue): the
    five-minute sweep reads the PDF all the same."""
    from tests.conftest import run_periodic

    specialist = world["specialist"]
    response = upload_document(
        client, specialist, subject="Báo cáo", pdf=pdf_with("Nội dung về thủy lợi nội đồng")
    )
    assert response.status_code == 201
    app.extensions["queue"].flush()  # the task is lost
    assert ids(client, specialist, "thuy loi noi dong") == []
    assert run_periodic(app, "extract_texts_sweep") == 1
    assert ids(client, specialist, "thuy loi noi dong") == [response.json["id"]]


def test_filters_type_direction_year_unit(client, world, frozen_clock):
    """The search screen's filters narrow what the words found: type, direction, the year
    the document entered (Vietnam time) and the drafting unit."""
    specialist, clerk = world["specialist"], world["clerk"]
    # 31 December 2025, 20:00 in Hà Nội is still 2025 there (13:00 UTC)
    frozen_clock(datetime(2025, 12, 31, 13, 0, tzinfo=UTC))
    old = upload(client, specialist, "Kế hoạch cải cách hành chính năm 2025")
    frozen_clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    letter = upload(client, specialist, "Kế hoạch cải cách hành chính năm 2026")
    decision_type = document_type_id(client, specialist, "quyet-dinh")
    decision = upload(
        client,
        specialist,
        "Quyết định ban hành kế hoạch cải cách hành chính",
        document_type_id=decision_type,
    )
    incoming = upload(client, clerk, "Kế hoạch cải cách hành chính của Bộ", direction="incoming")
    q = "cai cach hanh chinh"
    assert set(ids(client, specialist, q)) == {old, letter, decision}
    assert ids(client, specialist, q, document_type_id=decision_type) == [decision]
    assert set(ids(client, specialist, q, year=2026)) == {letter, decision}
    assert ids(client, specialist, q, year=2025) == [old]
    assert set(ids(client, specialist, q, unit_id=world.units["A.KT"])) == {old, letter, decision}
    assert ids(client, specialist, q, unit_id=world.units["A.VX"]) == []
    assert ids(client, specialist, q, direction="incoming") == []
    assert ids(client, clerk, q, direction="incoming") == [incoming]
    assert ids(client, clerk, q, direction="outgoing") == []
    bad = client.get(
        "/api/search",
        query_string={"q": q, "direction": "sideways", "year": 1800},
        headers=specialist.headers,
    )
    assert bad.status_code == 422 and {"direction", "year"} <= set(bad.json["errors"])
