from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from backend.core.ratelimit import limiter
from tests.conftest import TEST_PASSWORD


def login(client, username, password=TEST_PASSWORD, device="Điện thoại thử", **kw):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password, "device_name": device},
        **kw,
    )


def test_login_returns_short_lived_token_bound_to_a_named_device(client, world, app):
    r = login(client, "specialist", device="iPhone của anh Hùng")
    assert r.status_code == 200, r.json
    body = r.json
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    claims = jwt.decode(
        body["access_token"],
        app.extensions["settings"].secret_key,
        algorithms=["HS256"],
        audience="trinhky-api",
    )
    assert claims["exp"] - claims["iat"] <= 900
    assert claims["did"] == body["device"]["id"]
    assert body["device"]["name"] == "iPhone của anh Hùng"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["full_name"] == "Đặng Văn Hùng"
    assert me.json["memberships"][0]["position_title"] == "Chuyên viên"
    assert me.json["device"]["current"] is True


def test_username_is_case_insensitive(client, world):
    assert login(client, "SPECIALIST").status_code == 200


@pytest.mark.parametrize("username,password", [("specialist", "sai"), ("khong.ton.tai", "x")])
def test_wrong_credentials_give_the_same_401(client, world, username, password):
    r = login(client, username, password)
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == "invalid-credentials"


def test_account_locks_after_repeated_failures_and_unlocks_later(client, world, app):
    threshold = app.extensions["settings"].lockout_threshold
    for _ in range(threshold):
        assert login(client, "head", "sai mật khẩu").status_code == 401
        limiter.reset()  # isolate the lockout from the rate limit
    r = login(client, "head")  # even the right password is refused while locked
    assert r.status_code == 429
    assert r.json["code"] == "account-locked"
    assert int(r.headers["Retry-After"]) > 0
    # Time passes: the lock lifts.
    from backend.core import timeutil

    later = datetime.now(UTC) + timedelta(minutes=app.extensions["settings"].lockout_minutes + 1)
    timeutil._clock = lambda: later
    try:
        assert login(client, "head").status_code == 200
    finally:
        timeutil._clock = None


def test_login_is_rate_limited_per_account(client, world, app):
    limit = int(app.extensions["settings"].login_rate_limit_account.split()[0])
    statuses = [
        login(client, "leader", "sai", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit] == 429


def test_login_is_rate_limited_per_ip(client, world, app):
    limit = int(app.extensions["settings"].login_rate_limit_ip.split()[0])
    statuses = [
        login(client, f"nobody{i}", "sai", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
        for i in range(limit + 1)
    ]
    assert statuses[-1] == 429
    last = login(client, "nobody", "sai", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert last.mimetype == "application/problem+json"
    assert last.json["code"] == "too-many-requests"
    assert "Retry-After" in last.headers
    # Another address is not affected.
    assert login(client, "specialist", environ_base={"REMOTE_ADDR": "10.9.9.8"}).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_whole_device(client, world):
    first = login(client, "specialist").json
    r1 = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r1.status_code == 200
    second = r1.json
    assert second["refresh_token"] != first["refresh_token"]
    assert second["device"]["id"] == first["device"]["id"]
    # The old token shown again: stolen. The device is cut off, new tokens included.
    reuse = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json["code"] == "refresh-token-reused"
    after = client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    assert after.json["code"] == "device-revoked"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 401
    assert me.json["code"] == "device-revoked"


def test_unknown_refresh_token(client, world):
    r = client.post("/api/auth/refresh", json={"refresh_token": "không-có"})
    assert r.status_code == 401
    assert r.json["code"] == "invalid-refresh-token"


def test_expired_refresh_token(client, world, app):
    from backend.core import timeutil

    tokens = login(client, "specialist").json
    later = datetime.now(UTC) + timedelta(
        days=app.extensions["settings"].refresh_token_ttl_days + 1
    )
    timeutil._clock = lambda: later
    try:
        r = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    finally:
        timeutil._clock = None
    assert r.status_code == 401
    assert r.json["code"] == "refresh-token-expired"


def test_lost_phone_is_cut_off_at_once(client, world):
    phone = login(client, "leader", device="Điện thoại bị mất").json
    laptop = login(client, "leader", device="Máy tính bảng").json
    laptop_h = {"Authorization": f"Bearer {laptop['access_token']}"}
    devices = client.get("/api/auth/devices", headers=laptop_h).json
    names = {d["name"]: d for d in devices}
    assert names["Máy tính bảng"]["current"] is True
    assert names["Điện thoại bị mất"]["current"] is False
    r = client.delete(f"/api/auth/devices/{phone['device']['id']}", headers=laptop_h)
    assert r.status_code == 204
    phone_h = {"Authorization": f"Bearer {phone['access_token']}"}
    assert client.get("/api/me", headers=phone_h).status_code == 401
    refresh = client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refresh.status_code == 401
    assert client.get("/api/me", headers=laptop_h).status_code == 200
    listed = {d["id"]: d for d in client.get("/api/auth/devices", headers=laptop_h).json}
    assert listed[phone["device"]["id"]]["active"] is False


def test_cannot_revoke_someone_elses_device(client, world):
    r = client.delete(
        f"/api/auth/devices/{world['leader'].device_id}", headers=world["specialist"].headers
    )
    assert r.status_code == 404
    assert client.get("/api/me", headers=world["leader"].headers).status_code == 200


def test_logout_ends_this_device_only(client, world):
    a = login(client, "clerk", device="A").json
    b = login(client, "clerk", device="B").json
    ha = {"Authorization": f"Bearer {a['access_token']}"}
    hb = {"Authorization": f"Bearer {b['access_token']}"}
    assert client.post("/api/auth/logout", headers=ha).status_code == 204
    assert client.get("/api/me", headers=ha).status_code == 401
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": a["refresh_token"]}).status_code
        == 401
    )
    assert client.get("/api/me", headers=hb).status_code == 200


def _claims(world, app, **changes):
    now = datetime.now(UTC)
    claims = {
        "sub": str(world["specialist"].id),
        "did": world["specialist"].device_id,
        "iss": "trinhky",
        "aud": "trinhky-api",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(changes)
    return claims


def _tampered(token: str, **changes: object) -> str:
    """The same header and signature over claims changed afterwards (another user)."""
    import base64
    import json

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert forged != payload
    return f"{header}.{forged}.{signature}"


def test_forged_tokens_are_refused(client, world, app):
    key = app.extensions["settings"].secret_key
    good = jwt.encode(_claims(world, app), key, algorithm="HS256")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200

    cases = {
        "alg none": jwt.encode(_claims(world, app), None, algorithm="none"),
        "wrong key": jwt.encode(
            _claims(world, app), "another-key-entirely-xxxxxxxxxxxxx", algorithm="HS256"
        ),
        "wrong audience": jwt.encode(
            _claims(world, app, aud="someone-else"), key, algorithm="HS256"
        ),
        "wrong issuer": jwt.encode(_claims(world, app, iss="evil"), key, algorithm="HS256"),
        "no expiry": jwt.encode(
            {k: v for k, v in _claims(world, app).items() if k != "exp"}, key, algorithm="HS256"
        ),
        "other user's device": jwt.encode(
            _claims(world, app, did=world["leader"].device_id), key, algorithm="HS256"
        ),
        "garbage": "abc.def.ghi",
        "other algorithm": jwt.encode(_claims(world, app), key, algorithm="HS512"),
        "tampered claims": _tampered(good, sub=str(world["admin"].id)),
    }
    for name, token in cases.items():
        r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.json["code"] == "invalid-token", name
        assert r.headers["WWW-Authenticate"].startswith("Bearer")

    expired = jwt.encode(
        _claims(
            world,
            app,
            iat=datetime.now(UTC) - timedelta(hours=1),
            exp=datetime.now(UTC) - timedelta(minutes=1),
        ),
        key,
        algorithm="HS256",
    )
    r = client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json["code"] == "token-expired"


def test_disabled_account_is_refused_everywhere(client, world):
    r = client.patch(
        f"/api/users/{world['specialist'].id}",
        json={"active": False},
        headers=world["admin"].headers,
    )
    assert r.status_code == 200
    assert (
        client.get("/api/me", headers=world["specialist"].headers).json["code"]
        == "account-disabled"
    )
    assert login(client, "specialist").status_code == 401
    assert (
        client.post(
            "/api/auth/refresh", json={"refresh_token": world["specialist"].refresh_token}
        ).status_code
        == 401
    )


def test_passwords_are_stored_with_argon2(app, world):
    from backend.core.db import session
    from backend.org.models import User

    with app.app_context():
        user = session().get(User, world["specialist"].id)
        assert user.password_hash.startswith("$argon2id$")
        assert TEST_PASSWORD not in user.password_hash


def test_the_lockout_message_and_retry_after_agree(client, world, app):
    import math
    import re

    from backend.core import timeutil

    for _ in range(app.extensions["settings"].lockout_threshold):
        assert login(client, "head", "sai mật khẩu").status_code == 401
        limiter.reset()
    for minutes_later in (0, 7.5, 14.99):
        later = datetime.now(UTC) + timedelta(minutes=minutes_later)
        timeutil._clock = lambda later=later: later
        try:
            r = login(client, "head")
        finally:
            timeutil._clock = None
        assert r.status_code == 429
        retry_after = int(r.headers["Retry-After"])
        stated = int(re.search(r"(\d+) minutes", r.json["detail"]).group(1))
        assert stated == math.ceil(retry_after / 60), (r.json["detail"], retry_after)
        limiter.reset()
