"""Issuing through the API: every attachment gets the agency's signature (top right of
page 1, number/symbol and ISO 8601 time), an office attachment not yet converted to PDF
stops the issue with a reason and changes nothing, the phone's page images show the
signatures, and archive timestamps are renewed by the worker before their TSA
certificate expires."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image
from pypdf import PdfReader

from backend.conversion.templates import letter_docx
from backend.core.timeutil import utcnow
from signing import placement
from signing.samples import decision
from signing.validation import validate
from tests.conftest import act, count_rows, make_pdf, run_periodic, run_worker, upload_document
from tests.signatures.conftest import PIN

AGENCY = "Ủy ban nhân dân tỉnh Nghệ An"


def _sign_and_wait(app, client, person, document: int) -> dict:
    created = client.post(f"/api/documents/{document}/sign", json={}, headers=person.headers)
    assert created.status_code == 201, created.json
    r = client.post(
        f"/api/signing-requests/{created.json['id']}/authorize",
        json={"method": "pin", "code": PIN},
        headers=person.headers,
    )
    assert r.status_code == 202, r.json
    run_worker(app)
    done = client.get(f"/api/signing-requests/{created.json['id']}", headers=person.headers).json
    assert done["state"] == "completed", done
    return done


def _route_to_leader(client, world, pdf: bytes, attachments=None) -> int:
    from tests.conftest import set_route

    r = upload_document(client, world["specialist"], pdf=pdf, attachments=attachments)
    assert r.status_code == 201, r.json
    document = r.json["id"]
    steps = [
        {"kind": "sign", "actors": [{"user_id": world["leader"].id}]},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    assert set_route(client, world["specialist"], document, steps).status_code == 200
    assert act(client, world["specialist"], document, "submit").status_code == 200
    return document


def _files(client, person, document: int) -> list[dict]:
    return client.get(f"/api/documents/{document}", headers=person.headers).json["files"]


def _download(client, person, document: int, file_id: int) -> bytes:
    r = client.get(f"/api/documents/{document}/files/{file_id}", headers=person.headers)
    assert r.status_code == 200
    return r.data


def _visible_text(pdf: bytes, page: int = 0) -> str:
    """The text a reader sees, signature and stamp appearances included (flattened)."""
    document = pdfium.PdfDocument(pdf)
    pdfium_raw.FPDFPage_Flatten(document[page], pdfium_raw.FLAT_NORMALDISPLAY)
    out = io.BytesIO()
    document.save(out)
    return pdfium.PdfDocument(out.getvalue())[page].get_textpage().get_text_range()


def test_issuing_signs_every_attachment_and_locks_the_document(
    app, client, world, signing_env, pdf_factory
):
    leader, clerk = world["leader"], world["clerk"]
    annex, table = make_pdf(2, text_marker="Phụ lục kèm theo"), make_pdf(1, text_marker="Bảng")
    document = _route_to_leader(
        client,
        world,
        decision(leader.full_name),
        attachments=[(annex, "phu-luc.pdf"), (table, "bang-so-lieu.pdf")],
    )
    before = {f["filename"]: f for f in _files(client, world["specialist"], document)}
    _sign_and_wait(app, client, leader, document)
    issued = act(client, clerk, document, "issue", recipients="Các sở, ban, ngành")
    assert issued.status_code == 200, issued.json
    number_symbol = issued.json["number_symbol"]
    after = {f["filename"]: f for f in _files(client, clerk, document)}
    roots = [signing_env.pki.trust_root()]
    for name in ("phu-luc.pdf", "bang-so-lieu.pdf"):
        assert after[name]["sha256"] != before[name]["sha256"]  # a signed copy, not the same
        pdf = _download(client, clerk, document, after[name]["id"])
        report = validate(pdf, roots)
        [signature] = [s for s in report.signatures if s.kind == "signature"]
        assert report.ok and signature.signer == AGENCY
        # top right of page 1, no image: the number/symbol and the time, +07:00
        reader = PdfReader(io.BytesIO(pdf))
        width, height = (float(v) for v in reader.pages[0].mediabox[2:])
        [widget] = [a.get_object() for a in reader.pages[0]["/Annots"]]
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        assert x1 > width / 2 and y2 > height - 40
        text = _visible_text(pdf)
        assert number_symbol in text and "+07:00" in text
    main = _download(client, clerk, document, after["du-thao.pdf"]["id"])
    visible = _visible_text(main)
    assert f"Số: {number_symbol}" in visible and "Nghệ An, ngày" in visible
    # the seal locks: its field carries the lock, no change allowed
    seal = next(
        f.get_object()
        for f in PdfReader(io.BytesIO(main)).trailer["/Root"]["/AcroForm"]["/Fields"]
        if str(f.get_object().get("/T", "")).startswith("DauCoQuan")
    )
    assert seal["/Lock"]["/Action"] == "/All" and seal["/Lock"]["/P"] == 1


def test_an_office_attachment_not_yet_converted_stops_the_issue_and_changes_nothing(
    app, client, world, signing_env
):
    """Office attachments are signed through their PDF copies (tests/conversion); while a
    copy is still being made the issue waits, and nothing changes (no number is spent)."""
    leader, clerk = world["leader"], world["clerk"]
    docx = letter_docx(leader.full_name, "kế hoạch chuyển đổi số")
    document = _route_to_leader(
        client, world, decision(leader.full_name), attachments=[(docx, "ke-hoach.docx")]
    )
    app.extensions["queue"].flush()  # the worker has not converted it yet
    _sign_and_wait(app, client, leader, document)
    entries, before = count_rows(app, "register_entries"), _files(client, clerk, document)
    refused = act(client, clerk, document, "issue", recipients="Các sở")
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "conversion-pending"
    assert "ke-hoach.docx" in refused.json["detail"] and "PDF" in refused.json["detail"]
    doc = client.get(f"/api/documents/{document}", headers=clerk.headers).json
    assert doc["status"] == "signed" and doc["number_symbol"] is None
    assert count_rows(app, "register_entries") == entries  # no number spent
    assert _files(client, clerk, document) == before


def _page_image(client, person, document: int, file_id: int, page: int) -> Image.Image:
    r = client.get(
        f"/api/documents/{document}/files/{file_id}/pages/{page}?width=600&dpr=1",
        headers=person.headers,
    )
    assert r.status_code == 200, r.json
    return Image.open(io.BytesIO(r.data)).convert("L")


def test_the_phone_sees_the_signatures(app, client, world, signing_env):
    leader = world["leader"]
    pdf = decision(leader.full_name)
    box = placement.signature_box(pdf, leader.full_name)
    document = _route_to_leader(client, world, pdf)
    [main] = [f for f in _files(client, leader, document) if f["kind"] == "main"]

    def ink(image: Image.Image) -> int:
        scale = image.width / 595
        crop = image.crop(
            (
                int(box.x1 * scale),
                int((842 - box.y2) * scale),
                int(box.x2 * scale),
                int((842 - box.y1) * scale),
            )
        )
        return sum(1 for p in crop.get_flattened_data() if p < 200)

    unsigned = ink(_page_image(client, leader, document, main["id"], box.page))
    _sign_and_wait(app, client, leader, document)
    [signed_main] = [f for f in _files(client, leader, document) if f["kind"] == "main"]
    signed = ink(_page_image(client, leader, document, signed_main["id"], box.page))
    assert unsigned < 20 < 300 < signed  # the blue signature is drawn in its box


def test_archive_timestamps_are_renewed_before_they_expire(
    app, client, world, signing_env, monkeypatch
):
    leader, clerk, admin = world["leader"], world["clerk"], world["admin"]
    settings = app.extensions["settings"]
    r = client.put(
        f"/api/organisations/{world.org_a}/signing-settings",
        json={"signature_level": "B-LTA"},
        headers=admin.headers,
    )
    assert r.status_code == 200
    # everything is timestamped by a TSA whose certificate ends in 60 days
    monkeypatch.setattr(settings, "signing_tsa_url", signing_env.pki.expiring_tsa_url)
    document = _route_to_leader(client, world, decision(leader.full_name))
    _sign_and_wait(app, client, leader, document)
    assert act(client, clerk, document, "issue", recipients="Các sở").status_code == 200
    version = client.get(f"/api/documents/{document}", headers=clerk.headers).json
    assert version["current_version"] == 3
    audit_before = count_rows(app, "audit_events")
    # not yet due with a short margin: nothing happens
    monkeypatch.setattr(settings, "archive_renewal_margin_days", 30)
    assert run_periodic(app, "renew_archives") == 0
    # due (the default margin is a year): a fresh timestamp from the long-lived TSA
    monkeypatch.setattr(settings, "archive_renewal_margin_days", 365)
    monkeypatch.setattr(settings, "signing_tsa_url", signing_env.pki.tsa_url)
    assert run_periodic(app, "renew_archives") == 1
    doc = client.get(f"/api/documents/{document}", headers=clerk.headers).json
    assert doc["current_version"] == 4 and doc["status"] == "issued"
    timeline = client.get(f"/api/documents/{document}/timeline", headers=clerk.headers).json
    renewal = [e for e in timeline if e["kind"] == "version" and e["version_number"] == 4]
    assert renewal and renewal[0]["text"].startswith("Gia hạn lưu trữ")
    assert renewal[0]["actor"] is None  # the system did it
    assert count_rows(app, "audit_events") > audit_before
    [main] = [f for f in doc["files"] if f["kind"] == "main"]
    report = validate(
        _download(client, clerk, document, main["id"]), [signing_env.pki.trust_root()]
    )
    assert report.ok
    assert [s.kind for s in report.signatures].count("document-timestamp") >= 3
    # renewed: not due again
    assert run_periodic(app, "renew_archives") == 0
    with app.app_context():
        from backend.core.db import session
        from backend.signatures.models import ArchiveState

        state = session().get(ArchiveState, document)
        assert state.tsa_expires_at > utcnow() + timedelta(days=3650)


def test_the_report_downloads_as_one_page_in_vietnamese(app, client, world, signing_env):
    leader, clerk = world["leader"], world["clerk"]
    document = _route_to_leader(client, world, decision(leader.full_name))
    _sign_and_wait(app, client, leader, document)
    number = act(client, clerk, document, "issue", recipients="Các sở").json["number_symbol"]
    r = client.get(f"/api/documents/{document}/signatures/report.pdf", headers=clerk.headers)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert len(PdfReader(io.BytesIO(r.data)).pages) == 1
    text = pdfium.PdfDocument(r.data)[0].get_textpage().get_text_range()
    for words in ("BIÊN BẢN KIỂM TRA CHỮ KÝ SỐ", "KẾT LUẬN: HỢP LỆ", leader.full_name, number):
        assert words in " ".join(text.split()), words
    assert "TOTAL_PASSED" in text and "Dấu thời gian của văn bản" not in text  # B-T
    # an older version's report: only the leader's signature
    r = client.get(
        f"/api/documents/{document}/signatures/report.pdf?version=2", headers=clerk.headers
    )
    assert r.status_code == 200
    older = pdfium.PdfDocument(r.data)[0].get_textpage().get_text_range()
    assert AGENCY.upper() in " ".join(older.split()) and "2. " not in older
