"""Damaged and hostile PDFs: refused at upload with the reason (422), or — for a page that
cannot be drawn — a page image refused with the reason; large pages come out scaled down.
Every file here is built by tests/hostile_pdfs.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from backend.documents import pdfwork
from tests import hostile_pdfs
from tests.conftest import count_rows, etag_of, make_pdf, upload_document

DAMAGED = {
    "truncated": lambda: hostile_pdfs.truncated(make_pdf(3)),
    "truncated-text": lambda: hostile_pdfs.truncated(hostile_pdfs.text_pdf(), 0.8),
    "missing-content": hostile_pdfs.missing_content,
    "corrupt-stream": hostile_pdfs.corrupt_stream,
}


def _refused(app, response, code: str) -> dict:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    return response.json


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_a_damaged_main_file_is_refused(client, world, app, kind):
    r = upload_document(client, world["specialist"], pdf=DAMAGED[kind]())
    body = _refused(app, r, "pdf-broken")
    assert body["errors"] == {"file": [body["detail"]]}
    assert count_rows(app, "documents") == 0 and count_rows(app, "blobs") == 0


def test_a_damaged_pdf_is_refused_as_attachment_incoming_and_new_version(client, world, app):
    specialist = world["specialist"]
    broken = hostile_pdfs.truncated(make_pdf(2))
    r = upload_document(client, specialist, attachments=[(make_pdf(1), "a.pdf"), (broken, "b.pdf")])
    assert _refused(app, r, "pdf-broken")["errors"].keys() == {"attachments[1]"}
    # incoming registration: the clerk's upload of a received document
    r = upload_document(client, world["clerk"], pdf=broken, direction="incoming")
    _refused(app, r, "pdf-broken")
    assert count_rows(app, "documents") == 0
    doc = upload_document(client, specialist).json["id"]
    r = client.post(
        f"/api/documents/{doc}/versions",
        data={"file": (io.BytesIO(broken), "v2.pdf")},
        headers={**specialist.headers, "If-Match": etag_of(client, specialist, doc)},
        content_type="multipart/form-data",
    )
    _refused(app, r, "pdf-broken")
    assert count_rows(app, "document_versions") == 1


def test_a_decompression_bomb_is_refused_at_upload(client, world, app):
    """1 MiB that inflates to 1 GiB: measured while inflating, in a child process, and
    refused once past the cap — nothing is inflated in the web process."""
    bomb = hostile_pdfs.bomb_pdf()
    assert len(bomb) < 1.1 * 1024 * 1024
    r = upload_document(client, world["specialist"], pdf=bomb)
    body = _refused(app, r, "pdf-too-complex")
    assert "Page 1" in body["detail"]
    r = upload_document(client, world["specialist"], attachments=[(bomb, "phu-luc.pdf")])
    _refused(app, r, "pdf-too-complex")
    assert count_rows(app, "documents") == 0


def test_attachments_are_capped_in_number_and_total_size(client, world, app, monkeypatch):
    settings = app.extensions["settings"]
    small = make_pdf(1)
    r = upload_document(
        client,
        world["specialist"],
        attachments=[(small, f"{i}.pdf") for i in range(settings.max_attachments + 1)],
    )
    body = _refused(app, r, "too-many-files")
    assert str(settings.max_attachments) in body["detail"]
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    monkeypatch.setattr(settings, "max_document_mb", 1)
    fat = hostile_pdfs.one_page_pdf(b" " * (600 * 1024) + b"0 0 m 10 10 l S")
    assert 600 * 1024 < len(fat) < 1024 * 1024
    r = upload_document(client, world["specialist"], pdf=fat, attachments=[(fat, "fat.pdf")])
    body = _refused(app, r, "files-too-large")
    assert body["errors"].keys() == {"attachments[0]"}
    assert count_rows(app, "documents") == 0


def test_a_giant_page_is_drawn_scaled_down(client, world, app):
    """A valid page of 40 × 14,400 pt: at 780 px wide it would be 280,800 px tall. It is
    drawn narrower, within the pixel cap and WebP's largest side."""
    specialist = world["specialist"]
    r = upload_document(client, specialist, pdf=hostile_pdfs.tall_page_pdf())
    assert r.status_code == 201, r.json
    doc, file_id = r.json["id"], r.json["files"][0]["id"]
    image = client.get(
        f"/api/documents/{doc}/files/{file_id}/pages/1?width=390&dpr=2",
        headers=specialist.headers,
    )
    assert image.status_code == 200 and image.mimetype == "image/webp"
    picture = Image.open(io.BytesIO(image.data))
    assert picture.height <= pdfwork.MAX_IMAGE_SIDE
    assert picture.width * picture.height <= pdfwork.MAX_PAGE_PIXELS
    assert picture.height > 16_000 and picture.width >= 40  # the whole page, narrower
    assert picture.height / picture.width == pytest.approx(14_400 / 40, rel=0.05)


def test_a_page_that_cannot_be_drawn_is_refused_with_the_reason(client, world, app):
    """A bomb that came in another way (here: stored as a version directly, as an
    exchange or a signing step would): its page image is refused, the refusal kept."""
    from backend.core.db import atomic
    from backend.documents import service
    from backend.org.models import User

    specialist = world["specialist"]
    doc = upload_document(client, specialist).json["id"]
    with app.app_context(), atomic() as s:
        document = service.get_document(s.get(User, specialist.id), doc, for_update=True)
        version = service.add_signed_version(
            document, s.get(User, specialist.id), hostile_pdfs.bomb_pdf(), "từ nơi khác", 1
        )
        file_id = next(f.id for f in version.files if f.kind == "main")
    url = f"/api/documents/{doc}/files/{file_id}/pages/1?width=390&dpr=2"
    for _ in range(2):  # the second answer comes from the kept refusal
        r = client.get(url, headers=specialist.headers)
        assert r.status_code == 422, r.data
        assert r.mimetype == "application/problem+json"
        assert r.json["code"] == "page-too-complex" and r.json["page"] == 1
        assert "download the PDF" in r.json["detail"]
    assert (
        client.get(f"/api/documents/{doc}/files/{file_id}", headers=specialist.headers).status_code
        == 200
    )


def test_text_extraction_of_a_bomb_is_capped(tmp_path):
    """The worker reads PDF text in the sandbox: a bomb yields no text, not a dead worker."""
    from backend.search.text import extract_pdf_text

    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(hostile_pdfs.bomb_pdf())
    assert extract_pdf_text(bomb) == ""
    normal = tmp_path / "normal.pdf"
    normal.write_bytes(hostile_pdfs.text_pdf("Trinh Ky bao cao"))
    assert "Trinh Ky bao cao" in extract_pdf_text(normal)
