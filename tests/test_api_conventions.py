from __future__ import annotations

import json
import logging
import re

import pytest

from backend.app import create_app
from tests.conftest import make_settings

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == f"urn:trinhky:problem:{body['code']}"
    if code:
        assert body["code"] == code
    return body


def test_unknown_api_path_is_a_404_problem(client):
    assert_problem(client.get("/api/khong-co"), 404, "not-found")


def test_wrong_method_is_a_405_problem_with_allow(client, world):
    r = client.delete("/api/me", headers=world["leader"].headers)
    assert_problem(r, 405, "method-not-allowed")
    assert "GET" in r.headers["Allow"]


def test_wrong_media_type_is_a_415_problem(client):
    r = client.post("/api/auth/login", data="username=a", content_type="text/plain")
    assert_problem(r, 415, "unsupported-media-type")


def test_malformed_json_is_a_400_problem(client):
    r = client.post("/api/auth/login", data='{"username": ', content_type="application/json")
    body = assert_problem(r, 400, "bad-request")
    assert "JSON" in body["detail"]


def test_wrong_types_are_a_422_problem_naming_fields(client):
    r = client.post("/api/auth/login", json={"username": 12, "password": ["x"]})
    body = assert_problem(r, 422, "validation-error")
    assert set(body["errors"]) == {"username", "password", "device_name"}


def test_missing_token_is_a_401_problem(client):
    r = client.get("/api/documents")
    assert_problem(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_unhandled_error_is_a_500_problem_without_internals(database_url, var_dir, caplog):
    app = create_app(make_settings(database_url, var_dir))

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internal detail at /srv/app/db.py line 42")

    app.view_functions["boom"]._public = True
    with caplog.at_level(logging.ERROR):
        r = app.test_client().get("/api/boom")
    body = assert_problem(r, 500, "internal-error")
    text = r.get_data(as_text=True)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert body["request_id"] == r.headers["X-Request-ID"]
    # The server log keeps the details, with the same request id.
    assert any("secret internal detail" in (rec.exc_text or "") for rec in caplog.records)


def test_every_line_logged_in_a_request_carries_its_request_id(client, world, caplog):
    from backend.core.logging import JsonFormatter

    with caplog.at_level(logging.INFO):
        r = client.get(
            "/api/me", headers={**world["leader"].headers, "X-Request-ID": "phone-abc-123"}
        )
    assert r.headers["X-Request-ID"] == "phone-abc-123"
    records = [rec for rec in caplog.records if getattr(rec, "path", None) == "/api/me"]
    assert records and all(rec.request_id == "phone-abc-123" for rec in records)
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "phone-abc-123"
    assert line["status"] == 200 and line["user_id"] == world["leader"].id


def test_a_bad_request_id_is_replaced(client):
    r = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["X-Request-ID"] != "bad id with spaces"
    assert len(r.headers["X-Request-ID"]) == 32


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "queue": "ok"}


def test_readiness_fails_when_the_database_is_unreachable(var_dir):
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", var_dir))
    r = app.test_client().get("/readyz")
    body = assert_problem(r, 503, "unavailable")
    assert body["checks"]["database"] == "unavailable"


def test_openapi_describes_every_api_route(client, app):
    spec = client.get("/api/openapi.json").json
    assert spec["info"]["title"] == "Trình Ký API"
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and not rule.rule.startswith(
            ("/api/docs", "/api/openapi")
        ):
            path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, f"{rule.rule} is missing from the OpenAPI document"
    assert "bearer" in spec["components"]["securitySchemes"]


def test_docs_work_offline(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "https://" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 100_000


def test_times_are_shown_in_vietnam_time(client, world):
    devices = client.get("/api/auth/devices", headers=world["leader"].headers).json
    assert devices[0]["created_at"].endswith("+07:00")


@pytest.mark.parametrize("path", ["/", "/documents/12"])
def test_app_shell_is_served_uncached(client, path, app, tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Trình Ký</title>")
    (dist / "assets" / "app-1a2b3c.js").write_text("console.log('Trình Ký');\n" * 200)
    monkeypatch.setattr(app.extensions["settings"], "pwa_dist", str(dist))
    # web.init_app captured the path at start-up; an app built for this test reads it anew.
    from flask import Flask

    from backend import web

    shell = Flask("shell")
    web.init_app(shell, app.extensions["settings"])
    c = shell.test_client()
    r = c.get(path)
    assert r.status_code == 200 and b"Tr" in r.data
    assert r.headers["Cache-Control"] == "no-cache"
    asset = c.get("/assets/app-1a2b3c.js")
    assert "immutable" in asset.headers["Cache-Control"]
    assert "Content-Encoding" not in asset.headers  # the client did not ask for gzip
    packed = c.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    import gzip

    assert gzip.decompress(packed.data) == asset.data
    assert len(packed.data) < len(asset.data) / 5
    again = c.get(
        "/assets/app-1a2b3c.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""
