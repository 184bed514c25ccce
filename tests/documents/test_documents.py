from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.conftest import count_rows, make_pdf, upload_document


def _blob_files(app) -> list[Path]:
    root = Path(app.extensions["settings"].blob_dir)
    return [p for p in root.rglob("*") if p.is_file() and "staging" not in p.parts]


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_upload_stores_pdf_with_attachments_and_metadata(client, world, app):
    r = upload_document(
        client,
        world["specialist"],
        pdf=make_pdf(3),
        attachments=[(make_pdf(2), "phụ lục 1.pdf"), (_docx(), "Bảng số liệu.docx")],
        urgency="thuong_khan",
        due_date="2026-12-15",
        subject="Về việc báo cáo tình hình kinh tế - xã hội quý IV",
    )
    assert r.status_code == 201, r.json
    doc = r.json
    assert r.headers["ETag"] == doc["etag"]
    assert r.headers["Location"] == f"/api/documents/{doc['id']}"
    assert doc["subject"] == "Về việc báo cáo tình hình kinh tế - xã hội quý IV"
    assert doc["urgency"] == "thuong_khan"
    assert doc["due_date"] == "2026-12-15"
    assert doc["status"] == "draft"
    assert doc["unit_id"] == world["specialist"].unit_id
    assert doc["created_at"].endswith("+07:00")
    files = doc["files"]
    assert [(f["kind"], f["filename"], f["page_count"]) for f in files] == [
        ("main", "du-thao.pdf", 3),
        ("attachment", "phụ lục 1.pdf", 2),
        ("attachment", "Bảng số liệu.docx", None),
    ]
    assert files[2]["content_type"].endswith("wordprocessingml.document")


def test_same_bytes_are_stored_once(client, world, app):
    pdf = make_pdf(2)
    a = upload_document(client, world["specialist"], pdf=pdf)
    b = upload_document(client, world["specialist"], pdf=pdf, subject="Bản thứ hai")
    assert a.status_code == b.status_code == 201
    assert a.json["files"][0]["sha256"] == b.json["files"][0]["sha256"]
    assert len(_blob_files(app)) == 1
    assert count_rows(app, "blobs") == 1


def test_new_version_never_overwrites_the_old_one(client, world):
    person = world["specialist"]
    v1_pdf, v2_pdf = make_pdf(1), make_pdf(4)
    doc = upload_document(client, person, pdf=v1_pdf).json
    r = client.post(
        f"/api/documents/{doc['id']}/versions",
        data={"file": (io.BytesIO(v2_pdf), "du-thao-v2.pdf"), "note": "Sửa theo ý kiến"},
        headers={**person.headers, "If-Match": doc["etag"]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    assert r.json["number"] == 2
    detail = client.get(f"/api/documents/{doc['id']}", headers=person.headers)
    assert detail.json["current_version"] == 2
    assert detail.json["files"][0]["page_count"] == 4
    assert detail.headers["ETag"] != doc["etag"]
    versions = client.get(f"/api/documents/{doc['id']}/versions", headers=person.headers).json
    assert [v["number"] for v in versions] == [1, 2]
    old_file = versions[0]["files"][0]
    content = client.get(
        f"/api/documents/{doc['id']}/files/{old_file['id']}", headers=person.headers
    )
    assert content.data == v1_pdf


def test_download_has_type_etag_and_range(client, world):
    person = world["specialist"]
    pdf = make_pdf(5)
    doc = upload_document(client, person, pdf=pdf).json
    url = f"/api/documents/{doc['id']}/files/{doc['files'][0]['id']}"
    full = client.get(url, headers=person.headers)
    assert full.status_code == 200
    assert full.mimetype == "application/pdf"
    assert full.data == pdf
    assert full.headers["ETag"] == f'"{doc["files"][0]["sha256"]}"'
    assert full.headers["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={**person.headers, "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == pdf[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(pdf)}"
    tail = client.get(url, headers={**person.headers, "Range": "bytes=100-"})
    assert tail.data == pdf[100:]
    unchanged = client.get(url, headers={**person.headers, "If-None-Match": full.headers["ETag"]})
    assert unchanged.status_code == 304
    bad_range = client.get(url, headers={**person.headers, "Range": f"bytes={len(pdf) + 10}-"})
    assert bad_range.status_code == 416


def _assert_refused(app, r, code, field="file"):
    assert r.status_code == 422, r.json
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == code
    assert field in r.json["errors"]
    assert count_rows(app, "documents") == 0
    assert count_rows(app, "document_files") == 0
    staging = Path(app.extensions["settings"].blob_dir) / "staging"
    assert not any(staging.iterdir()), "a refused upload left a staged file behind"


def test_broken_pdf_is_refused(client, world, app):
    broken = make_pdf(2)[:200] + b"\x00garbage" * 50
    r = upload_document(client, world["specialist"], pdf=broken)
    _assert_refused(app, r, "pdf-broken")
    assert "incomplete" in r.json["detail"]


def test_encrypted_pdf_is_refused(client, world, app):
    r = upload_document(client, world["specialist"], pdf=make_pdf(1, encrypt="mat-khau"))
    _assert_refused(app, r, "pdf-encrypted")


def test_non_pdf_is_refused(client, world, app):
    r = upload_document(client, world["specialist"], pdf=b"PK\x03\x04 this is a zip, not a pdf")
    _assert_refused(app, r, "not-pdf")


def test_empty_file_is_refused(client, world, app):
    r = upload_document(client, world["specialist"], pdf=b"")
    _assert_refused(app, r, "empty-file")


def test_oversized_file_is_refused(client, world, app, monkeypatch):
    monkeypatch.setattr(app.extensions["settings"], "max_upload_mb", 1)
    big = make_pdf(1) + b"%" + b"x" * (1024 * 1024)
    r = upload_document(client, world["specialist"], pdf=big)
    _assert_refused(app, r, "file-too-large")
    assert "1 MB" in r.json["detail"]


def test_request_beyond_the_total_limit_is_413(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    r = upload_document(client, world["specialist"], pdf=make_pdf(1) + b"%" + b"x" * 200_000)
    assert r.status_code == 413
    assert r.mimetype == "application/problem+json"
    assert count_rows(app, "documents") == 0


def test_bad_attachment_refuses_the_whole_upload(client, world, app):
    r = upload_document(
        client,
        world["specialist"],
        attachments=[(make_pdf(1), "ok.pdf"), (b"MZ\x90\x00 binary", "virus.exe")],
    )
    _assert_refused(app, r, "file-type-not-allowed", field="attachments[1]")


def test_missing_file_and_bad_metadata_are_named(client, world, app):
    person = world["specialist"]
    r = client.post(
        "/api/documents",
        data={"subject": "", "urgency": "rat-gap", "file": (io.BytesIO(make_pdf()), "a.pdf")},
        headers=person.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert {"subject", "urgency", "document_type_id"} <= set(r.json["errors"])
    no_file = client.post(
        "/api/documents",
        data={"subject": "Trích yếu", "document_type_id": "1"},
        headers=person.headers,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert set(no_file.json["errors"]) == {"file"}
    r = upload_document(client, person, document_type_id=99999)
    assert r.status_code == 422
    assert "document_type_id" in r.json["errors"]
    assert count_rows(app, "documents") == 0


def test_metadata_update_requires_current_etag(client, world):
    person = world["specialist"]
    doc = upload_document(client, person).json
    url = f"/api/documents/{doc['id']}"
    missing = client.patch(url, json={"urgency": "khan"}, headers=person.headers)
    assert missing.status_code == 428
    assert missing.json["code"] == "precondition-required"
    ok = client.patch(
        url, json={"urgency": "khan"}, headers={**person.headers, "If-Match": doc["etag"]}
    )
    assert ok.status_code == 200
    assert ok.json["urgency"] == "khan"
    stale = client.patch(
        url, json={"urgency": "hoa_toc"}, headers={**person.headers, "If-Match": doc["etag"]}
    )
    assert stale.status_code == 412
    assert stale.json["current_etag"] == ok.headers["ETag"]
    assert client.get(url, headers=person.headers).json["urgency"] == "khan"


def test_stale_etag_on_new_version_changes_nothing(client, world, app):
    person = world["specialist"]
    doc = upload_document(client, person).json
    client.patch(
        f"/api/documents/{doc['id']}",
        json={"subject": "Trích yếu mới"},
        headers={**person.headers, "If-Match": doc["etag"]},
    )
    r = client.post(
        f"/api/documents/{doc['id']}/versions",
        data={"file": (io.BytesIO(make_pdf(2)), "v2.pdf")},
        headers={**person.headers, "If-Match": doc["etag"]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 412
    assert count_rows(app, "document_versions") == 1


def test_listing_is_paginated_by_cursor_without_gaps_or_repeats(client, world):
    person = world["specialist"]
    created = [
        upload_document(client, person, subject=f"Văn bản số {i}").json["id"] for i in range(23)
    ]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/documents", query_string=query, headers=person.headers).json
        seen += [d["id"] for d in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == sorted(created, reverse=True)
    bad = client.get("/api/documents", query_string={"cursor": "!!!"}, headers=person.headers)
    assert bad.status_code == 422


def test_listing_filters(client, world):
    person = world["specialist"]
    upload_document(client, person, subject="Về việc phòng chống bão lũ", urgency="hoa_toc")
    upload_document(client, person, subject="Về việc tổ chức hội nghị")
    urgent = client.get(
        "/api/documents", query_string={"urgency": "hoa_toc"}, headers=person.headers
    )
    assert [d["subject"] for d in urgent.json["items"]] == ["Về việc phòng chống bão lũ"]
    found = client.get("/api/documents", query_string={"q": "hội nghị"}, headers=person.headers)
    assert [d["subject"] for d in found.json["items"]] == ["Về việc tổ chức hội nghị"]


def test_secret_documents_are_seen_by_named_participants_only(client, world):
    drafter, head = world["specialist"], world["head"]
    normal = upload_document(client, drafter).json
    secret = upload_document(client, drafter, secrecy="mat", subject="Tài liệu mật").json
    # The head of the drafting unit sees the normal draft but not the secret one.
    assert client.get(f"/api/documents/{normal['id']}", headers=head.headers).status_code == 200
    assert client.get(f"/api/documents/{secret['id']}", headers=head.headers).status_code == 404
    listed = {d["id"] for d in client.get("/api/documents", headers=head.headers).json["items"]}
    assert listed == {normal["id"]}
    # Named as a participant, the head now sees it.
    r = client.post(
        f"/api/documents/{secret['id']}/participants",
        json={"user_id": head.id},
        headers={**drafter.headers, "If-Match": secret["etag"]},
    )
    assert r.status_code == 201, r.json
    assert client.get(f"/api/documents/{secret['id']}", headers=head.headers).status_code == 200


def test_participant_must_belong_to_the_organisation(client, world, app):
    drafter = world["specialist"]
    doc = upload_document(client, drafter).json
    r = client.post(
        f"/api/documents/{doc['id']}/participants",
        json={"user_id": world["outsider"].id},
        headers={**drafter.headers, "If-Match": doc["etag"]},
    )
    assert r.status_code == 422
    assert (
        client.get(f"/api/documents/{doc['id']}", headers=world["outsider"].headers).status_code
        == 404
    )


def test_incoming_documents_are_registered_by_the_clerk_only(client, world):
    assert upload_document(client, world["specialist"], direction="incoming").status_code == 403
    r = upload_document(client, world["clerk"], direction="incoming")
    assert r.status_code == 201
    assert r.json["direction"] == "incoming"


def test_pages_are_served_as_images_sized_for_the_phone(client, world):
    from io import BytesIO

    from PIL import Image

    created = upload_document(
        client, world["specialist"], pdf=make_pdf(3), attachments=[(_docx(), "a.docx")]
    ).json
    main = next(f for f in created["files"] if f["kind"] == "main")
    url = f"/api/documents/{created['id']}/files/{main['id']}/pages"
    headers = world["specialist"].headers
    r = client.get(f"{url}/2?width=390&dpr=2", headers=headers)
    assert r.status_code == 200 and r.mimetype == "image/webp"
    image = Image.open(BytesIO(r.data))
    assert image.format == "WEBP" and image.width == 800  # 780 px rounded up to the bucket
    assert abs(image.height / image.width - 842 / 595) < 0.01  # A4 portrait kept
    assert len(r.data) < 150_000
    assert "immutable" in r.headers["Cache-Control"]
    again = client.get(
        f"{url}/2?width=390&dpr=2", headers={**headers, "If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304
    assert client.get(f"{url}/4", headers=headers).status_code == 404
    assert client.get(f"{url}/0", headers=headers).status_code == 404
    assert client.get(f"{url}/1?width=abc", headers=headers).status_code == 422
    attachment = next(f for f in created["files"] if f["kind"] == "attachment")
    r = client.get(
        f"/api/documents/{created['id']}/files/{attachment['id']}/pages/1", headers=headers
    )
    assert r.status_code == 422 and r.json["code"] == "not-pdf"
    assert client.get(f"{url}/1", headers=world["outsider"].headers).status_code == 404


def test_drafting_unit_is_one_of_the_drafters_units(client, world):
    """A specialist who works in two units chooses which one drafts; not a unit of
    someone else (issue 14: the new-draft form's drafting unit)."""
    admin = world["admin"]
    r = client.post(
        f"/api/organisations/{world.org_a}/users",
        json={
            "username": "chuyenvien.hai",
            "full_name": "Lý Văn Hai",
            "password": "mật-khẩu-dài-đủ",
            "memberships": [
                {"unit_id": world.units["A.KT"], "role": "specialist"},
                {"unit_id": world.units["A.VX"], "role": "specialist"},
            ],
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.json
    token = client.post(
        "/api/auth/login",
        json={"username": "chuyenvien.hai", "password": "mật-khẩu-dài-đủ", "device_name": "t"},
    ).json["access_token"]
    two = world["specialist"].__class__(
        id=r.json["id"],
        username="chuyenvien.hai",
        full_name="Lý Văn Hai",
        role="specialist",
        organisation_id=world.org_a,
        unit_id=world.units["A.KT"],
        token=token,
    )
    default = upload_document(client, two).json
    assert default["unit_id"] == world.units["A.KT"]
    assert default["unit"]["name"] == "Phòng Kinh tế"
    chosen = upload_document(client, two, unit_id=world.units["A.VX"])
    assert chosen.status_code == 201 and chosen.json["unit"]["name"] == "Phòng Văn hóa - Xã hội"
    # not a unit of hers: refused, nothing stored
    other = upload_document(client, world["specialist"], unit_id=world.units["A.VX"])
    assert other.status_code == 422 and "unit_id" in other.json["errors"]
    # changed while it is a draft, to another of her units only
    url = f"/api/documents/{default['id']}"
    moved = client.patch(
        url,
        json={"unit_id": world.units["A.VX"]},
        headers={**two.headers, "If-Match": default["etag"]},
    )
    assert moved.status_code == 200 and moved.json["unit"]["abbreviation"] == "VX"
    refused = client.patch(
        url,
        json={"unit_id": world.units["A.VP"]},
        headers={**two.headers, "If-Match": moved.json["etag"]},
    )
    assert refused.status_code == 422


def test_listing_only_mine(client, world):
    """?mine=true: the documents I drafted, not those I see as the unit's head."""
    mine = upload_document(client, world["head"], subject="Dự thảo của trưởng phòng").json["id"]
    theirs = upload_document(client, world["specialist"]).json["id"]
    head = world["head"].headers
    everything = client.get("/api/documents", headers=head).json["items"]
    assert {d["id"] for d in everything} == {mine, theirs}
    only = client.get("/api/documents", query_string={"mine": "true"}, headers=head).json
    assert [d["id"] for d in only["items"]] == [mine]
