"""Confirming a signature on a bad network: a retried tap with its Idempotency-Key is
answered once and signs once; wrong codes count towards the lockout also when sent with a
key; a finished request cannot be confirmed again; the lockout's minutes and Retry-After
agree."""

from __future__ import annotations

import math
import re

from tests.conftest import count_rows, run_worker
from tests.signatures.conftest import PIN


def _sign(client, person, document_id: int) -> dict:
    r = client.post(f"/api/documents/{document_id}/sign", json={}, headers=person.headers)
    assert r.status_code == 201, r.json
    return r.json


def _authorize(client, person, request_id: int, code: str = PIN, key: str | None = None):
    headers = {**person.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(
        f"/api/signing-requests/{request_id}/authorize",
        json={"method": "pin", "code": code},
        headers=headers,
    )


def _minutes_in(detail: str) -> int:
    return int(re.search(r"(\d+) minutes", detail).group(1))


def test_a_retried_confirmation_is_answered_once_and_signs_once(
    app, client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    request = _sign(client, leader, awaiting_signature())
    first = _authorize(client, leader, request["id"], key="tap-1")
    assert first.status_code == 202, first.json
    again = _authorize(client, leader, request["id"], key="tap-1")
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert count_rows(app, "audit_events WHERE action = 'signing.authorized'") == 1
    run_worker(app)
    done = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert done["state"] == "completed"
    # finished: confirming again is a conflict, not another 202
    r = _authorize(client, leader, request["id"])
    assert r.status_code == 409, r.json
    assert r.json["code"] == "request-finished" and r.json["current_state"] == "completed"
    # the phone's retry of its first tap still gets its first answer
    assert _authorize(client, leader, request["id"], key="tap-1").status_code == 202


def test_wrong_codes_sent_with_a_key_still_count_and_lock(
    app, client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    request = _sign(client, leader, awaiting_signature())
    tries = []
    for _ in range(4):  # the same key each time: a failure is never kept for a replay
        r = _authorize(client, leader, request["id"], code="000000", key="same-tap")
        assert r.status_code == 403 and r.json["code"] == "wrong-code", r.json
        assert "Idempotent-Replayed" not in r.headers
        tries.append(r.json["tries_left"])
    assert tries == [4, 3, 2, 1]
    locked = _authorize(client, leader, request["id"], code="000000", key="another-tap")
    assert locked.status_code == 429 and locked.json["code"] == "signing-locked"
    retry_after = int(locked.headers["Retry-After"])
    assert _minutes_in(locked.json["detail"]) == math.ceil(retry_after / 60)
    # while locked (a little later): the message and Retry-After still agree
    still = _authorize(client, leader, request["id"], key="third-tap")
    assert still.status_code == 429
    retry_after = int(still.headers["Retry-After"])
    assert _minutes_in(still.json["detail"]) == math.ceil(retry_after / 60)
    assert count_rows(app, "idempotency_records") == 0
