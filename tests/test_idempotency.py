from __future__ import annotations

import threading

from tests.conftest import count_rows, make_pdf, upload_document


def test_same_key_same_body_gives_same_answer_and_one_document(client, world, app):
    person = world["specialist"]
    pdf = make_pdf(2)
    headers = {"Idempotency-Key": "upload-7f3a"}
    first = upload_document(client, person, pdf=pdf, headers=headers)
    again = upload_document(client, person, pdf=pdf, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_rows(app, "documents") == 1
    assert count_rows(app, "audit_events") == 1


def test_same_key_with_another_body_is_refused(client, world, app):
    person = world["admin"]
    url = f"/api/organisations/{world.org_a}/units"
    h = {**person.headers, "Idempotency-Key": "unit-1"}
    assert (
        client.post(
            url, json={"name": "Phòng Tài chính", "abbreviation": "TC"}, headers=h
        ).status_code
        == 201
    )
    r = client.post(url, json={"name": "Phòng Nội vụ", "abbreviation": "NV"}, headers=h)
    assert r.status_code == 422
    assert r.json["code"] == "idempotency-key-reused"
    assert count_rows(app, "units") == 5  # 4 from the fixture + 1


def test_keys_belong_to_their_user(client, world, app):
    url = f"/api/organisations/{world.org_a}/units"
    body = {"name": "Phòng Tài chính", "abbreviation": "TC"}
    assert (
        client.post(
            url, json=body, headers={**world["admin"].headers, "Idempotency-Key": "k"}
        ).status_code
        == 201
    )
    # Another user with the same key is a different request: it runs
    # (and is refused on its own merits).
    r = client.post(url, json=body, headers={**world["leader"].headers, "Idempotency-Key": "k"})
    assert r.status_code == 403


def test_failed_request_is_not_remembered(client, world, app):
    person = world["specialist"]
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = upload_document(client, person, pdf=b"not a pdf", headers=headers)
    assert bad.status_code == 422
    good = upload_document(client, person, headers=headers)
    assert good.status_code == 201


def test_concurrent_replays_have_one_effect(app, world):
    """A phone on a bad network fires the same request several times at once."""
    person = world["admin"]
    url = f"/api/organisations/{world.org_a}/units"
    body = {"name": "Phòng Tài chính", "abbreviation": "TC"}
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def fire() -> None:
        response = app.test_client().post(
            url, json=body, headers={**person.headers, "Idempotency-Key": "same-tap"}
        )
        with lock:
            results.append((response.status_code, response.json))

    threads = [threading.Thread(target=fire) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 6
    assert len({body["id"] for _, body in results}) == 1
    assert count_rows(app, "units") == 5


# Every POST changes state, so every POST honours Idempotency-Key — except these, each
# for the reason given. A new POST that is neither fails the test below.
EXEMPT_POSTS = {
    "/api/auth/login": "public: no account to keep the key under yet; its answer holds "
    "tokens, which are never stored for a replay",
    "/api/auth/refresh": "public; its answer holds tokens, and a refresh token presented "
    "twice is reuse by design (it revokes the device's chain)",
    "/api/auth/logout": "ends the device whose token a replay would need: the retry is "
    "refused as signed out, and nothing changes twice",
    "/api/me/signing-totp": "its answer is the authenticator secret, shown once and never "
    "kept for a replay; a retry starts over with a new secret that replaces the first",
    "/api/signatures/validate": "changes nothing: checks an uploaded file, stores nothing",
}


def _post_handlers(app) -> dict[str, object]:
    import re

    handlers = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
        handlers[path] = getattr(view_class, "post", None) if view_class else view
    return handlers


def test_every_post_is_idempotent_or_exempt_for_a_reason(client, app):
    spec = client.get("/api/openapi.json").json
    handlers = _post_handlers(app)
    posts = [path for path, item in spec["paths"].items() if "post" in item]
    assert len(posts) > 40
    neither = []
    for path in posts:
        idempotent = getattr(handlers[path], "_idempotent", False)
        if path in EXEMPT_POSTS:
            assert not idempotent, f"{path} is idempotent: take it off the exempt list"
            continue
        if not idempotent:
            neither.append(path)
            continue
        # and the OpenAPI document says so, for the clients
        header = [
            p
            for p in spec["paths"][path]["post"].get("parameters", [])
            if p["in"] == "header" and p["name"] == "Idempotency-Key"
        ]
        assert header, f"{path}: Idempotency-Key is not documented"
    assert not neither, f"POSTs that ignore Idempotency-Key: {neither}"
    assert set(EXEMPT_POSTS) <= set(posts), "an exempt POST no longer exists"


def test_a_key_must_be_visible_ascii(client, world):
    person = world["admin"]
    url = f"/api/organisations/{world.org_a}/units"
    r = client.post(
        url,
        json={"name": "Phòng Tài chính", "abbreviation": "TC"},
        headers={**person.headers, "Idempotency-Key": "khóa có dấu"},
    )
    assert r.status_code == 422 and r.json["code"] == "invalid-idempotency-key"
