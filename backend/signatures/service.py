"""Digital signatures (ký số): credentials, step-up, two-phase signing requests, the
agency seal at issuing, and validation.

A signing request goes: created with every document prepared (hash and prepared PDF
saved) → ``awaiting_authorization`` → the signer proves a PIN or TOTP code →
``signing`` (the worker asks the provider for all values at once, saves them, then
embeds each into a new document version) → ``completed`` (per-document results) or
``failed``. The saved signature values make a crash harmless: a resumed request embeds
what was signed and never asks the provider twice for an item that has its value; an
item is embedded at most once because embedding checks the item's state and the
document's version under the document's lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import os
import secrets
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from argon2.exceptions import VerifyMismatchError
from asn1crypto import pem, x509
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from backend.audit import service as audit
from backend.auth.service import _verify_password, hash_password, password_hasher
from backend.core.db import atomic, on_commit, session
from backend.core.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    wait_minutes,
)
from backend.core.timeutil import utcnow
from backend.documents import conversions
from backend.documents import service as documents
from backend.documents.models import Document
from backend.notifications import service as notifications
from backend.org.models import Organisation, Role, User
from backend.workflow import service as workflow
from signing import appearance, pades, placement
from signing import report_pdf as report_pdf_module
from signing.errors import PlacementError, SigningError
from signing.pades import Level, SignatureField, Stamp
from signing.validation import validate

from . import passkeys, runtime
from .models import (
    ArchiveState,
    CredentialPurpose,
    ItemState,
    ProviderKind,
    RequestState,
    SigningCredential,
    SigningFactor,
    SigningItem,
    SigningRequest,
    ValidationRecord,
)
from .passkeys import RelyingParty

log = logging.getLogger("trinhky.signatures")
MAX_BATCH = 100
FINISH_THREADS = 4  # documents finished in parallel by the worker
FINISH_WINDOW = 8  # documents in memory at once
EMBED_GROUP = 4  # documents recorded per transaction
WORKER_HOST = socket.gethostname()[:30]
EXPIRY_WARNING_DAYS = 30
LEVELS = [level.value for level in Level]
PDF = "application/pdf"


T = TypeVar("T")


def _locked(model: type[T], ident: int) -> T | None:
    """The row, locked until the commit. FOR UPDATE OF its own table only: PostgreSQL
    refuses to lock the outer-joined rows that eager loading brings along. A document's
    drafter comes along without reloading their memberships (nothing here reads them)."""
    options = (
        [joinedload(Document.created_by).lazyload(User.memberships)] if model is Document else []
    )
    return session().get(model, ident, with_for_update={"of": model}, options=options)


class Locked(ApiError):
    status, code, title = 429, "signing-locked", "Signing locked"


# -- organisation settings -------------------------------------------------------------


def _organisation(actor: User, organisation_id: int, *, admin: bool) -> Organisation:
    org = session().get(Organisation, organisation_id)
    roles = actor.roles_in(organisation_id)
    if org is None or not roles:
        raise NotFound("No such organisation.")
    if admin and Role.ADMIN not in roles:
        raise Forbidden("Only the organisation's administrators may do this.")
    return org


def get_settings(actor: User, organisation_id: int) -> Organisation:
    return _organisation(actor, organisation_id, admin=False)


def update_settings(actor: User, organisation_id: int, changes: dict[str, Any]) -> Organisation:
    with atomic():
        org = _organisation(actor, organisation_id, admin=True)
        for key in ("digital_signing", "signature_level"):
            if key in changes:
                setattr(org, key, changes[key])
        audit.record(
            "signing.settings_changed",
            "organisation",
            org.id,
            actor=actor,
            organisation_id=org.id,
            data=changes,
        )
    return org


# -- credentials -----------------------------------------------------------------------


def _parse_certificates(text: str) -> list[x509.Certificate]:
    data = text.encode()
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        return [x509.Certificate.load(base64.b64decode(text))]
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many kinds
        raise ValidationFailed(
            "The certificate cannot be read (PEM or base64 DER expected).",
            {"certificate": ["Not a certificate."]},
            code="certificate-unreadable",
        ) from exc


def _name(cert: x509.Certificate, which: str) -> str:
    name = getattr(cert, which).native
    return str(name.get("common_name") or name.get("organization_name") or "")


def create_credential(actor: User, data: dict[str, Any]) -> SigningCredential:
    """Register a key (a person's or the agency seal) with its certificate chain. For a
    CSC credential without a certificate the chain is read from the provider."""
    organisation_id = data["organisation_id"]
    purpose = data["purpose"]
    user_id = data.get("user_id")
    if purpose == CredentialPurpose.PERSONAL and user_id is None:
        raise ValidationFailed(
            "A personal credential belongs to a user.", {"user_id": ["Required."]}
        )
    if purpose == CredentialPurpose.SEAL:
        user_id = None
    if data.get("certificate"):
        certs = _parse_certificates(data["certificate"])
    elif data["provider"] == ProviderKind.CSC:
        probe = SigningCredential(provider=ProviderKind.CSC, credential_ref=data["credential_ref"])
        try:
            found = runtime.provider_for(probe).credential(data["credential_ref"])  # type: ignore[attr-defined]
        except SigningError as exc:
            raise Conflict(f"The signing service did not answer: {exc}", code=exc.code) from exc
        certs = [found.certificate, *found.chain]
    else:
        raise ValidationFailed(
            "Give the certificate (PEM, with its chain).", {"certificate": ["Required."]}
        )
    leaf = certs[0]
    _check_credential(data, certs)
    validity = leaf["tbs_certificate"]["validity"]
    with atomic() as s:
        _organisation(actor, organisation_id, admin=True)
        if user_id is not None:
            owner = session().get(User, user_id)
            if owner is None or not owner.roles_in(organisation_id):
                raise ValidationFailed(
                    "The user is not a member of this organisation.", {"user_id": ["Unknown."]}
                )
        for old in s.scalars(
            select(SigningCredential).where(
                SigningCredential.organisation_id == organisation_id,
                SigningCredential.purpose == purpose,
                SigningCredential.user_id.is_(None)
                if user_id is None
                else SigningCredential.user_id == user_id,
                SigningCredential.active.is_(True),
            )
        ):
            old.active = False  # one active key per person and per seal
        row = SigningCredential(
            organisation_id=organisation_id,
            user_id=user_id,
            purpose=purpose,
            provider=data["provider"],
            credential_ref=data["credential_ref"],
            certificate=leaf.dump(),
            chain=[base64.b64encode(c.dump()).decode() for c in certs[1:]],
            subject=_name(leaf, "subject"),
            issuer=_name(leaf, "issuer"),
            serial=str(leaf.serial_number),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            created_by_id=actor.id,
        )
        s.add(row)
        s.flush()
        audit.record(
            "signing.credential_added",
            "signing_credential",
            row.id,
            actor=actor,
            organisation_id=organisation_id,
            data={"purpose": purpose, "user_id": user_id, "provider": row.provider},
        )
    return row


def _check_credential(data: dict[str, Any], certs: list[x509.Certificate]) -> None:
    """Before anything is stored (and before an older key is switched off): the chain
    ends at a configured trust root and is valid today; the key is in the key store (or
    the HSM, or the signing service) and belongs to the certificate."""
    probe = SigningCredential(
        provider=data["provider"],
        credential_ref=data["credential_ref"],
        certificate=certs[0].dump(),
        chain=[base64.b64encode(c.dump()).decode() for c in certs[1:]],
    )
    credential = runtime.credential_of(probe)
    try:
        pades.check_certificate(credential, runtime.trust(credential), fetch=False, moment=utcnow())
    except SigningError as exc:
        raise ValidationFailed(str(exc), {"certificate": [str(exc)]}, code=exc.code) from exc
    try:
        provider = runtime.provider_for(probe)
        if data["provider"] == ProviderKind.CSC:
            held = provider.credential(data["credential_ref"])  # type: ignore[attr-defined]
            if held.certificate.dump() != certs[0].dump():
                raise SigningError(
                    "The signing service holds another certificate for this credential.",
                    code="key-mismatch",
                )
        else:
            pades.check_key(credential, provider)
    except SigningError as exc:
        raise ValidationFailed(str(exc), {"credential_ref": [str(exc)]}, code=exc.code) from exc


def list_credentials(actor: User, organisation_id: int) -> list[SigningCredential]:
    """Admins see the organisation's keys; anyone else their own and the seal."""
    org = _organisation(actor, organisation_id, admin=False)
    query = select(SigningCredential).where(SigningCredential.organisation_id == org.id)
    if Role.ADMIN not in actor.roles_in(org.id):
        query = query.where(
            (SigningCredential.user_id == actor.id) | SigningCredential.user_id.is_(None)
        )
    return list(session().scalars(query.order_by(SigningCredential.id)))


def _credential_for_admin(actor: User, credential_id: int) -> SigningCredential:
    row = session().get(SigningCredential, credential_id)
    if row is None or not actor.roles_in(row.organisation_id):
        raise NotFound("No such credential.")
    if Role.ADMIN not in actor.roles_in(row.organisation_id):
        raise Forbidden("Only the organisation's administrators may do this.")
    return row


def set_image(actor: User, credential_id: int, png: bytes) -> SigningCredential:
    """The signature image (blue) or seal (red), checked against Nghị định 30."""
    with atomic():
        row = _credential_for_admin(actor, credential_id)
        ink = "red" if row.purpose == CredentialPurpose.SEAL else "blue"
        try:
            appearance.check_image(png, ink)
        except SigningError as exc:
            raise ValidationFailed(str(exc), {"image": [str(exc)]}, code=exc.code) from exc
        sha256 = documents.blob_store().put_bytes(png)
        documents._insert_blob_if_missing(sha256, len(png))
        row.image_sha256 = sha256
        audit.record(
            "signing.image_set",
            "signing_credential",
            row.id,
            actor=actor,
            organisation_id=row.organisation_id,
            data={"sha256": sha256},
        )
    return row


def deactivate_credential(actor: User, credential_id: int) -> SigningCredential:
    with atomic():
        row = _credential_for_admin(actor, credential_id)
        row.active = False
        audit.record(
            "signing.credential_deactivated",
            "signing_credential",
            row.id,
            actor=actor,
            organisation_id=row.organisation_id,
        )
    return row


def credential_view(row: SigningCredential) -> dict[str, Any]:
    now = utcnow()
    chain = [x509.Certificate.load(row.certificate)] + [
        x509.Certificate.load(base64.b64decode(c)) for c in row.chain
    ]
    days_left = (row.not_after - now).days
    return {
        "id": row.id,
        "organisation_id": row.organisation_id,
        "user_id": row.user_id,
        "purpose": row.purpose,
        "provider": row.provider,
        "credential_ref": row.credential_ref,
        "subject": row.subject,
        "issuer": row.issuer,
        "serial": row.serial,
        "not_before": row.not_before,
        "not_after": row.not_after,
        "days_left": days_left,
        "expired": row.not_after <= now,
        "expiring_soon": now < row.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS),
        "chain": [{"subject": _name(c, "subject"), "issuer": _name(c, "issuer")} for c in chain],
        "has_image": row.image_sha256 is not None,
        "active": row.active,
    }


def _active_credential(organisation_id: int, user_id: int | None) -> SigningCredential | None:
    purpose = CredentialPurpose.SEAL if user_id is None else CredentialPurpose.PERSONAL
    query = select(SigningCredential).where(
        SigningCredential.organisation_id == organisation_id,
        SigningCredential.purpose == purpose,
        SigningCredential.active.is_(True),
    )
    query = query.where(
        SigningCredential.user_id.is_(None)
        if user_id is None
        else SigningCredential.user_id == user_id
    )
    return session().scalars(query.order_by(SigningCredential.id.desc())).first()


def _usable(row: SigningCredential | None, whose: str) -> SigningCredential:
    if row is None:
        raise Conflict(
            f"No signing key is registered for {whose}; ask the administrator.",
            code="credential-missing",
        )
    now = utcnow()
    if not row.not_before <= now < row.not_after:
        raise Conflict(
            f"The signing certificate of {whose} is not valid now (until "
            f"{row.not_after:%d/%m/%Y}).",
            code="certificate-expired",
        )
    return row


# -- step-up (PIN / TOTP) --------------------------------------------------------------

TOTP_PERIOD, TOTP_DIGITS = 30, 6


def _fernet() -> Fernet:
    key = hashlib.sha256(b"trinhky-totp:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def totp_code(secret_b32: str, step: int) -> str:
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), what authenticator apps compute."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


def _factor(user_id: int) -> SigningFactor:
    s = session()
    row = _locked(SigningFactor, user_id)
    if row is None:
        row = SigningFactor(user_id=user_id, failures=0, totp_last_step=0)
        s.add(row)
        s.flush()
    return row


def _check_password(actor: User, password: str) -> None:
    if not _verify_password(actor, password):
        raise Forbidden("The account password is wrong.", code="wrong-password")


def set_pin(actor: User, password: str, pin: str) -> None:
    """Mã PIN ký số: asked before every signature (or batch)."""
    _check_password(actor, password)
    with atomic():
        factor = _factor(actor.id)
        factor.pin_hash = hash_password(pin)
        factor.failures, factor.locked_until = 0, None
        audit.record("signing.pin_set", "user", actor.id, actor=actor)


def start_totp(actor: User, password: str) -> dict[str, str]:
    _check_password(actor, password)
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    with atomic():
        factor = _factor(actor.id)
        factor.totp_secret = _fernet().encrypt(secret.encode()).decode()
        factor.totp_confirmed = False
        audit.record("signing.totp_started", "user", actor.id, actor=actor)
    label = quote(f"Trình Ký:{actor.username}")
    return {
        "secret": secret,
        "otpauth_uri": f"otpauth://totp/{label}?secret={secret}&issuer=Tr%C3%ACnh%20K%C3%BD",
    }


def _totp_step_matching(factor: SigningFactor, code: str) -> int | None:
    if not factor.totp_secret:
        return None
    try:
        secret = _fernet().decrypt(factor.totp_secret.encode()).decode()
    except InvalidToken:
        return None
    now = int(time.time()) // TOTP_PERIOD
    for step in (now, now - 1, now + 1):  # a phone clock 30 s off still works
        if step > factor.totp_last_step and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def confirm_totp(actor: User, code: str) -> None:
    with atomic():
        factor = _factor(actor.id)
        step = _totp_step_matching(factor, code)
        if step is None:
            raise ValidationFailed(
                "The code does not match; check the phone's clock and try again.",
                {"code": ["Wrong code."]},
                code="wrong-code",
            )
        factor.totp_confirmed, factor.totp_last_step = True, step
        audit.record("signing.totp_enabled", "user", actor.id, actor=actor)


def start_passkey(actor: User, password: str, rp: RelyingParty) -> dict[str, Any]:
    """Options for registering a passkey on this phone (after the account password)."""
    _check_password(actor, password)
    with atomic():
        return passkeys.registration_options(actor, _factor(actor.id), rp)


def add_passkey(actor: User, credential: dict[str, Any], name: str, rp: RelyingParty) -> Any:
    with atomic():
        return passkeys.register(actor, _factor(actor.id), credential, name, rp)


def passkey_options(actor: User, request_id: int, rp: RelyingParty) -> dict[str, Any]:
    """A one-use challenge for confirming this signing request with a passkey."""
    request = get_request(actor, request_id)
    if request.state != RequestState.AWAITING_AUTHORIZATION:
        raise Conflict("This request is not waiting for a confirmation.", code="not-awaiting")
    with atomic():
        request = _locked(SigningRequest, request_id)
        assert request is not None
        challenge, options = passkeys.authentication_options(actor.id, rp)
        request.passkey_challenge = challenge
    return options


def factor_status(actor: User) -> dict[str, Any]:
    factor = session().get(SigningFactor, actor.id)
    credential = None
    for membership in actor.memberships:
        row = _active_credential(membership.organisation_id, actor.id)
        if row is not None:
            credential = credential_view(row)
            break
    locked = factor is not None and factor.locked_until and factor.locked_until > utcnow()
    return {
        "pin_set": bool(factor and factor.pin_hash),
        "totp_enabled": bool(factor and factor.totp_confirmed),
        "passkeys": len(passkeys.list_passkeys(actor)),
        "locked_until": factor.locked_until if locked and factor else None,
        "credential": credential,
    }


def _verify_step_up(
    actor: User,
    method: str,
    code: str,
    *,
    request_id: int | None = None,
    assertion: dict[str, Any] | None = None,
    rp: RelyingParty | None = None,
) -> None:
    """Checked before any provider is called. Failures are committed even though the
    request fails, so the lockout counts every wrong try."""
    s = runtime.settings()
    error: ApiError | None = None
    with atomic():
        factor = _factor(actor.id)
        now = utcnow()
        if factor.locked_until and factor.locked_until > now:
            wait = math.ceil((factor.locked_until - now).total_seconds())
            raise Locked(
                f"Too many wrong codes; signing is locked for {wait_minutes(wait)} minutes.",
                headers={"Retry-After": str(wait)},
            )
        ok = False
        if method == "pin":
            if not factor.pin_hash:
                raise Conflict("Set a signing PIN first.", code="pin-not-set")
            try:
                ok = password_hasher().verify(factor.pin_hash, code)
            except VerifyMismatchError:
                ok = False
        elif method == "passkey":
            request = _locked(SigningRequest, request_id or 0)
            if not passkeys.has_passkeys(actor.id):
                raise Conflict("Register a passkey first.", code="passkey-not-set")
            challenge = request.passkey_challenge if request is not None else None
            if request is not None:
                request.passkey_challenge = None  # one try per challenge
            ok = rp is not None and passkeys.verify_assertion(
                actor.id, challenge, assertion or {}, rp
            )
        else:
            if not factor.totp_confirmed:
                raise Conflict("Set up the authenticator app first.", code="totp-not-set")
            step = _totp_step_matching(factor, code)
            if step is not None:
                ok, factor.totp_last_step = True, step
        if ok:
            factor.failures, factor.locked_until = 0, None
            return
        factor.failures += 1
        left = s.signing_lockout_threshold - factor.failures
        if left <= 0:
            factor.locked_until = now + timedelta(minutes=s.signing_lockout_minutes)
            factor.failures = 0
            audit.record("signing.locked", "user", actor.id, actor=actor)
            error = Locked(
                f"Too many wrong codes; signing is locked for {s.signing_lockout_minutes} minutes.",
                headers={"Retry-After": str(s.signing_lockout_minutes * 60)},
                keep_changes=True,
            )
        else:
            what = {"pin": "PIN", "totp": "code", "passkey": "passkey confirmation"}[method]
            error = Forbidden(
                f"Wrong {what}; {left} tries left.",
                code="wrong-code",
                tries_left=left,
                keep_changes=True,
            )
    raise error


# -- signing requests ------------------------------------------------------------------


@dataclass
class Placement:
    page: int
    x1: float
    y1: float
    x2: float
    y2: float
    unit: str = "pt"  # or "page": fractions of the page, from the bottom-left

    def box(self, pdf: bytes) -> appearance.Box:
        if self.unit == "pt":
            return appearance.Box(self.page, self.x1, self.y1, self.x2, self.y2)
        try:
            width, height = placement.page_size(pdf, self.page)
        except IndexError as exc:
            raise PlacementError(
                f"The document has no page {self.page}.", code="no-such-page"
            ) from exc
        return appearance.Box(
            self.page, self.x1 * width, self.y1 * height, self.x2 * width, self.y2 * height
        )


def _signature_style(credential: SigningCredential, name: str) -> Any:
    if credential.image_sha256:
        png = documents.blob_store().path(credential.image_sha256).read_bytes()
        return appearance.image_style(png)
    return appearance.text_style([name], font_size=11)  # no image uploaded yet


def _fail_item(item: SigningItem, code: str, reason: str) -> None:
    item.state, item.code, item.reason = ItemState.FAILED, code, reason
    item.finished_at = utcnow()


def _prepare_item(
    actor: User,
    request: SigningRequest,
    credential: SigningCredential,
    document_id: int,
    placement_override: Placement | None,
    signing_time: datetime,
) -> SigningItem:
    """Check the document and compute its hash (everything but the signature value)."""
    document = documents.get_document(actor, document_id)  # 404 for what one cannot see
    item = SigningItem(document_id=document_id, base_version=document.current_version)
    item.warnings = []
    if document.organisation_id != request.organisation_id:
        _fail_item(item, "other-organisation", "Sign one organisation's documents at a time.")
        return item
    try:
        acting = workflow.signing_assignment(actor, document)
    except ApiError as exc:
        _fail_item(item, exc.code, exc.detail)
        return item
    busy = session().scalar(
        select(SigningItem.id)
        .join(SigningRequest)
        .where(
            SigningItem.document_id == document.id,
            SigningItem.state.in_((ItemState.PREPARED, ItemState.SIGNED)),
            SigningRequest.state.in_((RequestState.AWAITING_AUTHORIZATION, RequestState.SIGNING)),
        )
    )
    if busy is not None:
        _fail_item(item, "already-signing", "Another signing request holds this document.")
        return item
    item.assignment_id = acting.assignment.id
    file, path = documents.main_file(document)
    pdf = path.read_bytes()
    try:
        override = placement_override.box(pdf) if placement_override is not None else None
        box = placement.signature_box(pdf, actor.full_name, override)
        signature_field = SignatureField(
            f"ChuKy_{actor.id}_{request.id}",
            box,
            _signature_style(credential, actor.full_name),
            reason="Ký ban hành" if acting.delegation is None else "Ký thừa ủy quyền",
        )
        prepared = pades.prepare(
            pdf,
            runtime.credential_of(credential),
            signature_field,
            level=Level(request.level),
            signing_time=signing_time,
        )
    except PlacementError as exc:
        # the name is not printed: the app asks where to sign, the rest of a batch goes on
        code = "needs-position" if exc.code == "signer-name-not-found" else exc.code
        _fail_item(item, code, str(exc))
        return item
    except SigningError as exc:
        _fail_item(item, exc.code, str(exc))
        return item
    sha256 = documents.blob_store().put_bytes(prepared.pdf)
    documents._insert_blob_if_missing(sha256, len(prepared.pdf))
    item.prepared_sha256 = sha256
    item.prepared_state = prepared.state.decode()
    item.digest = base64.b64encode(prepared.digest).decode()
    item.state = ItemState.PREPARED
    return item


def create_request(
    actor: User, document_ids: list[int], placements: dict[int, Placement] | None = None
) -> SigningRequest:
    """Ký: prepare every document (up to 100) for the caller's signature. A document whose
    text does not contain the signer's printed name needs a position (``placements``);
    without one its item fails with ``needs-position`` and the others are signed."""
    ids = list(dict.fromkeys(document_ids))
    placements = placements or {}
    if not 1 <= len(ids) <= MAX_BATCH:
        raise ValidationFailed(
            f"Sign between 1 and {MAX_BATCH} documents at once.",
            {"document_ids": [f"1 to {MAX_BATCH} documents."]},
        )
    if not set(placements) <= set(ids):
        raise ValidationFailed(
            "A position was given for a document that is not in the request.",
            {"placements": ["Only for the documents being signed."]},
        )
    first = documents.get_document(actor, ids[0])
    org = session().get(Organisation, first.organisation_id)
    assert org is not None
    if not org.digital_signing:
        raise Conflict(
            "This organisation records signing decisions without digital signatures.",
            code="digital-signing-off",
        )
    credential = _usable(_active_credential(org.id, actor.id), actor.full_name)
    _check_not_revoked(credential)
    signing_time = utcnow()
    with atomic() as s:
        request = SigningRequest(
            organisation_id=org.id,
            user_id=actor.id,
            credential_id=credential.id,
            level=org.signature_level,
            state=RequestState.AWAITING_AUTHORIZATION,
            expires_at=signing_time + timedelta(minutes=runtime.settings().signing_request_minutes),
            attempts=0,
        )
        s.add(request)
        s.flush()
        for document_id in ids:
            request.items.append(
                _prepare_item(
                    actor,
                    request,
                    credential,
                    document_id,
                    placements.get(document_id),
                    signing_time,
                )
            )
        s.flush()
        if all(i.state == ItemState.FAILED for i in request.items):
            reasons = "; ".join(f"#{i.document_id}: {i.reason}" for i in request.items)
            raise Conflict(
                f"Nothing can be signed: {reasons}",
                code="nothing-to-sign",
                items=[
                    {"document_id": i.document_id, "code": i.code, "reason": i.reason}
                    for i in request.items
                ],
            )
        audit.record(
            "signing.requested",
            "signing_request",
            request.id,
            actor=actor,
            organisation_id=org.id,
            data={"documents": ids, "level": request.level},
        )
    return request


def _check_not_revoked(row: SigningCredential) -> None:
    """Ask OCSP/CRL before preparing anything: a revoked key signs nothing. When the
    responder cannot be reached the signing goes on (the level may end lower)."""
    credential = runtime.credential_of(row)
    try:
        pades.check_certificate(
            credential, runtime.trust(credential), hard_fail=False, moment=utcnow()
        )
    except SigningError as exc:
        raise Conflict(f"The signing certificate cannot be used: {exc}", code=exc.code) from exc


def get_request(actor: User, request_id: int) -> SigningRequest:
    request = session().get(SigningRequest, request_id)
    if request is None or request.user_id != actor.id:
        raise NotFound("No such signing request.")
    _expire_if_due(request)
    return request


def _expire_if_due(request: SigningRequest) -> None:
    if request.state == RequestState.AWAITING_AUTHORIZATION and request.expires_at <= utcnow():
        with atomic():
            request = _locked(SigningRequest, request.id)
            if request and request.state == RequestState.AWAITING_AUTHORIZATION:
                _finish_request(request, RequestState.FAILED, "Not authorized in time.")
                for item in request.items:
                    if item.state == ItemState.PREPARED:
                        _fail_item(item, "expired", "Not authorized in time.")


def authorize(
    actor: User,
    request_id: int,
    method: str,
    code: str,
    *,
    assertion: dict[str, Any] | None = None,
    rp: RelyingParty | None = None,
) -> SigningRequest:
    """Xác nhận ký: the step-up check, then the worker signs."""
    request = get_request(actor, request_id)
    if request.state != RequestState.AWAITING_AUTHORIZATION:
        if request.state == RequestState.FAILED:
            raise Conflict(f"This request has failed: {request.reason}", code="request-failed")
        if request.state != RequestState.SIGNING:
            raise Conflict(
                f"This request has already finished ({request.state}); nothing to confirm.",
                code="request-finished",
                current_state=request.state,
            )
        return request  # being signed: a retried tap changes nothing
    _verify_step_up(actor, method, code, request_id=request_id, assertion=assertion, rp=rp)
    with atomic():
        request = _locked(SigningRequest, request_id)
        assert request is not None
        if request.state != RequestState.AWAITING_AUTHORIZATION:
            return request
        request.state = RequestState.SIGNING
        request.authorized_at = utcnow()
        request.authorized_with = method
        # the queue's reservation: if no worker has taken it by then, it is handed out again
        request.lease_until, request.lease_holder = request.authorized_at + _lease(), None
        audit.record(
            "signing.authorized",
            "signing_request",
            request.id,
            actor=actor,
            organisation_id=request.organisation_id,
            data={"method": method, "documents": [i.document_id for i in request.items]},
        )
        _enqueue(request.id)
    return request


def _enqueue(request_id: int) -> None:
    def send() -> None:
        current_app.extensions["tasks"].sign_request(request_id)

    on_commit(send)


def _lease() -> timedelta:
    return timedelta(seconds=runtime.settings().signing_lease_seconds)


def _finish_request(request: SigningRequest, state: str, reason: str = "") -> None:
    request.state, request.reason = state, reason
    request.finished_at = utcnow()
    request.lease_until = request.lease_holder = None


class _Heartbeat:
    """Renews a worker's lease on a request every third of the lease, from a thread of
    its own, while the worker signs and embeds. If the process dies the renewals stop,
    the lease runs out, and the watcher hands the request to another worker."""

    def __init__(self, request_id: int, holder: str) -> None:
        self.request_id, self.holder = request_id, holder
        self.app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{request_id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        period = self.app.extensions["settings"].signing_lease_seconds / 3
        while not self.stop.wait(period):
            try:
                with self.app.app_context(), atomic() as s:
                    s.execute(
                        update(SigningRequest)
                        .where(
                            SigningRequest.id == self.request_id,
                            SigningRequest.lease_holder == self.holder,
                        )
                        .values(lease_until=utcnow() + _lease())
                    )
            except Exception:  # a busy database: the next beat tries again
                log.exception("signing request %s: lease renewal failed", self.request_id)


def run_request(request_id: int) -> str:
    """The worker's part: take the lease, get the signature values (one provider call for
    all items still without one), save them, then embed them. Safe to run again after a
    crash, and a no-op while another live worker holds the request."""
    holder = f"{WORKER_HOST}:{os.getpid()}:{secrets.token_hex(4)}"
    with atomic():
        request = _locked(SigningRequest, request_id)
        if request is None or request.state != RequestState.SIGNING:
            return request.state if request else "missing"
        now = utcnow()
        if request.lease_holder and request.lease_until and request.lease_until > now:
            return "busy"  # a live worker has it
        request.lease_holder, request.lease_until = holder, now + _lease()
        request.started_at = now
        request.attempts += 1
    with _Heartbeat(request_id, holder):
        if not _sign_waiting(request):
            return request.state
        _embed_all(request_id)
        with atomic():
            request = _locked(SigningRequest, request_id)
            assert request is not None
            _close(request)
    return request.state


def _sign_waiting(request: SigningRequest) -> bool:
    """One provider call for the items without a value; the values are saved before any
    embedding. False when the provider failed (the request is closed)."""
    waiting = [i for i in request.items if i.state == ItemState.PREPARED]
    if not waiting:
        return True
    credential_row = request.credential
    try:
        values = runtime.provider_for(credential_row).sign_digests(
            runtime.credential_of(credential_row), [base64.b64decode(i.digest) for i in waiting]
        )
    except Exception as exc:  # noqa: BLE001 - provider down, refused, HSM error
        log.warning("signing request %s: provider failed: %s", request.id, exc)
        code = getattr(exc, "code", "provider-failed")
        with atomic():
            locked = _locked(SigningRequest, request.id)
            assert locked is not None
            for item in locked.items:
                if item.state == ItemState.PREPARED:
                    _fail_item(item, code, f"The signing service failed: {exc}"[:500])
            _close(locked)
        return False
    with atomic():
        for item, value in zip(waiting, values, strict=True):
            row = _locked(SigningItem, item.id)
            if row is not None and row.state == ItemState.PREPARED:
                row.signature_value = base64.b64encode(value).decode()
                row.state = ItemState.SIGNED
    return True


def _close(request: SigningRequest) -> None:
    if any(i.state in (ItemState.PREPARED, ItemState.SIGNED) for i in request.items):
        return  # something is left for a resumed run
    done = [i for i in request.items if i.state == ItemState.COMPLETED]
    if done:
        _finish_request(request, RequestState.COMPLETED)
    else:
        reasons = "; ".join(sorted({i.reason for i in request.items}))
        _finish_request(request, RequestState.FAILED, reasons[:1000])
    signer = session().get(User, request.user_id)
    if signer is not None:
        failed = len(request.items) - len(done)
        notifications.notify(
            [request.user_id],
            "signing.finished",
            f"Đã ký {len(done)}/{len(request.items)} văn bản"
            + (f", {failed} lỗi" if failed else ""),
            body=request.reason,
        )


@dataclass
class _Finished:
    item_id: int
    signed: documents.StoredBytes | None = None
    outcome: pades.Outcome | None = None
    error: SigningError | OSError | None = None


def _embed_all(request_id: int) -> None:
    """Finish every signed item in a few threads (their timestamp and revocation round
    trips overlap; each thread also writes its signed PDF to the store) while this
    thread records the finished ones, EMBED_GROUP documents per transaction, in order. At
    most FINISH_WINDOW documents are in flight at once (large PDFs)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    request = session().get(SigningRequest, request_id)
    assert request is not None
    credential = runtime.credential_of(request.credential)
    trust = runtime.trust(credential)
    store = documents.blob_store()
    items = [i for i in request.items if i.state == ItemState.SIGNED]

    def finish(item_id: int, state: bytes, path: Any, value: bytes) -> _Finished:
        try:
            signed, outcome = pades.finish(state, path.read_bytes(), value, trust)
            return _Finished(item_id, documents.StoredBytes.put(store, signed), outcome)
        except (SigningError, OSError) as exc:
            return _Finished(item_id, error=exc)

    with ThreadPoolExecutor(max_workers=FINISH_THREADS) as pool:
        pending: deque[Future[_Finished]] = deque()
        for item in items:
            pending.append(
                pool.submit(
                    finish,
                    item.id,
                    item.prepared_state.encode(),
                    store.path(item.prepared_sha256 or ""),
                    base64.b64decode(item.signature_value or ""),
                )
            )
            if len(pending) >= FINISH_WINDOW:
                _store_group(request_id, [pending.popleft().result() for _ in range(EMBED_GROUP)])
        while pending:
            group = [pending.popleft().result() for _ in range(min(EMBED_GROUP, len(pending)))]
            _store_group(request_id, group)


def _store_group(request_id: int, group: list[_Finished]) -> None:
    """Record several finished documents in one transaction; if one of them is refused
    (its step changed meanwhile), record each on its own so the others still land."""
    for failed in (f for f in group if f.error is not None):
        _record_item_failure(
            failed.item_id, getattr(failed.error, "code", "embed-failed"), str(failed.error)
        )
    done = [f for f in group if f.error is None]
    if not done:
        return
    request = session().get(SigningRequest, request_id)
    assert request is not None
    actor = session().get(User, request.user_id)
    assert actor is not None
    try:
        with atomic():
            for finished in done:
                _embed(request, actor, finished)
        return
    except ApiError:
        pass
    for finished in done:
        try:
            with atomic():
                _embed(request, actor, finished)
        except ApiError as exc:
            _record_item_failure(finished.item_id, exc.code, exc.detail)


def _record_item_failure(item_id: int, code: str, reason: str) -> None:
    with atomic():
        row = _locked(SigningItem, item_id)
        if row is not None and row.state == ItemState.SIGNED:
            _fail_item(row, code, reason[:500])


def _embed(request: SigningRequest, actor: User, finished: _Finished) -> None:
    """Store one signed PDF as the document's new version and complete the sign step
    (inside the caller's transaction)."""
    assert finished.signed is not None and finished.outcome is not None
    outcome = finished.outcome
    row = _locked(SigningItem, finished.item_id)
    if row is None or row.state != ItemState.SIGNED:
        return  # another run embedded it (or gave up on it) meanwhile
    document = _locked(Document, row.document_id)
    if document is None or document.current_version != row.base_version:
        _fail_item(
            row, "document-changed", "The document changed after it was prepared; sign it again."
        )
        return
    # signing adds no page: the version keeps the main file's page count
    version = documents.add_signed_version(
        document, actor, finished.signed, f"Ký số ({outcome.achieved})", None
    )
    track_archive(document, version.number, [outcome.archive_until])
    workflow.complete_signature(
        actor,
        document,
        row.assignment_id or 0,
        {
            "version": version.number,
            "level": str(outcome.achieved),
            "requested_level": str(outcome.requested),
            "signing_request": request.id,
        },
    )
    row.state = ItemState.COMPLETED
    row.result_version = version.number
    row.level_achieved = str(outcome.achieved)
    row.warnings = outcome.warnings
    row.finished_at = utcnow()


def _died_here(holder: str | None) -> bool:
    """A holder on this machine whose process is gone (the worker was killed and has just
    been restarted): no need to wait for its lease to run out."""
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != WORKER_HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def resume_stale() -> int:
    """Requests whose worker died (its lease ran out) or whose queued task was lost (the
    queue's reservation ran out): hand them to the queue again, with a new reservation,
    so each is picked up once. Also expires requests nobody authorized. The worker runs
    this every second (and the sweep every minute)."""
    now = utcnow()
    with atomic() as s:
        held = s.execute(
            select(SigningRequest.id, SigningRequest.lease_holder, SigningRequest.lease_until)
            .where(SigningRequest.state == RequestState.SIGNING)
            .with_for_update(skip_locked=True)
        ).all()
        ids = [
            request_id
            for request_id, holder, until in held
            if until is None or until < now or _died_here(holder)
        ]
        if ids:
            s.execute(
                update(SigningRequest)
                .where(SigningRequest.id.in_(ids))
                .values(lease_holder=None, lease_until=now + _lease())
            )
            for request_id in ids:
                _enqueue(request_id)
    for request in s.scalars(
        select(SigningRequest).where(
            SigningRequest.state == RequestState.AWAITING_AUTHORIZATION,
            SigningRequest.expires_at <= now,
        )
    ):
        _expire_if_due(request)
    return len(ids)


def request_view(request: SigningRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "state": request.state,
        "reason": request.reason,
        "level": request.level,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "authorized_at": request.authorized_at,
        "finished_at": request.finished_at,
        "items": [
            {
                "document_id": i.document_id,
                "state": i.state,
                "code": i.code,
                "reason": i.reason,
                "version": i.result_version,
                "level_achieved": i.level_achieved,
                "warnings": i.warnings or [],
            }
            for i in request.items
        ],
    }


# -- the agency seal at issuing ----------------------------------------------------------


def _issue_stamps(pdf: bytes, number_symbol: str, issued_at: datetime) -> list[Stamp]:
    """The number and the date written over the blanks of the draft's header; where the
    draft has no such blanks, both at the top right of page 1 (nothing is covered)."""
    number_box, date_box = placement.issue_boxes(pdf)
    stamps: list[Stamp] = []
    if number_box is not None:
        stamps.append(Stamp("SoKyHieu", number_box, [f"Số: {number_symbol}"]))
    if date_box is not None:
        stamps.append(Stamp("NgayBanHanh", date_box, [appearance.issue_date_text(issued_at)]))
    if number_box is None or date_box is None:
        width, height = placement.page_size(pdf)
        stamps.append(
            Stamp(
                "BanHanh",
                appearance.top_right_box(width, height),
                [number_symbol, appearance.iso_vn(issued_at)],
                font_size=10,
            )
        )
    return stamps


def seal_at_issue(actor: User, document: Document, number_symbol: str, issued_at: datetime) -> None:
    """Văn thư ban hành: write the number and date over the draft's blanks and apply
    the agency seal, overlapping the left third of the leader's signature, in one
    incremental revision (the leader's signature stays valid); the seal locks the
    document, so nothing that the pages show can change afterwards. Every attachment gets
    the agency's signature too (top right of page 1, number/symbol and time) — an office
    attachment through its PDF copy made by the converter, the original staying attached
    unsigned. One provider call for all of them. Runs inside the issue transaction with
    the document locked."""
    credential_row = _usable(_active_credential(document.organisation_id, None), "the agency seal")
    current = documents.current_files(document)
    # office attachments are signed through their PDF copies (409 while one is missing)
    attachments = conversions.require_attachment_pdfs(document, current)
    main = next(f for f in current if f.kind == "main")
    store = documents.blob_store()
    pdf = store.path(main.blob_sha256).read_bytes()
    leader_box = _last_signature_box(pdf)
    seal_png = (
        store.path(credential_row.image_sha256).read_bytes()
        if credential_row.image_sha256
        else None
    )
    if leader_box is not None and seal_png is not None:
        box = appearance.seal_box(leader_box, seal_png)
        style = appearance.image_style(seal_png)
    else:
        box, style = None, None  # no visible signature to overlap: an invisible seal
    org = session().get(Organisation, document.organisation_id)
    assert org is not None
    level = Level(org.signature_level)
    credential = runtime.credential_of(credential_row)
    try:
        prepared = [
            pades.prepare(
                pdf,
                credential,
                SignatureField(
                    f"DauCoQuan_{document.current_version}",
                    box,
                    style,
                    reason="Ban hành",
                    lock_document=True,
                ),
                level=level,
                signing_time=issued_at,
                stamps=_issue_stamps(pdf, number_symbol, issued_at),
            )
        ]
        for file in attachments:
            data = store.path(file.blob_sha256).read_bytes()
            width, height = placement.page_size(data)
            prepared.append(
                pades.prepare(
                    data,
                    credential,
                    SignatureField(
                        "KyTepDinhKem",
                        appearance.top_right_box(width, height),
                        appearance.text_style([number_symbol, appearance.iso_vn(issued_at)]),
                        reason=f"Tệp đính kèm văn bản {number_symbol}",
                        lock_document=True,
                    ),
                    level=level,
                    signing_time=issued_at,
                )
            )
        values = runtime.provider_for(credential_row).sign_digests(
            credential, [p.digest for p in prepared]
        )
        results = pades.finish_many(
            [(p.state, p.pdf, v) for p, v in zip(prepared, values, strict=True)],
            runtime.trust(credential),
        )
    except SigningError as exc:
        raise Conflict(f"The agency seal could not be applied: {exc}", code=exc.code) from exc
    failed = next((r for r in results if isinstance(r, SigningError)), None)
    if failed is not None:
        raise Conflict(f"The agency seal could not be applied: {failed}", code=failed.code)
    finished = [r for r in results if not isinstance(r, SigningError)]
    (signed_main, outcome), *signed_attachments = finished
    version = documents.add_signed_version(
        document,
        actor,
        signed_main,
        f"Ban hành {number_symbol}, đóng dấu số ({outcome.achieved})",
        main.page_count,
        {f.id: data for f, (data, _) in zip(attachments, signed_attachments, strict=True)},
    )
    track_archive(document, version.number, [o.archive_until for _, o in finished])


def track_archive(document: Document, version: int, expiries: list[datetime | None]) -> None:
    """Remember until when the newest archive timestamps of the document's current files
    can be verified (their TSA certificates' expiry); nothing below B-LTA."""
    known = [e for e in expiries if e is not None]
    if not known:
        return  # a stale state (the level was lowered) is dropped by the next renewal run
    state = session().get(ArchiveState, document.id)
    if state is None:
        state = ArchiveState(document_id=document.id, failures=0, last_error="")
        session().add(state)
    state.version, state.tsa_expires_at = version, min(known)


def renew_archives() -> int:
    """Gia hạn lưu trữ (the worker, daily): every document whose newest archive timestamp
    can be verified for less than ARCHIVE_RENEWAL_MARGIN_DAYS more gets a fresh one,
    with the validation data of the old one, as a new version. Returns how many."""
    margin = timedelta(days=runtime.settings().archive_renewal_margin_days)
    due = list(
        session().scalars(
            select(ArchiveState.document_id)
            .where(ArchiveState.tsa_expires_at < utcnow() + margin)
            .order_by(ArchiveState.tsa_expires_at)
        )
    )
    renewed = 0
    for document_id in due:
        try:
            renewed += _renew_archive(document_id, margin)
        except SigningError as exc:  # TSA or OCSP down: try again tomorrow, visibly
            log.warning("archive renewal of document %s failed: %s", document_id, exc)
            with atomic():
                state = _locked(ArchiveState, document_id)
                if state is not None:
                    state.failures += 1
                    state.last_error = str(exc)[:1000]
    return renewed


def _renew_archive(document_id: int, margin: timedelta) -> int:
    with atomic():
        document = _locked(Document, document_id)
        state = _locked(ArchiveState, document_id)
        if document is None or state is None:
            return 0
        store = documents.blob_store()
        trust = runtime.trust()
        current = [f for f in documents.current_files(document) if f.content_type == PDF]
        renewed: dict[int, bytes] = {}
        old_expiry = state.tsa_expires_at
        for file in current:
            pdf = store.path(file.blob_sha256).read_bytes()
            expiry = pades.newest_archive_expiry(pdf)
            if expiry is not None and expiry < utcnow() + margin:
                renewed[file.id] = pades.renew_archive_timestamp(pdf, trust)
        if not renewed:
            session().delete(state)  # nothing is B-LTA any more: forget it
            return 0
        main = next(f for f in current if f.kind == "main")
        version = documents.add_signed_version(
            document,
            None,
            renewed.pop(main.id, store.path(main.blob_sha256).read_bytes()),
            "Gia hạn lưu trữ: dấu thời gian mới, trước khi chứng thư của dấu thời gian cũ "
            f"hết hạn ({old_expiry.astimezone(appearance.VN):%d/%m/%Y})",
            main.page_count,
            renewed,
        )
        track_archive(
            document,
            version.number,
            [
                pades.newest_archive_expiry(store.path(f.blob_sha256).read_bytes())
                for f in documents.current_files(document)
                if f.content_type == PDF
            ],
        )
        state = session().get(ArchiveState, document_id)
        if state is not None:
            state.renewed_at, state.failures, state.last_error = utcnow(), 0, ""
        audit.record(
            "signing.archive_renewed",
            "document",
            document.id,
            organisation_id=document.organisation_id,
            data={
                "version": version.number,
                "previous_tsa_expiry": old_expiry.isoformat(),
                "tsa_expiry": state.tsa_expires_at.isoformat() if state else None,
            },
        )
    return 1


def _last_signature_box(pdf: bytes) -> appearance.Box | None:
    """The rectangle of the document's last visible, signed signature widget."""
    import io

    from pypdf import PdfReader

    found = None
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            field = annot.get("/Parent", annot).get_object() if "/FT" not in annot else annot
            if field.get("/FT") != "/Sig" or "/V" not in field:
                continue
            x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
            if x2 - x1 > 1 and y2 - y1 > 1:
                found = appearance.Box(index + 1, x1, y1, x2, y2)
    return found


# -- validation ------------------------------------------------------------------------


def validate_pdf(pdf: bytes) -> dict[str, Any]:
    try:
        return validate(pdf, runtime.trust_roots()).to_dict()
    except SigningError as exc:
        raise ValidationFailed(str(exc), {"file": [str(exc)]}, code=exc.code) from exc


def validate_version(actor: User, document_id: int, version: int | None) -> ValidationRecord:
    """Kiểm tra chữ ký of a stored version (the current one by default)."""
    document = documents.get_document(actor, document_id)
    number = version or document.current_version
    files = [
        f
        for v in documents.list_versions(actor, document_id)
        if v.number == number
        for f in v.files
        if f.kind == "main"
    ]
    if not files:
        raise NotFound(f"The document has no version {number}.", code="no-such-version")
    file = files[0]
    report = validate_pdf(documents.blob_store().path(file.blob_sha256).read_bytes())
    with atomic() as s:
        record = ValidationRecord(
            document_id=document.id,
            version=number,
            blob_sha256=file.blob_sha256,
            ok=bool(report["ok"]),
            signature_count=len(report["signatures"]),
            report=report,
            checked_at=utcnow(),
        )
        s.add(record)
    return record


def latest_validation(actor: User, document_id: int) -> ValidationRecord:
    """The last check of the current version; checked now if there is none."""
    document = documents.get_document(actor, document_id)
    record = (
        session()
        .scalars(
            select(ValidationRecord)
            .where(
                ValidationRecord.document_id == document.id,
                ValidationRecord.version == document.current_version,
            )
            .order_by(ValidationRecord.id.desc())
        )
        .first()
    )
    return record or validate_version(actor, document_id, None)


def report_pdf(actor: User, document_id: int, version: int | None) -> tuple[bytes, str]:
    """Biên bản kiểm tra chữ ký số: the last report of a version as a one-page PDF in
    Vietnamese, for the archive. Returns (bytes, file name)."""
    record = (
        latest_validation(actor, document_id)
        if version is None
        else validate_version(actor, document_id, version)
    )
    document = documents.get_document(actor, document_id)
    org = session().get(Organisation, document.organisation_id)
    main = next(
        f
        for v in documents.list_versions(actor, document_id)
        if v.number == record.version
        for f in v.files
        if f.kind == "main"
    )
    subject = report_pdf_module.Subject(
        agency=org.name if org else "",
        title=document.subject,
        number_symbol=document.number_symbol,
        version=record.version,
        filename=main.filename,
        sha256=record.blob_sha256,
        checked_at=record.checked_at,
        trust_roots=[root.subject.native.get("common_name", "") for root in runtime.trust_roots()],
    )
    name = f"kiem-tra-chu-ky-{document.id}-v{record.version}.pdf"
    return report_pdf_module.render(record.report, subject), name


def check_incoming(document: Document) -> dict[str, Any]:
    """The signatures of an incoming document's main file (before registering it)."""
    _file, path = documents.main_file(document)
    return validate_pdf(path.read_bytes())


def record_validation(document: Document, report: dict[str, Any]) -> None:
    """Keep the report with the document (inside the caller's transaction)."""
    file, _path = documents.main_file(document)
    session().add(
        ValidationRecord(
            document_id=document.id,
            version=document.current_version,
            blob_sha256=file.blob_sha256,
            ok=bool(report["ok"]),
            signature_count=len(report["signatures"]),
            report=report,
            checked_at=utcnow(),
        )
    )
