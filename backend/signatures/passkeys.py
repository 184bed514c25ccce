"""Passkeys (khóa truy cập, WebAuthn) as a signing step-up: the phone's fingerprint, face
or screen lock confirms a signing request instead of the PIN. Registered by the signer
after re-entering the account password; each signing request gets its own one-use
challenge, so an assertion cannot be replayed on another request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import Conflict, NotFound, ValidationFailed
from backend.core.timeutil import utcnow
from backend.org.models import User

from .models import SigningFactor, SigningPasskey

RP_NAME = "Trình Ký"
CHALLENGE_MINUTES = 5
MAX_PASSKEYS = 10


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser must have been talking to: the site's domain and origins."""

    rp_id: str
    origins: tuple[str, ...]


def _options(options: Any) -> dict[str, Any]:
    return json.loads(options_to_json(options))


def registration_options(actor: User, factor: SigningFactor, rp: RelyingParty) -> dict[str, Any]:
    """Options for navigator.credentials.create(); the caller checked the password and
    holds the factor row."""
    existing = session().scalars(select(SigningPasskey).where(SigningPasskey.user_id == actor.id))
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=f"trinhky-user-{actor.id}".encode(),
        user_name=actor.username,
        user_display_name=actor.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in existing
        ],
    )
    factor.passkey_challenge = bytes_to_base64url(options.challenge)
    factor.passkey_challenge_expires = utcnow() + timedelta(minutes=CHALLENGE_MINUTES)
    return _options(options)


def register(
    actor: User, factor: SigningFactor, credential: dict[str, Any], name: str, rp: RelyingParty
) -> SigningPasskey:
    """Check the browser's answer to the registration challenge and keep the key."""
    challenge = factor.passkey_challenge
    if not challenge or not factor.passkey_challenge_expires:
        raise Conflict("Ask for registration options first.", code="no-passkey-challenge")
    if factor.passkey_challenge_expires < utcnow():
        raise Conflict("The registration took too long; start again.", code="challenge-expired")
    factor.passkey_challenge = factor.passkey_challenge_expires = None  # one use
    s = session()
    if len(list_passkeys(actor)) >= MAX_PASSKEYS:
        raise Conflict(f"At most {MAX_PASSKEYS} passkeys per person.", code="too-many-passkeys")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed(
            f"The passkey could not be verified: {exc}",
            {"credential": [str(exc)]},
            code="passkey-invalid",
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if s.scalar(select(SigningPasskey.id).where(SigningPasskey.credential_id == credential_id)):
        raise Conflict("This passkey is already registered.", code="passkey-exists")
    row = SigningPasskey(
        user_id=actor.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
    )
    s.add(row)
    s.flush()
    audit.record("signing.passkey_added", "user", actor.id, actor=actor, data={"name": name})
    return row


def list_passkeys(actor: User) -> list[SigningPasskey]:
    return list(
        session().scalars(
            select(SigningPasskey)
            .where(SigningPasskey.user_id == actor.id)
            .order_by(SigningPasskey.id)
        )
    )


def remove(actor: User, passkey_id: int) -> None:
    with atomic():
        row = session().get(SigningPasskey, passkey_id)
        if row is None or row.user_id != actor.id:
            raise NotFound("No such passkey.", code="not-found")
        session().delete(row)
        audit.record("signing.passkey_removed", "user", actor.id, actor=actor)


def has_passkeys(user_id: int) -> bool:
    found = session().scalar(select(SigningPasskey.id).where(SigningPasskey.user_id == user_id))
    return found is not None


def authentication_options(user_id: int, rp: RelyingParty) -> tuple[str, dict[str, Any]]:
    """A fresh challenge (to be stored on the signing request) and the options for
    navigator.credentials.get() listing the signer's passkeys."""
    keys = list(session().scalars(select(SigningPasskey).where(SigningPasskey.user_id == user_id)))
    if not keys:
        raise Conflict("Register a passkey first.", code="passkey-not-set")
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in keys
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return bytes_to_base64url(options.challenge), _options(options)


def verify_assertion(
    user_id: int, challenge: str | None, assertion: dict[str, Any], rp: RelyingParty
) -> bool:
    """True when the assertion answers this challenge with one of the user's passkeys,
    user verified; the signature counter must move forward (a cloned key is refused)."""
    if not challenge or not isinstance(assertion, dict):
        return False
    key = session().scalar(
        select(SigningPasskey).where(
            SigningPasskey.user_id == user_id,
            SigningPasskey.credential_id == str(assertion.get("id", "")),
        )
    )
    if key is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=assertion,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return False
    key.sign_count = verified.new_sign_count
    key.last_used_at = utcnow()
    return True


def passkey_view(row: SigningPasskey) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }
