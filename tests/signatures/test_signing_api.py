"""Signing through the API as a leader does it on the phone: a signing request, the PIN
(or an authenticator code), the worker signs, a new version validates; the clerk's
issue writes the number and date and applies the seal with both signatures valid."""

from __future__ import annotations

import io

import pytest

from backend.signatures import service
from signing.samples import decision
from tests.conftest import act, count_rows, run_worker, set_route, upload_document
from tests.signatures.conftest import PIN


def tampered(pdf: bytes) -> bytes:
    """One byte changed inside the signed range: the page becomes wider."""
    assert b"595" in pdf
    return pdf.replace(b"595", b"596", 1)


def sign(client, person, document_id):
    return client.post(f"/api/documents/{document_id}/sign", json={}, headers=person.headers)


def authorize(client, person, request_id, code=PIN, method="pin"):
    return client.post(
        f"/api/signing-requests/{request_id}/authorize",
        json={"method": method, "code": code},
        headers=person.headers,
    )


def signatures_of(client, person, document_id, **query):
    r = client.get(
        f"/api/documents/{document_id}/signatures", query_string=query, headers=person.headers
    )
    assert r.status_code == 200, r.json
    return r.json


def test_sign_then_issue_with_seal_both_valid(app, client, world, signing_env, awaiting_signature):
    leader, clerk = world["leader"], world["clerk"]
    document = awaiting_signature()
    created = sign(client, leader, document)
    assert created.status_code == 201, created.json
    request = created.json
    assert request["state"] == "awaiting_authorization"
    assert [i["state"] for i in request["items"]] == ["prepared"]
    # nothing is signed before the PIN
    run_worker(app)
    assert signatures_of(client, leader, document)["signature_count"] == 0
    pending = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers)
    assert pending.json["state"] == "awaiting_authorization"

    accepted = authorize(client, leader, request["id"])
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["state"] == "signing"
    run_worker(app)
    done = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert done["state"] == "completed", done
    [item] = done["items"]
    assert item["state"] == "completed" and item["version"] == 2
    assert item["level_achieved"] == "B-T"
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    assert doc["status"] == "signed" and doc["current_version"] == 2
    report = signatures_of(client, leader, document)
    assert report["ok"] and report["version"] == 2
    assert [s["signer"] for s in report["report"]["signatures"]] == [leader.full_name]
    assert report["report"]["verdict_vi"].startswith("Hợp lệ")
    # authorizing the finished request again is a conflict, and nothing is signed again
    again = authorize(client, leader, request["id"])
    assert again.status_code == 409 and again.json["code"] == "request-finished"
    run_worker(app)
    assert (
        client.get(f"/api/documents/{document}", headers=leader.headers).json["current_version"]
        == 2
    )

    issued = act(client, clerk, document, "issue", recipients="Các sở, ban, ngành")
    assert issued.status_code == 200, issued.json
    number_symbol = issued.json["number_symbol"]
    assert issued.json["status"] == "issued" and issued.json["current_version"] == 3
    report = signatures_of(client, clerk, document)
    people = [s for s in report["report"]["signatures"] if s["kind"] == "signature"]
    assert [s["signer"] for s in people] == [leader.full_name, "Ủy ban nhân dân tỉnh Nghệ An"]
    assert all(s["bottom_line"] for s in people), report
    assert people[0]["modification_level"] == "FORM_FILLING"
    assert report["ok"]
    # the number is written into the PDF (as the seal revision's field appearance)
    files = client.get(f"/api/documents/{document}", headers=clerk.headers).json["files"]
    main = next(f for f in files if f["kind"] == "main")
    pdf = client.get(f"/api/documents/{document}/files/{main['id']}", headers=clerk.headers).data
    assert number_symbol.encode("utf-16-be") in pdf or b"SoKyHieu" in pdf
    # version 2 (leader only) is still checkable on its own
    assert signatures_of(client, clerk, document, version=2)["signature_count"] == 1


def test_approve_at_a_sign_step_needs_the_signature(client, world, signing_env, awaiting_signature):
    document = awaiting_signature()
    r = act(client, world["leader"], document, "approve")
    assert r.status_code == 409 and r.json["code"] == "signature-required"


def test_wrong_pin_counts_down_then_locks(app, client, world, signing_env, awaiting_signature):
    leader = world["leader"]
    request = sign(client, leader, awaiting_signature()).json
    tries = []
    for _ in range(4):
        r = authorize(client, leader, request["id"], code="000000")
        assert r.status_code == 403 and r.json["code"] == "wrong-code"
        tries.append(r.json["tries_left"])
    assert tries == [4, 3, 2, 1]
    r = authorize(client, leader, request["id"], code="000000")
    assert r.status_code == 429 and r.json["code"] == "signing-locked"
    assert int(r.headers["Retry-After"]) > 0
    # locked: even the right PIN is refused, and nothing was signed
    r = authorize(client, leader, request["id"])
    assert r.status_code == 429
    run_worker(app)
    assert (
        client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json["state"]
        == "awaiting_authorization"
    )


def test_authenticator_code_authorizes_once(app, client, world, signing_env, awaiting_signature):
    import time

    from tests.conftest import TEST_PASSWORD

    leader = world["leader"]
    started = client.post(
        "/api/me/signing-totp", json={"password": TEST_PASSWORD}, headers=leader.headers
    )
    assert started.status_code == 201
    secret = started.json["secret"]
    assert started.json["otpauth_uri"].startswith("otpauth://totp/")
    with app.app_context():
        code = service.totp_code(secret, int(time.time()) // 30)
    r = client.post("/api/me/signing-totp/confirm", json={"code": code}, headers=leader.headers)
    assert r.status_code == 204
    status = client.get("/api/me/signing", headers=leader.headers).json
    assert status["totp_enabled"] and status["pin_set"]
    assert status["credential"]["subject"] == leader.full_name
    request = sign(client, leader, awaiting_signature()).json
    # the code used to confirm cannot be replayed
    assert authorize(client, leader, request["id"], code=code, method="totp").status_code == 403
    with app.app_context():
        fresh = service.totp_code(secret, int(time.time()) // 30 + 1)
    assert authorize(client, leader, request["id"], code=fresh, method="totp").status_code == 202


def test_batch_one_authorization_per_document_results(
    app, client, world, signing_env, awaiting_signature, provider_calls
):
    leader = world["leader"]
    documents = [awaiting_signature() for _ in range(5)]
    # one that waits for the leader's review first, not yet for a signature
    not_yet = upload_document(client, world["specialist"], pdf=decision(leader.full_name)).json
    steps = [
        {"kind": "review", "actors": [{"user_id": leader.id}]},
        {"kind": "sign", "actors": [{"user_id": leader.id}]},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    assert set_route(client, world["specialist"], not_yet["id"], steps).status_code == 200
    assert act(client, world["specialist"], not_yet["id"], "submit").status_code == 200
    not_mine = not_yet["id"]
    r = client.post(
        "/api/signing-requests",
        json={"document_ids": [*documents, not_mine]},
        headers=leader.headers,
    )
    assert r.status_code == 201, r.json
    states = {i["document_id"]: i["state"] for i in r.json["items"]}
    assert states[not_mine] == "failed"
    assert all(states[d] == "prepared" for d in documents)
    assert authorize(client, leader, r.json["id"]).status_code == 202
    run_worker(app)
    done = client.get(f"/api/signing-requests/{r.json['id']}", headers=leader.headers).json
    assert provider_calls == [5]  # one provider call (one authorization) for the batch
    assert done["state"] == "completed"
    results = {i["document_id"]: i for i in done["items"]}
    assert all(results[d]["state"] == "completed" for d in documents)
    assert results[not_mine]["code"] == "invalid-transition"
    assert "cannot sign" in results[not_mine]["reason"]


def test_a_crash_between_prepare_and_embed_resumes_without_signing_twice(
    app, client, world, signing_env, awaiting_signature, monkeypatch, frozen_clock, provider_calls
):
    from datetime import timedelta

    from backend.core.timeutil import utcnow
    from tests.conftest import run_periodic

    leader = world["leader"]
    document = awaiting_signature()
    request = sign(client, leader, document).json
    assert authorize(client, leader, request["id"]).status_code == 202

    def crash(request_id):
        raise KeyboardInterrupt("worker killed")  # like a SIGKILL: nothing after it runs

    embed_all = service._embed_all
    monkeypatch.setattr(service, "_embed_all", crash)
    with pytest.raises(KeyboardInterrupt):
        run_worker(app)
    monkeypatch.setattr(service, "_embed_all", embed_all)  # a new worker process
    state = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert state["state"] == "signing" and state["items"][0]["state"] == "signed"
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    assert doc["current_version"] == 1  # no half-signed version
    # the sweep finds the request once its lease is stale, and the worker finishes it
    frozen_clock(utcnow() + timedelta(minutes=10))
    run_periodic(app, "sweep")
    run_worker(app)
    state = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert state["state"] == "completed", state
    assert state["items"][0]["level_achieved"] == "B-T"
    assert provider_calls == [1]  # the saved value was embedded; the key was used once
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    assert doc["current_version"] == 2 and doc["status"] == "signed"


def test_document_returned_after_prepare_is_not_signed(
    app, client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    document = awaiting_signature()
    request = sign(client, leader, document).json
    assert act(client, leader, document, "return", reason="Sửa lại điều 2").status_code == 200
    assert authorize(client, leader, request["id"]).status_code == 202
    run_worker(app)
    done = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert done["state"] == "failed"
    assert done["items"][0]["state"] == "failed"
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    assert doc["current_version"] == 1 and doc["status"] == "returned"


def test_one_request_per_document_and_strangers_see_nothing(
    client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    document = awaiting_signature()
    first = sign(client, leader, document)
    assert first.status_code == 201
    again = sign(client, leader, document)
    assert again.status_code == 409 and again.json["code"] == "nothing-to-sign"
    assert "Another signing request" in again.json["detail"]
    for person in ("leader2", "outsider"):
        r = client.get(f"/api/signing-requests/{first.json['id']}", headers=world[person].headers)
        assert r.status_code == 404
    assert sign(client, world["outsider"], document).status_code == 404
    r = authorize(client, world["leader2"], first.json["id"])
    assert r.status_code == 404


def test_without_a_key_the_leader_is_told_to_ask_the_admin(
    client, world, signing_env, awaiting_signature
):
    document = awaiting_signature(signer="chairman")
    r = sign(client, world["chairman"], document)
    assert r.status_code == 409 and r.json["code"] == "credential-missing"
    assert count_rows(client.application, "signing_requests") == 0


def test_uploaded_pdf_validation_flags_tampering(
    client, world, signing_env, awaiting_signature, app
):
    leader = world["leader"]
    document = awaiting_signature()
    request = sign(client, leader, document).json
    authorize(client, leader, request["id"])
    run_worker(app)
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    main = next(f for f in doc["files"] if f["kind"] == "main")
    signed = client.get(
        f"/api/documents/{document}/files/{main['id']}", headers=leader.headers
    ).data

    def check(pdf: bytes):
        return client.post(
            "/api/signatures/validate",
            data={"file": (io.BytesIO(pdf), "nhan-duoc.pdf")},
            headers=world["clerk"].headers,
            content_type="multipart/form-data",
        )

    good = check(signed)
    assert good.status_code == 200 and good.json["ok"]
    bad = check(tampered(signed))
    assert bad.status_code == 200 and not bad.json["ok"]
    assert not bad.json["signatures"][0]["intact"]
    broken = check(b"%PDF-1.7 not really")
    assert broken.status_code == 422


def test_incoming_with_a_broken_signature_is_stopped_then_refused(
    app, client, world, signing_env, awaiting_signature
):
    leader, clerk = world["leader"], world["clerk"]
    document = awaiting_signature()
    authorize(client, leader, sign(client, leader, document).json["id"])
    run_worker(app)
    doc = client.get(f"/api/documents/{document}", headers=leader.headers).json
    main = next(f for f in doc["files"] if f["kind"] == "main")
    signed = client.get(
        f"/api/documents/{document}/files/{main['id']}", headers=leader.headers
    ).data
    details = {
        "sender_name": "Sở Tài chính",
        "number_symbol": "12/STC-NS",
        "document_date": "2026-11-20",
    }

    def receive(pdf: bytes) -> int:
        return upload_document(client, clerk, pdf=pdf, direction="incoming").json["id"]

    ok = receive(signed)
    r = act(client, clerk, ok, "register-incoming", **details)
    assert r.status_code == 200, r.json
    assert r.json["signatures"]["ok"] and r.json["signatures"]["signatures"][0]["signer"]

    bad = receive(tampered(signed))
    r = act(client, clerk, bad, "register-incoming", **{**details, "number_symbol": "13/STC-NS"})
    assert r.status_code == 409 and r.json["code"] == "signature-invalid"
    r = act(client, clerk, bad, "refuse", reason="Chữ ký số không hợp lệ")
    assert r.status_code == 200 and r.json["status"] == "refused"
    unsigned = receive(decision("Nguyễn Văn A"))
    r = act(client, clerk, unsigned, "register-incoming", **{**details, "number_symbol": "14/STC"})
    assert r.status_code == 200 and r.json["signatures"]["signatures"] == []


def test_a_batch_signs_what_it_can_and_asks_where_to_sign_the_rest(
    app, client, world, signing_env, awaiting_signature
):
    """A draft whose text does not contain the signer's printed name is not signed by
    guesswork: the batch signs the others and says which need a position; the position
    is then given as a tap on the page (fractions of the page)."""
    from pypdf import PdfReader

    from signing.samples import draft

    leader = world["leader"]
    named = [awaiting_signature() for _ in range(2)]
    unnamed_pdf = draft([[(70, 760, "Công văn không in tên người ký")]])
    unnamed = upload_document(client, world["specialist"], pdf=unnamed_pdf).json["id"]
    steps = [
        {"kind": "sign", "actors": [{"user_id": leader.id}]},
        {"kind": "issue", "actors": [{"user_id": world["clerk"].id}]},
    ]
    assert set_route(client, world["specialist"], unnamed, steps).status_code == 200
    assert act(client, world["specialist"], unnamed, "submit").status_code == 200

    # the unnamed one alone: nothing to sign, and the answer says it needs a position
    r = client.post(
        "/api/signing-requests", json={"document_ids": [unnamed]}, headers=leader.headers
    )
    assert r.status_code == 409 and r.json["code"] == "nothing-to-sign"
    assert r.json["items"] == [
        {"document_id": unnamed, "code": "needs-position", "reason": r.json["items"][0]["reason"]}
    ]
    # in a batch: the named ones are signed, the unnamed one is marked
    r = client.post(
        "/api/signing-requests", json={"document_ids": [*named, unnamed]}, headers=leader.headers
    )
    assert r.status_code == 201, r.json
    codes = {i["document_id"]: (i["state"], i["code"]) for i in r.json["items"]}
    assert codes[unnamed] == ("failed", "needs-position")
    assert all(codes[d][0] == "prepared" for d in named)
    assert authorize(client, leader, r.json["id"]).status_code == 202
    run_worker(app)
    for d in named:
        assert client.get(f"/api/documents/{d}", headers=leader.headers).json["status"] == "signed"
    # the app asks where; a tap gives fractions of the page
    tap = {"page": 1, "x1": 0.55, "y1": 0.30, "x2": 0.85, "y2": 0.40, "unit": "page"}
    bad = client.post(
        "/api/signing-requests",
        json={"document_ids": [unnamed], "placements": [{**tap, "document_id": named[0]}]},
        headers=leader.headers,
    )
    assert bad.status_code == 422  # a position for a document not in the request
    r = client.post(
        "/api/signing-requests",
        json={"document_ids": [unnamed], "placements": [{**tap, "document_id": unnamed}]},
        headers=leader.headers,
    )
    assert r.status_code == 201, r.json
    assert authorize(client, leader, r.json["id"]).status_code == 202
    run_worker(app)
    doc = client.get(f"/api/documents/{unnamed}", headers=leader.headers).json
    assert doc["status"] == "signed"
    [main] = [f for f in doc["files"] if f["kind"] == "main"]
    pdf = client.get(f"/api/documents/{unnamed}/files/{main['id']}", headers=leader.headers).data
    [widget] = [a.get_object() for a in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    expected = (0.55 * 595, 0.30 * 842, 0.85 * 595, 0.40 * 842)  # the tap, in points
    assert all(abs(a - b) <= 1 for a, b in zip((x1, y1, x2, y2), expected, strict=True))


def _worker_statements(app, client, leader, documents: list[int], monkeypatch) -> int:
    """SQL statements the worker runs for one signing request over ``documents``."""
    from sqlalchemy import event

    from backend.core.db import get_db

    r = client.post(
        "/api/signing-requests", json={"document_ids": documents}, headers=leader.headers
    )
    assert authorize(client, leader, r.json["id"]).status_code == 202
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    run = service.run_request

    def counted(request_id: int) -> str:
        engine = get_db().engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            return run(request_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    monkeypatch.setattr(service, "run_request", counted)
    run_worker(app)
    done = client.get(f"/api/signing-requests/{r.json['id']}", headers=leader.headers).json
    assert done["state"] == "completed" and all(i["state"] == "completed" for i in done["items"])
    return len(statements)


def test_the_worker_signs_a_document_in_a_bounded_number_of_statements(
    app, client, world, signing_env, awaiting_signature, monkeypatch
):
    """The worker's SQL per signed document (version, workflow step, notifications,
    audit, search) and per request (lease, values, closing), kept from growing back:
    bench/signing_api.py measures what they cost."""
    leader = world["leader"]
    one = _worker_statements(app, client, leader, [awaiting_signature()], monkeypatch)
    five = _worker_statements(
        app, client, leader, [awaiting_signature() for _ in range(5)], monkeypatch
    )
    per_document = (five - one) / 4
    print(f"\nworker statements: 1 document {one}, 5 documents {five}, {per_document} each")
    assert one <= MAX_STATEMENTS_ONE and per_document <= MAX_STATEMENTS_PER_DOCUMENT


# before issue 12: 63 and 51 (one transaction per document, the audit head and the
# memberships of the drafter and the step actors read again at every lock and lookup)
MAX_STATEMENTS_ONE, MAX_STATEMENTS_PER_DOCUMENT = 55, 34
