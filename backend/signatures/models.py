"""Digital signatures: signing credentials (chữ ký số of a person, or the agency seal),
the signer's step-up factors, and signing requests (two-phase jobs, one item per
document)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class CredentialPurpose(StrEnum):
    PERSONAL = "personal"  # a leader's own signature
    SEAL = "seal"  # the agency's (con dấu), applied by the clerk at issuing


class ProviderKind(StrEnum):
    PKCS12 = "pkcs12"  # a key file on the server (development, an agency seal)
    PKCS11 = "pkcs11"  # an HSM
    CSC = "csc"  # a remote signing service (Cloud Signature Consortium API v1)


class SigningCredential(Base):
    __tablename__ = "signing_credentials"
    __table_args__ = (Index("ix_signing_credentials_owner", "organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None for the seal
    purpose: Mapped[str] = mapped_column(String(12))
    provider: Mapped[str] = mapped_column(String(12))
    credential_ref: Mapped[str] = mapped_column(String(255))  # key file, HSM label, CSC id
    certificate: Mapped[bytes] = mapped_column(LargeBinary)  # DER
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)  # base64 DER, issuer first
    subject: Mapped[str] = mapped_column(String(255))
    issuer: Mapped[str] = mapped_column(String(255))
    serial: Mapped[str] = mapped_column(String(80))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningFactor(Base):
    """What a signer proves before any provider is called (step-up): a signing PIN
    and/or a TOTP authenticator; failures count towards a lockout."""

    __tablename__ = "signing_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # encrypted (Fernet)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)  # no code used twice
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a passkey being registered: the challenge the browser must sign, and until when
    passkey_challenge: Mapped[str | None] = mapped_column(String(128))
    passkey_challenge_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SigningPasskey(Base):
    """A WebAuthn passkey (khóa truy cập: the phone's fingerprint, face or screen lock)
    that can confirm a signing request instead of the PIN."""

    __tablename__ = "signing_passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RequestState(StrEnum):
    AWAITING_AUTHORIZATION = "awaiting_authorization"
    SIGNING = "signing"
    COMPLETED = "completed"  # every item finished (some may have failed: see items)
    FAILED = "failed"  # nothing was signed (expired, provider refused, …)


class ItemState(StrEnum):
    PREPARED = "prepared"  # hash computed and saved, waiting for the signature value
    SIGNED = "signed"  # the provider's value is saved; embedding is what remains
    COMPLETED = "completed"  # a new document version holds the signature
    FAILED = "failed"


class SigningRequest(Base):
    __tablename__ = "signing_requests"
    __table_args__ = (Index("ix_signing_requests_state", "state", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("signing_credentials.id"))
    level: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24), default=RequestState.AWAITING_AUTHORIZATION)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authorized_with: Mapped[str | None] = mapped_column(String(8))  # pin | totp | passkey
    passkey_challenge: Mapped[str | None] = mapped_column(String(128))  # base64url, one use
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker's lease, renewed while it works (heartbeat); past it, another worker
    # resumes the request. Without a holder it is the queue's: a run is owed by then.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_holder: Mapped[str | None] = mapped_column(String(64))  # host:pid:token
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[SigningItem]] = relationship(
        back_populates="request", order_by="SigningItem.id", cascade="all, delete-orphan"
    )
    credential: Mapped[SigningCredential] = relationship(lazy="joined")


class SigningItem(Base):
    __tablename__ = "signing_items"
    __table_args__ = (Index("ix_signing_items_document", "document_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("signing_requests.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    base_version: Mapped[int] = mapped_column(Integer)  # the version that was prepared
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("step_assignments.id"))
    state: Mapped[str] = mapped_column(String(12), default=ItemState.PREPARED)
    reason: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(40), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")  # base64 SHA-256
    prepared_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    prepared_state: Mapped[str] = mapped_column(Text, default="")
    signature_value: Mapped[str | None] = mapped_column(Text)  # base64, saved before embedding
    result_version: Mapped[int | None] = mapped_column(Integer)
    level_achieved: Mapped[str | None] = mapped_column(String(8))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[SigningRequest] = relationship(back_populates="items")


class ValidationRecord(Base):
    """The last validation report of a stored file (kiểm tra chữ ký): shown with the
    document, refreshed on demand."""

    __tablename__ = "signature_validations"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    ok: Mapped[bool] = mapped_column(Boolean)
    signature_count: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict] = mapped_column(JSON)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchiveState(Base):
    """Lưu trữ dài hạn: until when the newest archive timestamp of a document's current
    files can be verified (its TSA certificate's expiry). A periodic task adds a fresh
    document timestamp before that moment."""

    __tablename__ = "archive_states"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    tsa_expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
