"""Word drafts: the main file may be a .docx or .odt; the worker converts it to PDF with
LibreOffice (unoserver); the original stays as the editable source and the PDF is what
is reviewed and signed. Bad office files are refused with a reason, before LibreOffice
sees them or by it, and a slow conversion is stopped at the time limit."""

from __future__ import annotations

import io
import threading
import time

import msoffcrypto.format.ooxml
import openpyxl
import pytest
from pypdf import PdfReader

from backend.conversion.templates import decision_docx, letter_docx
from backend.documents import conversions
from signing import placement
from tests.conftest import (
    act,
    count_rows,
    document_type_id,
    etag_of,
    run_worker,
    set_route,
    standard_route,
)
from tests.conversion.conftest import docx_with, make_pool

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUBJECT = "phê duyệt kế hoạch chuyển đổi số năm 2027"


def upload(client, person, data: bytes, filename: str, *, attachments=None, headers=None):
    form = {
        "document_type_id": str(document_type_id(client, person, "quyet-dinh")),
        "subject": f"Quyết định {SUBJECT}",
        "file": (io.BytesIO(data), filename),
    }
    if attachments:
        form["attachments"] = [(io.BytesIO(b), name) for b, name in attachments]
    return client.post(
        "/api/documents",
        data=form,
        headers={**person.headers, **(headers or {})},
        content_type="multipart/form-data",
    )


def detail(client, person, document_id: int) -> dict:
    r = client.get(f"/api/documents/{document_id}", headers=person.headers)
    assert r.status_code == 200, r.json
    return r.json


def test_a_word_draft_becomes_the_pdf_that_is_reviewed(app, client, world, converters):
    specialist, leader = world["specialist"], world["leader"]
    docx = decision_docx(leader.full_name, SUBJECT)
    r = upload(client, specialist, docx, "Dự thảo quyết định.docx")
    assert r.status_code == 201, r.json
    document = r.json["id"]
    [source] = r.json["files"]
    assert (source["kind"], source["content_type"]) == ("source", DOCX)
    assert r.json["conversion"]["state"] == "pending"  # the app shows "đang chuyển đổi"
    assert source["conversion"]["state"] == "pending"

    # it cannot go on its way before its PDF exists
    assert set_route(client, specialist, document, standard_route(world)).status_code == 200
    early = act(client, specialist, document, "submit")
    assert early.status_code == 409 and early.json["code"] == "conversion-pending"

    run_worker(app)  # the worker's conversion task, with real LibreOffice
    doc = detail(client, specialist, document)
    assert doc["conversion"]["state"] == "done"
    main = next(f for f in doc["files"] if f["kind"] == "main")
    assert doc["files"][0] == main  # the PDF comes first, the original stays
    assert main["filename"] == "Dự thảo quyết định.pdf"
    assert main["content_type"] == "application/pdf" and main["page_count"] == 1
    assert main["source_file_id"] == source["id"]
    assert doc["conversion"]["pdf_file_id"] == main["id"]

    # the original is downloadable as it was uploaded
    original = client.get(
        f"/api/documents/{document}/files/{source['id']}", headers=specialist.headers
    )
    assert original.status_code == 200 and original.data == docx
    assert original.mimetype == DOCX
    # the PDF: Vietnamese text, fonts embedded (Times New Roman → Liberation Serif)
    pdf = client.get(f"/api/documents/{document}/files/{main['id']}", headers=specialist.headers)
    reader = PdfReader(io.BytesIO(pdf.data))
    text = reader.pages[0].extract_text()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Chủ tịch" in text
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert any("LiberationSerif" in f for f in fonts), fonts
    # issuing can write the number and date over the template's blanks, and the
    # leader's signature goes above the printed name
    number_box, date_box = placement.issue_boxes(pdf.data)
    assert number_box is not None and date_box is not None
    found = placement.find_name(pdf.data, leader.full_name)
    assert found is not None and found.page == 1
    # the phone sees its pages; search finds its words
    page = client.get(
        f"/api/documents/{document}/files/{main['id']}/pages/1?width=390&dpr=2",
        headers=specialist.headers,
    )
    assert page.status_code == 200 and page.mimetype == "image/webp"
    found_by_search = client.get(
        "/api/search?q=nghi dinh 30/2020 van thu", headers=specialist.headers
    ).json
    assert [d["id"] for d in found_by_search["items"]] == [document]

    submitted = act(client, specialist, document, "submit")
    assert submitted.status_code == 200, submitted.json
    assert act(client, world["head"], document, "approve").status_code == 200


def test_a_new_version_after_a_return_may_be_an_odt(app, client, world, converters, tmp_path):
    specialist, head = world["specialist"], world["head"]
    first = upload(client, specialist, letter_docx(world["leader"].full_name, SUBJECT), "cv.docx")
    document = first.json["id"]
    run_worker(app)
    set_route(client, specialist, document, standard_route(world))
    assert act(client, specialist, document, "submit").status_code == 200
    assert act(client, head, document, "return", reason="Sửa lại Điều 2.").status_code == 200

    # the drafter saves the corrected draft as OpenDocument
    docx = tmp_path / "v2.docx"
    docx.write_bytes(letter_docx(world["leader"].full_name, SUBJECT + " (sửa đổi)"))
    converters.convert(docx, tmp_path / "v2.odt")
    odt = (tmp_path / "v2.odt").read_bytes()
    r = client.post(
        f"/api/documents/{document}/versions",
        data={"file": (io.BytesIO(odt), "Công văn sửa đổi.odt"), "note": "Đã sửa Điều 2"},
        headers={**specialist.headers, "If-Match": etag_of(client, specialist, document)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    [source] = r.json["files"]
    assert source["kind"] == "source" and source["content_type"].endswith("opendocument.text")
    run_worker(app)
    doc = detail(client, specialist, document)
    assert doc["current_version"] == 2 and doc["conversion"]["state"] == "done"
    main = next(f for f in doc["files"] if f["kind"] == "main")
    text = (
        PdfReader(
            io.BytesIO(
                client.get(
                    f"/api/documents/{document}/files/{main['id']}", headers=specialist.headers
                ).data
            )
        )
        .pages[0]
        .extract_text()
    )
    assert "(sửa đổi)" in text
    assert act(client, specialist, document, "submit").status_code == 200


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Đơn vị", "Kinh phí (triệu đồng)"])
    sheet.append(["Phòng Kinh tế", 1250])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 25
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _encrypted(docx: bytes) -> bytes:
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(docx)).encrypt("mật-khẩu", out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("corrupt", "office-file-broken"),
        ("truncated", "office-file-broken"),
        ("docm", "office-macros"),
        ("macros-inside", "office-macros"),
        ("password", "office-encrypted"),
        ("bomb-declared", "office-zip-bomb"),
        ("bomb-ratio", "office-zip-bomb"),
        ("spreadsheet-as-main", "file-type-not-allowed"),
    ],
)
def test_bad_office_files_are_refused_with_a_reason(app, client, world, case, code):
    good = letter_docx("Lê Thị Hồng Hạnh", SUBJECT)
    files = {
        "corrupt": (b"PK\x03\x04" + bytes(range(256)) * 20, "du-thao.docx"),
        "truncated": (good[: len(good) // 2], "du-thao.docx"),
        "docm": (good, "du-thao.docm"),
        "macros-inside": (
            docx_with({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 600}, good),
            "du-thao.docx",
        ),
        "password": (_encrypted(good), "du-thao.docx"),
        # 300 MB of zeros packed into a few hundred KB
        "bomb-declared": (
            docx_with({"word/media/image1.png": b"\x00" * (300 * 1024 * 1024)}, good),
            "du-thao.docx",
        ),
        # under the total, but one part unpacks to over 200× its size
        "bomb-ratio": (
            docx_with({"word/media/image1.png": b"\x00" * (60 * 1024 * 1024)}, good),
            "du-thao.docx",
        ),
        "spreadsheet-as-main": (xlsx(), "bang.xlsx"),
    }
    data, name = files[case]
    started = time.monotonic()
    r = upload(client, world["specialist"], data, name)
    assert r.status_code == 422, r.json
    assert r.json["code"] == code
    assert r.json["errors"]["file"]  # the field that was refused
    assert time.monotonic() - started < 20  # refused without unpacking everything
    assert count_rows(app, "documents") == 0 and count_rows(app, "file_conversions") == 0
    # the same checks apply to attachments
    r = upload(client, world["specialist"], good, "du-thao.docx", attachments=[(data, name)])
    assert r.status_code == (201 if case == "spreadsheet-as-main" else 422), r.json
    if case != "spreadsheet-as-main":
        assert r.json["code"] == code and r.json["errors"]["attachments[0]"]


def test_a_file_libreoffice_cannot_open_fails_with_a_reason(app, client, world, converters):
    specialist = world["specialist"]
    # a well-formed package whose text part is not XML: only LibreOffice can tell
    broken = docx_with({"word/document.xml": "<<< không phải XML"}, letter_docx("A", SUBJECT))
    document = upload(client, specialist, broken, "hong.docx").json["id"]
    run_worker(app)
    doc = detail(client, specialist, document)
    assert doc["conversion"]["state"] == "failed"
    assert doc["conversion"]["code"] == "conversion-failed"
    assert "could not open" in doc["conversion"]["reason"]
    assert "/" not in doc["conversion"]["reason"]  # no server path in what people see
    assert doc["conversion"]["reason_vi"]
    assert not any(f["kind"] == "main" for f in doc["files"])
    notes = client.get("/api/notifications", headers=specialist.headers).json["items"]
    assert notes[0]["kind"] == "document.conversion_failed"
    assert "hong.docx" in notes[0]["title"]
    set_route(client, specialist, document, standard_route(world))
    refused = act(client, specialist, document, "submit")
    assert refused.status_code == 409 and refused.json["code"] == "conversion-failed"
    assert "Upload a new version" in refused.json["detail"]


def test_a_slow_document_is_stopped_at_the_limit_and_holds_up_nothing(app, client, world, tmp_path):
    """300 pages convert well within the default limit; with a limit of 2 s the same
    document is stopped, its converter restarted, and a short draft converted by the other
    converter meanwhile is not kept waiting."""
    specialist, leader = world["specialist"], world["leader"]
    long = decision_docx(leader.full_name, SUBJECT, articles=2200)
    pool = make_pool(tmp_path / "convert", count=2, time_limit=120)
    try:
        big = upload(client, specialist, long, "300 trang.docx").json["id"]
        with app.app_context():
            assert conversions.run_one(pool)
        doc = detail(client, specialist, big)
        assert doc["conversion"]["state"] == "done", doc["conversion"]
        main = next(f for f in doc["files"] if f["kind"] == "main")
        assert main["page_count"] >= 300

        for converter in pool.converters:
            converter.time_limit = 2
        slow = upload(client, specialist, long, "lại 300 trang.docx").json["id"]
        quick = upload(client, specialist, letter_docx(leader.full_name, SUBJECT), "cv.docx")
        results: list[bool] = []

        def convert_slow() -> None:
            with app.app_context():
                results.append(conversions.run_one(pool))

        worker = threading.Thread(target=convert_slow)
        worker.start()
        deadline = time.monotonic() + 30
        while detail(client, specialist, slow)["conversion"]["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with app.app_context():
            assert conversions.run_one(pool)  # the short draft, on the other converter
        quick_done = detail(client, specialist, quick.json["id"])["conversion"]
        worker.join(timeout=60)
        slow_doc = detail(client, specialist, slow)["conversion"]
        assert quick_done["state"] == "done"
        assert slow_doc["state"] == "failed" and slow_doc["code"] == "conversion-timeout"
        assert "longer than 2 s" in slow_doc["reason"]
        assert pool.restarts == 1
        # the restarted converter works
        for converter in pool.converters:
            converter.time_limit = 120
        third = upload(client, specialist, letter_docx(leader.full_name, SUBJECT), "b.docx")
        with app.app_context():
            assert conversions.run_one(pool)
            assert not conversions.run_one(pool)
        assert detail(client, specialist, third.json["id"])["conversion"]["state"] == "done"
    finally:
        pool.stop()


def test_an_incoming_document_is_the_pdf_it_arrived_as(app, client, world):
    form = {
        "document_type_id": str(document_type_id(client, world["clerk"], "cong-van")),
        "subject": "Công văn của Bộ Tài chính",
        "direction": "incoming",
        "file": (io.BytesIO(letter_docx("A", SUBJECT)), "cong-van-den.docx"),
    }
    r = client.post(
        "/api/documents",
        data=form,
        headers=world["clerk"].headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and r.json["code"] == "not-pdf"
    assert count_rows(app, "documents") == 0
