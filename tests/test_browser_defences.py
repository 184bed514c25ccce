"""Security headers on the app shell, an API answer, an error and a file download; HSTS
only in production over HTTPS; the API docs page allowed its own inline script by hash."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest

from backend.app import create_app
from tests.conftest import make_pdf, make_settings, upload_document


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def assert_defended(response) -> dict[str, str]:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no other origin
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["connect-src"].split()[0] == "'self'"
    assert "https://fcm.googleapis.com" in policy["connect-src"]
    assert "https://updates.push.services.mozilla.com" in policy["connect-src"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers
    return policy


@pytest.fixture
def shell_app(database_url, var_dir, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><title>Trình Ký</title><script type="module" src="/assets/app.js"></script>'
    )
    (dist / "assets" / "app.js").write_text("console.log('Trình Ký');")
    return create_app(make_settings(database_url, var_dir, pwa_dist=str(dist)))


def test_the_app_shell_and_its_scripts(shell_app):
    client = shell_app.test_client()
    for path in ("/", "/documents/12", "/assets/app.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert_defended(r)


def test_api_answers_and_errors(client, world):
    assert_defended(client.get("/api/me", headers=world["leader"].headers))
    assert_defended(client.get("/api/documents/999", headers=world["leader"].headers))
    assert_defended(client.get("/api/khong-co"))
    assert_defended(client.get("/healthz"))


def test_downloads_name_the_file(client, world):
    specialist = world["specialist"]
    from docx import Document

    docx = io.BytesIO()
    sheet = Document()
    sheet.add_paragraph("Bảng số liệu")
    sheet.save(docx)
    r = upload_document(
        client,
        specialist,
        pdf=make_pdf(1),
        attachments=[(docx.getvalue(), "Bảng số liệu.docx")],
    )
    assert r.status_code == 201, r.json
    main, office = r.json["files"]
    url = f"/api/documents/{r.json['id']}/files/"
    pdf = client.get(url + str(main["id"]), headers=specialist.headers)
    assert pdf.status_code == 200
    assert_defended(pdf)
    # a PDF opens in the browser's viewer; anything else is saved, never shown as our page
    assert pdf.headers["Content-Disposition"] == "inline; filename=du-thao.pdf"
    saved = client.get(url + str(office["id"]), headers=specialist.headers)
    assert_defended(saved)
    disposition = saved.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''B%E1%BA%A3ng%20s%E1%BB%91%20li%E1%BB%87u.docx" in disposition


def test_hsts_in_production_over_https_only(database_url, var_dir):
    app = create_app(
        make_settings(
            database_url,
            var_dir,
            env="production",
            secret_key="p" * 48,
            audit_key="k" * 48,
            dev_pki=False,
        )
    )
    client = app.test_client()
    secure = client.get("/healthz", base_url="https://trinhky.example.gov.vn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    behind_proxy = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in behind_proxy.headers
    plain = client.get("/healthz")
    assert "Strict-Transport-Security" not in plain.headers


def test_the_api_docs_page_allows_its_own_inline_script_by_hash(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    policy = directives(r)
    [script] = re.findall(rb"<script>(.*?)</script>", r.data, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
