"""Issuing a document with office attachments: each is converted to PDF (when it was
uploaded) and the PDF copy gets the agency's signature, the original staying attached;
an attachment that cannot be converted stops the issue with the reason, and nothing
changes."""

from __future__ import annotations

import io

from pypdf import PdfReader

from backend.conversion.templates import letter_docx
from signing.samples import decision
from signing.validation import validate
from tests.conftest import act, count_rows, run_worker
from tests.conversion.conftest import docx_with
from tests.conversion.test_word_drafts import xlsx
from tests.signatures.test_issuing_api import (
    AGENCY,
    _files,
    _route_to_leader,
    _sign_and_wait,
    _visible_text,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(client, person, document: int, file_id: int) -> bytes:
    r = client.get(f"/api/documents/{document}/files/{file_id}", headers=person.headers)
    assert r.status_code == 200
    return r.data


def test_office_attachments_are_signed_through_their_pdf_copies(
    app,
    client,
    world,
    signing_env,
    converters,
):
    leader, clerk = world["leader"], world["clerk"]
    plan = letter_docx(leader.full_name, "kế hoạch chi tiết")
    table = xlsx()
    document = _route_to_leader(
        client,
        world,
        decision(leader.full_name),
        attachments=[(plan, "Kế hoạch chi tiết.docx"), (table, "Bảng kinh phí.xlsx")],
    )
    run_worker(app)  # converts both attachments
    _sign_and_wait(app, client, leader, document)
    issued = act(client, clerk, document, "issue", recipients="Các sở, ban, ngành")
    assert issued.status_code == 200, issued.json
    number = issued.json["number_symbol"]

    files = _files(client, clerk, document)
    by_name = {f["filename"]: f for f in files}
    # the originals stay attached, unchanged
    assert _download(client, clerk, document, by_name["Kế hoạch chi tiết.docx"]["id"]) == plan
    assert _download(client, clerk, document, by_name["Bảng kinh phí.xlsx"]["id"]) == table
    assert by_name["Bảng kinh phí.xlsx"]["content_type"] == XLSX
    # their PDF copies carry the agency's signature with the number
    for original, copy in (
        ("Kế hoạch chi tiết.docx", "Kế hoạch chi tiết.pdf"),
        ("Bảng kinh phí.xlsx", "Bảng kinh phí.pdf"),
    ):
        pdf_file = by_name[copy]
        assert pdf_file["source_file_id"] == by_name[original]["id"]
        data = _download(client, clerk, document, pdf_file["id"])
        report = validate(data, [signing_env.pki.trust_root()])
        [signature] = [s for s in report.signatures if s.kind == "signature"]
        assert report.ok and signature.signer == AGENCY
        assert signature.indication == "TOTAL_PASSED"
        assert number in _visible_text(data)  # "số/ký hiệu" written by the seal
    text = PdfReader(
        io.BytesIO(_download(client, clerk, document, by_name["Bảng kinh phí.pdf"]["id"]))
    )
    assert "Phòng Kinh tế" in text.pages[0].extract_text()  # the spreadsheet's cells


def test_an_attachment_that_cannot_be_converted_stops_the_issue(
    app,
    client,
    world,
    signing_env,
    converters,
):
    leader, clerk = world["leader"], world["clerk"]
    broken = docx_with({"word/document.xml": "<<< hỏng"}, letter_docx("A", "phụ lục"))
    document = _route_to_leader(
        client, world, decision(leader.full_name), attachments=[(broken, "Phụ lục hỏng.docx")]
    )
    run_worker(app)
    _sign_and_wait(app, client, leader, document)
    entries, before = count_rows(app, "register_entries"), _files(client, clerk, document)
    refused = act(client, clerk, document, "issue", recipients="Các sở")
    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "attachment-conversion-failed"
    assert "Phụ lục hỏng.docx" in refused.json["detail"]
    assert "Return the document" in refused.json["detail"]
    assert refused.json["files"][0]["code"] == "conversion-failed"
    assert count_rows(app, "register_entries") == entries  # no number spent
    assert _files(client, clerk, document) == before
    # the clerk returns it; the drafter replaces the attachment and it goes through
    assert act(client, clerk, document, "return", reason="Phụ lục hỏng").status_code == 200
