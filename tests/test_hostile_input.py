"""Bad input answers 4xx Problem Details, never 500: integers beyond what the database
holds, JSON nested to exhaust the parser, text that cannot be stored, wrong methods and
missing bodies; and the OpenAPI document says what the API does."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import count_rows, document_type_id, make_pdf
from tests.test_api_conventions import assert_problem

HUGE = 99293453382605307904  # > 2**63 - 1: SQLite's driver raised OverflowError on it
OVER_INT = 2**31  # one past PostgreSQL's integer


# -- 1. integers -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [HUGE, 2**63, OVER_INT])
def test_an_id_beyond_the_database_is_not_found(client, world, number):
    headers = world["leader"].headers
    for path in (
        f"/api/documents/{number}",
        f"/api/documents/{number}/files/1",
        f"/api/documents/1/files/{number}/pages/1",
        f"/api/assignments/{number}",
        f"/api/users/{number}",
    ):
        assert_problem(client.get(path, headers=headers), 404, "not-found")
    assert_problem(
        client.patch(f"/api/documents/{number}", json={}, headers=headers), 404, "not-found"
    )


@pytest.mark.parametrize("number", [HUGE, -HUGE, OVER_INT, 1e400])
def test_an_integer_field_beyond_the_database_is_a_422_naming_it(client, world, number):
    leader = world["leader"]
    r = client.get(f"/api/documents?document_type_id={number}", headers=leader.headers)
    assert "document_type_id" in assert_problem(r, 422, "validation-error")["errors"]
    body = json.dumps({"user_id": number, "role": "watcher"})  # 1e400 stays a JSON number
    r = client.post(
        "/api/documents/1/participants",
        data=body,
        content_type="application/json",
        headers=leader.headers,
    )
    assert "user_id" in assert_problem(r, 422, "validation-error")["errors"]
    r = client.post(
        "/api/documents",
        data={"document_type_id": str(number), "subject": "Về việc", "file": (_pdf(), "a.pdf")},
        content_type="multipart/form-data",
        headers=world["specialist"].headers,
    )
    assert "document_type_id" in assert_problem(r, 422, "validation-error")["errors"]


def _pdf():
    import io

    return io.BytesIO(make_pdf())


def test_every_integer_the_api_accepts_is_bounded_in_the_openapi_document(client):
    """One mechanism (backend.core.schemas.Integer and the int URL converter), used
    everywhere: the document shows a maximum on every integer a client may send."""
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    unbounded = []

    def walk(schema: dict, where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen.add(name)
            schema = schemas[name]
        if schema.get("type") == "integer" and "maximum" not in schema:
            unbounded.append(where)
        for name, sub in schema.get("properties", {}).items():
            if not sub.get("readOnly"):
                walk(sub, f"{where}.{name}")
        if "items" in schema:
            walk(schema["items"], f"{where}[]")

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                seen: set[str] = set()
                walk(parameter.get("schema", {}), f"{method} {path} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                seen = set()
                walk(media["schema"], f"{method} {path} body")
    assert not unbounded, unbounded


# -- 2. deeply nested JSON ---------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deeply_nested_json_is_refused_before_anything_parses_it(client, world, depth):
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        body = opener * depth + "1" + closer * depth
        login = client.post("/api/auth/login", data=body, content_type="application/json")
        assert "32 levels" in assert_problem(login, 400, "json-too-deep")["detail"]
        r = client.put(
            "/api/me/notification-preferences",
            data=body,
            content_type="application/json",
            headers=world["leader"].headers,
        )
        assert_problem(r, 400, "json-too-deep")


def test_brackets_inside_strings_do_not_count(client, world):
    r = client.post(
        "/api/me/quick-phrases",
        json={
            "text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
        },
        headers=world["leader"].headers,
    )
    assert r.status_code == 201, r.json


def test_a_json_body_over_a_megabyte_is_refused(client, world):
    body = json.dumps({"text": "x" * (1024 * 1024)})
    r = client.post(
        "/api/me/quick-phrases",
        data=body,
        content_type="application/json",
        headers=world["leader"].headers,
    )
    assert_problem(r, 413, "payload-too-large")


# -- 3. text that cannot be stored -------------------------------------------------------

UNSTORABLE = {
    "lone surrogate": "\\ud800",
    "NUL": "\\u0000",
    "escape": "\\u001b",
    "DEL": "\\u007f",
}


@pytest.mark.parametrize("kind", sorted(UNSTORABLE))
def test_unstorable_text_in_json_is_a_422_naming_the_field(client, world, app, kind):
    bad = UNSTORABLE[kind]
    leader = world["leader"]

    def post(path: str, raw: str, headers=None):
        return client.post(path, data=raw, content_type="application/json", headers=headers or {})

    cases = [
        ("/api/auth/login", f'{{"username": "a{bad}", "password": "x", "device_name": "d"}}', {}),
        (
            "/api/auth/login",
            f'{{"username": "leader", "password": "x", "device_name": "Điện thoại {bad}"}}',
            {},
        ),
        ("/api/me/quick-phrases", f'{{"text": "Đồng ý {bad}"}}', leader.headers),
        ("/api/documents/1/instructions", f'{{"text": "Giao {bad}"}}', leader.headers),
        (
            "/api/calendar/events",
            f'{{"title": "Họp {bad}", "starts_at": "2026-12-01T08:00:00"}}',
            world["clerk"].headers,
        ),
    ]
    for path, raw, headers in cases:
        r = post(path, raw, headers)
        body = assert_problem(r, 422, "validation-error")
        field = next(iter(body["errors"]))
        assert field in {"username", "device_name", "text", "title"}, body
        assert "U+" in body["errors"][field][0]
    assert count_rows(app, "quick_phrases") == 0


def test_nested_fields_are_named_by_their_path(client, world):
    r = client.put(
        "/api/documents/1/route",
        data='{"steps": [{"kind": "review", "actors": [{"user_id": 1}], "note": "a\\u0000"}]}',
        content_type="application/json",
        headers=world["specialist"].headers,
    )
    assert set(assert_problem(r, 422)["errors"]) == {"steps.0.note"}


def test_unstorable_text_in_a_query_is_a_422(client, world):
    r = client.get("/api/search?q=ab%00cd", headers=world["leader"].headers)
    assert set(assert_problem(r, 422, "validation-error")["errors"]) == {"q"}
    # a byte that is not UTF-8 stays as it was sent ("%FF"): text that can be stored
    r = client.get("/api/search?q=ab%FFcd", headers=world["leader"].headers)
    assert r.status_code == 200


def test_invalid_utf8_in_a_multipart_field_is_a_422_naming_it(client, world, app):
    specialist = world["specialist"]
    type_id = document_type_id(client, specialist, "cong-van")
    boundary = "----trinhky"
    parts = [
        (b'name="document_type_id"', str(type_id).encode()),
        (b'name="subject"', "Về việc ".encode() + b"\xff\xfe h\xe1ng"),  # Latin-1 bytes
        (b'name="file"; filename="a.pdf"\r\nContent-Type: application/pdf', make_pdf()),
    ]
    body = (
        b"".join(
            f"--{boundary}\r\n".encode()
            + b"Content-Disposition: form-data; "
            + head
            + b"\r\n\r\n"
            + value
            + b"\r\n"
            for head, value in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    r = client.post(
        "/api/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=specialist.headers,
    )
    errors = assert_problem(r, 422, "validation-error")["errors"]
    assert list(errors) == ["subject"]
    assert "UTF-8" in errors["subject"][0]
    assert count_rows(app, "documents") == 0


# -- 5. the OpenAPI document tells the truth ---------------------------------------------


def test_errors_are_documented_as_problem_details_and_bodies_as_request_bodies(client):
    spec = client.get("/api/openapi.json").json
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert set(spec["components"]["responses"][name]["content"]) == {"application/problem+json"}
    multipart = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            where = f"{method.upper()} {path}"
            assert operation["responses"]["default"] == {
                "$ref": "#/components/responses/DEFAULT_ERROR"
            }, where
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"path", "query", "header"}, where
            content = operation.get("requestBody", {}).get("content", {})
            multipart += "multipart/form-data" in content
    assert multipart >= 5  # documents, versions, progress files, images, validation
    upload = spec["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    schema = spec["components"]["schemas"][
        upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    ]
    assert {"file", "subject", "document_type_id", "attachments"} <= set(schema["properties"])
    assert schema["properties"]["file"]["format"] == "binary"


def test_a_wrong_method_is_a_405_problem_with_allow_on_every_path(client, world, app):
    spec = client.get("/api/openapi.json").json
    headers = world["leader"].headers
    checked = 0
    for path, item in spec["paths"].items():
        documented = {m.upper() for m in item if m in {"get", "post", "put", "patch", "delete"}}
        url = re.sub(
            r"\{([^}]+)\}", lambda m: "outgoing" if m.group(1) == "direction" else "1", path
        )
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            r = client.open(url, method=method, headers=headers)
            assert r.status_code == 405, (method, url, r.json)
            body = assert_problem(r, 405, "method-not-allowed")
            allowed = {m.strip() for m in r.headers["Allow"].split(",")}
            assert documented <= allowed, (method, url, allowed)
            assert body["status"] == 405
            checked += 1
    assert checked > 200
    # GET on a POST-only endpoint used to fall through to the app shell's 404
    r = client.get("/api/auth/login")
    assert_problem(r, 405, "method-not-allowed")
    assert "POST" in r.headers["Allow"]


def test_a_put_without_a_body_is_a_422(client, world):
    r = client.put("/api/me/notification-preferences", headers=world["leader"].headers)
    assert assert_problem(r, 422, "body-required")["errors"] == {
        "json": ["Send a JSON object (Content-Type: application/json)."]
    }


def test_text_sent_where_a_file_belongs_is_refused_naming_the_field(client, world):
    """A multipart field that should be a file but arrives as text (schemathesis found
    it: the version upload answered 500)."""
    from tests.conftest import etag_of, upload_document

    specialist = world["specialist"]
    document = upload_document(client, specialist).json["id"]
    r = client.post(
        f"/api/documents/{document}/versions",
        data={"file": "", "attachments": "true"},
        headers={**specialist.headers, "If-Match": etag_of(client, specialist, document)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422, r.json
    assert {"file", "attachments"} <= set(r.json["errors"])
