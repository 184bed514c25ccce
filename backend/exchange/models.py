"""Exchange between agencies: the directory of organisations and how each is reached,
what we send (one delivery per recipient, its status history, the outbox the worker
empties), what we receive (raw messages fetched from the axis, the clerk's queue of
received documents, the sender's requests to recall or change them)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class Reach(StrEnum):
    INSTALLATION = "installation"  # another organisation of this database
    AXIS = "axis"  # over the national axis (VXP)


class Channel(StrEnum):
    INSTALLATION = "installation"
    AXIS = "axis"
    UNIT = "unit"  # an internal unit of the sending organisation


class TransportState(StrEnum):
    PENDING = "pending"  # waiting for the worker (or its next retry)
    SENT = "sent"  # handed over (the axis took it / the receiver's queue has it)
    FAILED = "failed"  # kept failing, or refused by the axis: shown to the clerk


class ReceivedState(StrEnum):
    WAITING = "waiting"  # chờ tiếp nhận: in the clerk's queue
    REGISTERED = "registered"  # vào sổ (03)
    REFUSED = "refused"  # từ chối (02) by the clerk
    REJECTED = "rejected"  # refused on arrival: the package could not be accepted (02)
    WITHDRAWN = "withdrawn"  # recalled or replaced with the clerk's consent (15)
    CHANGE = "change"  # an update package: it waits as a change request, not in the queue


class ChangeKind(StrEnum):
    RECALL = "recall"  # 13 / BussinessDocType 1
    UPDATE = "update"  # BussinessDocType 2
    REPLACE = "replace"  # BussinessDocType 3


class ChangeState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # 15
    REFUSED = "refused"  # 16


class DirectoryEntry(Base):
    """An organisation of the directory: its codes (both forms), parent, how it is
    reached, and the contact details edXML carries in From/To."""

    __tablename__ = "exchange_directory"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)  # QCVN 102: 000.00.00.H41
    code_qd20: Mapped[str | None] = mapped_column(String(35), unique=True)  # QĐ 20/2020
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_directory.id"))
    reach: Mapped[str] = mapped_column(String(16))
    # reached in this installation: the organisation (tenant) it is
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), unique=True)
    place: Mapped[str] = mapped_column(String(100), default="")  # địa danh: "Nghệ An"
    address: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    telephone: Mapped[str] = mapped_column(String(50), default="")
    fax: Mapped[str] = mapped_column(String(50), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[DirectoryEntry | None] = relationship(remote_side=[id], lazy="joined")


class Delivery(Base):
    """One recipient of an issued document: how it is reached, where the transport
    stands, and the latest status the recipient sent back."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (
        UniqueConstraint("document_id", "recipient_id"),
        UniqueConstraint("document_id", "unit_id"),
        Index("ix_exchange_deliveries_org", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_directory.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    recipient_code: Mapped[str] = mapped_column(String(35), default="")
    recipient_name: Mapped[str] = mapped_column(String(255))
    # edXML DocumentId of what was sent (statuses answer for it)
    edxml_document_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    transport_state: Mapped[str] = mapped_column(String(12), default=TransportState.PENDING)
    last_error: Mapped[str] = mapped_column(Text, default="")
    status_code: Mapped[str | None] = mapped_column(String(2))
    status_description: Mapped[str] = mapped_column(Text, default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DeliveryEvent(Base):
    """The history of a delivery: transport steps and every status received."""

    __tablename__ = "exchange_delivery_events"
    __table_args__ = (Index("ix_exchange_delivery_events_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_deliveries.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(12))  # status | sent | failed | requested
    status_code: Mapped[str | None] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(String(255), default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the receiver's time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """Something to hand to the transport after the commit: a document package or a
    status packet. The worker empties it most urgent first, with retries and backoff;
    ``dedupe_key`` makes each send happen once (a resend is a new, explicit key)."""

    __tablename__ = "exchange_outbox"
    __table_args__ = (Index("ix_exchange_outbox_due", "state", "urgency_rank", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # edoc | status
    channel: Mapped[str] = mapped_column(String(16))  # axis | installation
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_deliveries.id", ondelete="CASCADE"), index=True
    )
    received_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_received.id", ondelete="CASCADE"), index=True
    )
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[str | None] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text, default="")
    from_code: Mapped[str] = mapped_column(String(35), default="")
    to_code: Mapped[str] = mapped_column(String(35), default="")
    # status packets are built when written: they answer for a moment in time
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgency_rank: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default=TransportState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    remote_id: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """A message fetched from the axis, kept as it came (nothing received is lost): the
    poll stores it, acknowledges it, and ingests it into the queue."""

    __tablename__ = "exchange_inbound"
    __table_args__ = (
        UniqueConstraint("transport", "remote_id", "to_code"),
        Index("ix_exchange_inbound_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transport: Mapped[str] = mapped_column(String(16))
    remote_id: Mapped[str] = mapped_column(String(100))
    message_type: Mapped[str] = mapped_column(String(8))  # edoc | status
    from_code: Mapped[str] = mapped_column(String(35), default="")
    to_code: Mapped[str] = mapped_column(String(35), default="")
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12), default="fetched")  # fetched|done|rejected
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReceivedDocument(Base):
    """A document that came to one of our organisations — from the axis or from another
    organisation of this installation: the clerk's "Văn bản đến chờ tiếp nhận" queue and
    what became of each item. The incoming document itself (``document_id``) carries the
    files; this row carries what the sender said about it."""

    __tablename__ = "exchange_received"
    __table_args__ = (
        Index("ix_exchange_received_queue", "organisation_id", "state", "urgency_rank", "id"),
        Index(
            "ix_exchange_received_sender", "organisation_id", "sender_code", "sender_document_id"
        ),
        # duplicate alerts: same sender, same number/symbol
        Index("ix_exchange_received_number", "organisation_id", "sender_code", "number_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_inbound.id", ondelete="SET NULL"), unique=True
    )
    # inside the installation: the sender's delivery (statuses are applied to it directly)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchange_deliveries.id", ondelete="SET NULL"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(12), default=ReceivedState.WAITING)
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    business_reason: Mapped[str] = mapped_column(Text, default="")
    sender_code: Mapped[str] = mapped_column(String(35), default="")
    sender_name: Mapped[str] = mapped_column(String(255), default="")
    sender: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # From, as sent
    sender_document_id: Mapped[str] = mapped_column(String(200), default="")
    number_symbol: Mapped[str] = mapped_column(String(60), default="")
    number_key: Mapped[str] = mapped_column(String(60), default="")  # upper case, no spaces
    document_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(100), default="")
    type_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    signer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    urgency_rank: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    signatures_ok: Mapped[bool | None] = mapped_column(Boolean)
    validation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_received.id"))
    duplicate_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")  # of a refusal or rejection
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChangeRequest(Base):
    """The sender asks to recall (13) or sends an update or a replacement of a document
    we received; our clerk accepts (15) or refuses (16) with a reason."""

    __tablename__ = "exchange_change_requests"
    __table_args__ = (Index("ix_exchange_changes_target", "received_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    received_id: Mapped[int] = mapped_column(ForeignKey("exchange_received.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    # the package with the new content (update, replacement)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_received.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default=ChangeState.PENDING)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
