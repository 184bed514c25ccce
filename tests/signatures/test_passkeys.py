"""Passkeys (WebAuthn) confirm signing requests instead of the PIN: registration after
the password, one-use challenges per request, user verification required, the origin and
the counter checked, and failures counted towards the same lockout as wrong PINs."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD, run_worker
from tests.signatures.softkey import SoftPasskey

# the Flask test client talks to http://localhost
ORIGIN = "http://localhost"


def register(client, person, passkey: SoftPasskey, name: str = "iPhone của tôi"):
    options = client.post(
        "/api/me/signing-passkeys/options",
        json={"password": TEST_PASSWORD},
        headers=person.headers,
    )
    assert options.status_code == 200, options.json
    assert options.json["rp"]["id"] == "localhost"
    assert options.json["authenticatorSelection"]["userVerification"] == "required"
    return client.post(
        "/api/me/signing-passkeys",
        json={"credential": passkey.create(options.json, ORIGIN), "name": name},
        headers=person.headers,
    )


def confirm(client, person, request_id: int, passkey: SoftPasskey, **kwargs):
    options = client.post(
        f"/api/signing-requests/{request_id}/passkey-options", headers=person.headers
    )
    assert options.status_code == 200, options.json
    assert [c["id"] for c in options.json["allowCredentials"]] == [passkey.id]
    assertion = passkey.get(options.json, kwargs.pop("origin", ORIGIN), **kwargs)
    return (
        client.post(
            f"/api/signing-requests/{request_id}/authorize",
            json={"method": "passkey", "assertion": assertion},
            headers=person.headers,
        ),
        assertion,
    )


def test_register_then_sign_with_the_passkey(app, client, world, signing_env, awaiting_signature):
    leader = world["leader"]
    wrong = client.post(
        "/api/me/signing-passkeys/options", json={"password": "sai"}, headers=leader.headers
    )
    assert wrong.status_code == 403 and wrong.json["code"] == "wrong-password"
    passkey = SoftPasskey()
    created = register(client, leader, passkey)
    assert created.status_code == 201, created.json
    assert created.json["name"] == "iPhone của tôi"
    status = client.get("/api/me/signing", headers=leader.headers).json
    assert status["passkeys"] == 1
    # the same key twice: the browser is told to exclude it, and the server refuses it
    again = register(client, leader, passkey)
    assert again.status_code == 409 and again.json["code"] == "passkey-exists"

    document = awaiting_signature()
    request = client.post(f"/api/documents/{document}/sign", json={}, headers=leader.headers).json
    accepted, _ = confirm(client, leader, request["id"], passkey)
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["state"] == "signing"
    run_worker(app)
    done = client.get(f"/api/signing-requests/{request['id']}", headers=leader.headers).json
    assert done["state"] == "completed", done
    report = client.get(f"/api/documents/{document}/signatures", headers=leader.headers).json
    assert report["ok"] and report["signature_count"] == 1
    [key] = client.get("/api/me/signing-passkeys", headers=leader.headers).json
    assert key["last_used_at"] is not None


def test_a_passkey_answer_works_once_for_its_own_request(
    app, client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    passkey = SoftPasskey()
    assert register(client, leader, passkey).status_code == 201
    first = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    second = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    # the answer for the first request's challenge does not confirm the second
    client.post(f"/api/signing-requests/{second['id']}/passkey-options", headers=leader.headers)
    options = client.post(
        f"/api/signing-requests/{first['id']}/passkey-options", headers=leader.headers
    ).json
    assertion = passkey.get(options, ORIGIN)
    replayed = client.post(
        f"/api/signing-requests/{second['id']}/authorize",
        json={"method": "passkey", "assertion": assertion},
        headers=leader.headers,
    )
    assert replayed.status_code == 403 and replayed.json["code"] == "wrong-code"
    assert replayed.json["tries_left"] == 4
    # nor, once tried, can a challenge be answered again
    retry = client.post(
        f"/api/signing-requests/{second['id']}/authorize",
        json={"method": "passkey", "assertion": assertion},
        headers=leader.headers,
    )
    assert retry.status_code == 403
    state = client.get(f"/api/signing-requests/{second['id']}", headers=leader.headers).json
    assert state["state"] == "awaiting_authorization"


def test_unverified_user_wrong_origin_and_cloned_counter_are_refused(
    client, world, signing_env, awaiting_signature
):
    leader = world["leader"]
    passkey = SoftPasskey()
    assert register(client, leader, passkey).status_code == 201
    request = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    # presence without verification (no fingerprint, no screen lock)
    r, _ = confirm(client, leader, request["id"], passkey, user_verified=False)
    assert r.status_code == 403 and r.json["code"] == "wrong-code"
    # a phishing site's origin
    r, _ = confirm(client, leader, request["id"], passkey, origin="https://trinhky.example.com")
    assert r.status_code == 403
    # an honest answer works
    r, _ = confirm(client, leader, request["id"], passkey)
    assert r.status_code == 202, r.json
    # a copy of the key, its counter behind the one the server saw last
    later = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    passkey.sign_count = 1
    r, _ = confirm(client, leader, later["id"], passkey)
    assert r.status_code == 403 and r.json["code"] == "wrong-code"


def test_failures_lock_like_wrong_pins_and_a_removed_key_is_gone(
    client, world, signing_env, awaiting_signature
):
    leader, other = world["leader"], world["leader2"]
    passkey = SoftPasskey()
    assert register(client, leader, passkey).status_code == 201
    request = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    for left in (4, 3, 2, 1):
        r, _ = confirm(client, leader, request["id"], passkey, user_verified=False)
        assert r.status_code == 403 and r.json["tries_left"] == left
    r, _ = confirm(client, leader, request["id"], passkey, user_verified=False)
    assert r.status_code == 429 and r.json["code"] == "signing-locked"

    [key] = client.get("/api/me/signing-passkeys", headers=leader.headers).json
    # another person cannot see or remove it
    assert client.get("/api/me/signing-passkeys", headers=other.headers).json == []
    gone = client.delete(f"/api/me/signing-passkeys/{key['id']}", headers=other.headers)
    assert gone.status_code == 404
    assert (
        client.delete(f"/api/me/signing-passkeys/{key['id']}", headers=leader.headers).status_code
        == 204
    )
    r = client.post(
        f"/api/signing-requests/{request['id']}/passkey-options", headers=leader.headers
    )
    assert r.status_code == 409 and r.json["code"] == "passkey-not-set"


def test_authorize_needs_the_proof_of_its_method(client, world, signing_env, awaiting_signature):
    leader = world["leader"]
    request = client.post(
        f"/api/documents/{awaiting_signature()}/sign", json={}, headers=leader.headers
    ).json
    r = client.post(
        f"/api/signing-requests/{request['id']}/authorize",
        json={"method": "passkey"},
        headers=leader.headers,
    )
    assert r.status_code == 422 and "assertion" in r.json["errors"]
    r = client.post(
        f"/api/signing-requests/{request['id']}/authorize",
        json={"method": "pin"},
        headers=leader.headers,
    )
    assert r.status_code == 422 and "code" in r.json["errors"]
