"""Sign-in, tokens and devices.

Access tokens are short-lived JWTs (HS256, ≤ 15 minutes) naming the user and the device.
Refresh tokens are opaque, stored hashed, single-use, and rotate on every refresh; showing
an already-used one again means it was stolen or copied, so the device's whole chain is
revoked.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g
from sqlalchemy import select, update

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import ApiError, NotFound, Unauthorized, wait_minutes
from backend.core.timeutil import utcnow
from backend.org.models import User

from .models import Device, RefreshToken

JWT_ALGORITHM = "HS256"


class AccountLocked(ApiError):
    status, code, title = 429, "account-locked", "Account temporarily locked"


def _settings() -> Any:
    return current_app.extensions["settings"]


def password_hasher() -> PasswordHasher:
    ext = current_app.extensions
    if "password_hasher" not in ext:
        settings = _settings()
        ext["password_hasher"] = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
    return ext["password_hasher"]


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def _verify_password(user: User | None, password: str) -> bool:
    hasher = password_hasher()
    if user is None:
        # Same work for unknown usernames, so timing does not reveal which exist.
        ext = current_app.extensions
        ext.setdefault("dummy_hash", hasher.hash(secrets.token_hex(8)))
        with contextlib.suppress(VerificationError):
            hasher.verify(ext["dummy_hash"], password)
        return False
    try:
        return hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    device: Device
    user: User
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(user: User, device: Device) -> str:
    settings = _settings()
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "did": device.id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=settings.access_token_ttl),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


def _new_refresh_token(device: Device) -> str:
    token = secrets.token_urlsafe(32)
    session().add(
        RefreshToken(
            device_id=device.id,
            token_hash=_hash_token(token),
            expires_at=utcnow() + timedelta(days=_settings().refresh_token_ttl_days),
        )
    )
    return token


def issue_tokens(user: User, device: Device) -> TokenPair:
    """A fresh access + refresh pair for a device (sign-in, rotation, and test fixtures)."""
    return TokenPair(
        access_token=issue_access_token(user, device),
        refresh_token=_new_refresh_token(device),
        expires_in=_settings().access_token_ttl,
        device=device,
        user=user,
    )


def login(username: str, password: str, device_name: str, user_agent: str, ip: str) -> TokenPair:
    s = session()
    user = s.scalar(select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        retry = math.ceil((user.locked_until - now).total_seconds())
        raise AccountLocked(
            f"Too many failed sign-ins; try again in {wait_minutes(retry)} minutes.",
            headers={"Retry-After": str(retry)},
        )
    if not _verify_password(user, password) or user is None or not user.active:
        if user is not None and user.active:
            _record_failure(user)
        raise Unauthorized("Wrong username or password.", code="invalid-credentials")
    with atomic():
        user.failed_logins = 0
        user.locked_until = None
        device = Device(
            user_id=user.id, name=device_name.strip()[:120], user_agent=user_agent[:255], last_ip=ip
        )
        s.add(device)
        s.flush()
        g.current_device_id = device.id
        pair = issue_tokens(user, device)
        audit.record(
            "auth.login",
            "device",
            device.id,
            actor=user,
            organisation_id=_org_of(user),
            data={"device": device.name, "ip": ip},
        )
    return pair


def _record_failure(user: User) -> None:
    settings = _settings()
    with atomic():
        user.failed_logins += 1
        if user.failed_logins >= settings.lockout_threshold:
            user.failed_logins = 0
            user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
            audit.record("auth.locked", "user", user.id, actor=user, organisation_id=_org_of(user))


def _org_of(user: User) -> int | None:
    membership = user.primary_membership
    return membership.organisation_id if membership else None


def refresh(token: str, ip: str) -> TokenPair:
    s = session()
    with atomic():
        stored = s.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == _hash_token(token))
            .with_for_update()
        )
        if stored is None:
            raise Unauthorized(
                "Unknown refresh token; sign in again.", code="invalid-refresh-token"
            )
        device = s.get(Device, stored.device_id)
        assert device is not None
        if device.revoked_at is not None:
            raise Unauthorized("This device was signed out; sign in again.", code="device-revoked")
        already_used = stored.used_at is not None
        # Claim the token atomically: only one request can ever use it.
        claimed = s.execute(
            update(RefreshToken)
            .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
            .values(used_at=utcnow())
        ).rowcount
        reused = already_used or claimed != 1
        expired = stored.expires_at <= utcnow()
        if not reused and not expired:
            user = device.user
            if not user.active:
                raise Unauthorized("The account is disabled.", code="account-disabled")
            device.last_seen_at = utcnow()
            device.last_ip = ip
            return issue_tokens(user, device)
        if reused:
            _revoke(device, "refresh-reuse", actor=device.user)
    # Outside the block: the revocation above is committed before we answer.
    if reused:
        raise Unauthorized(
            "This refresh token was already used; the device has been signed out for safety.",
            code="refresh-token-reused",
        )
    raise Unauthorized(
        "The refresh token has expired; sign in again.", code="refresh-token-expired"
    )


def _revoke(device: Device, reason: str, actor: User) -> None:
    with atomic():
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            device.revoked_reason = reason
        # a lost phone must not keep showing the agency's documents on its lock screen
        from backend.notifications import service as notifications

        notifications.forget_device(device.id)
        audit.record(
            "auth.device_revoked",
            "device",
            device.id,
            actor=actor,
            organisation_id=_org_of(device.user),
            data={"reason": reason, "device": device.name},
        )


def logout(user: User, device_id: int) -> None:
    device = get_device(user, device_id)
    _revoke(device, "logout", actor=user)


def list_devices(user: User) -> list[Device]:
    return list(
        session().scalars(
            select(Device).where(Device.user_id == user.id).order_by(Device.created_at.desc())
        )
    )


def get_device(user: User, device_id: int) -> Device:
    device = session().get(Device, device_id)
    if device is None or device.user_id != user.id:
        raise NotFound("No such device.")
    return device


def revoke_device(user: User, device_id: int) -> Device:
    """A lost phone: its refresh token stops working now, and so does its access token,
    because every request checks that its device is still active."""
    device = get_device(user, device_id)
    _revoke(device, "revoked-by-user", actor=user)
    return device


def authenticate(authorization: str | None) -> tuple[User, Device]:
    """Turn an ``Authorization: Bearer`` header into the user and device, or 401."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    token = authorization[len("Bearer ") :].strip()
    settings = _settings()
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(
            "The access token has expired; refresh it.", code="token-expired"
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("The access token is not valid.", code="invalid-token") from exc
    try:
        user_id, device_id = int(claims["sub"]), int(claims["did"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("The access token is not valid.", code="invalid-token") from exc
    # one round trip: this runs on every request
    row = (
        session()
        .execute(
            select(User, Device)
            .join(Device, Device.user_id == User.id)
            .where(User.id == user_id, Device.id == device_id)
        )
        .first()
    )
    if row is None:
        raise Unauthorized("The access token is not valid.", code="invalid-token")
    user, device = row
    if device.revoked_at is not None:
        raise Unauthorized("This device was signed out; sign in again.", code="device-revoked")
    if not user.active:
        raise Unauthorized("The account is disabled.", code="account-disabled")
    return user, device
