"""Documents, their immutable versions and files, the content-addressed blobs behind the
files, and the people who have a role in each document."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
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
from backend.org.models import DocumentType, Unit, User


class Direction(StrEnum):
    OUTGOING = "outgoing"  # văn bản đi (drafts included)
    INCOMING = "incoming"  # văn bản đến


class Urgency(StrEnum):
    """Độ khẩn, lowest to highest."""

    NORMAL = "normal"
    KHAN = "khan"  # Khẩn
    THUONG_KHAN = "thuong_khan"  # Thượng khẩn
    HOA_TOC = "hoa_toc"  # Hỏa tốc


URGENCY_RANK = {u: i for i, u in enumerate(Urgency)}
URGENCY_LABELS = {
    Urgency.NORMAL: "Thường",
    Urgency.KHAN: "Khẩn",
    Urgency.THUONG_KHAN: "Thượng khẩn",
    Urgency.HOA_TOC: "Hỏa tốc",
}


class DocumentStatus(StrEnum):
    DRAFT = "draft"  # dự thảo: the drafter edits it
    IN_REVIEW = "in_review"  # trình: on its route
    RETURNED = "returned"  # trả lại: back with the drafter
    SIGNED = "signed"  # đã ký: waiting for the clerk
    APPROVED = "approved"  # route done, nothing to issue
    ISSUED = "issued"  # đã ban hành: numbered
    REGISTERED = "registered"  # incoming, in the register
    REFUSED = "refused"  # incoming, refused by the clerk (with the reason)
    WITHDRAWN = "withdrawn"  # incoming, recalled or replaced by its sender (exchange)


class Secrecy(StrEnum):
    """Độ mật, lowest to highest. Anything but NORMAL is visible to named participants only."""

    NORMAL = "normal"
    MAT = "mat"  # Mật
    TOI_MAT = "toi_mat"  # Tối mật
    TUYET_MAT = "tuyet_mat"  # Tuyệt mật


class ParticipantRole(StrEnum):
    DRAFTER = "drafter"
    WATCHER = "watcher"  # theo dõi
    REVIEWER = "reviewer"
    SIGNER = "signer"
    CLERK = "clerk"
    RECIPIENT = "recipient"
    DELEGATE = "delegate"  # acted under a delegation (ủy quyền)


class Blob(Base):
    """Bytes stored once under var/blobs by their SHA-256."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_org_created", "organisation_id", "created_at", "id"),
        # the listing's order: newest first, across the caller's organisations
        Index("ix_documents_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    direction: Mapped[str] = mapped_column(String(12), default=Direction.OUTGOING)
    document_type_id: Mapped[int] = mapped_column(ForeignKey("document_types.id"))
    subject: Mapped[str] = mapped_column(String(500))  # trích yếu
    urgency: Mapped[str] = mapped_column(String(16), default=Urgency.NORMAL)
    secrecy: Mapped[str] = mapped_column(String(16), default=Secrecy.NORMAL)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default=DocumentStatus.DRAFT)
    urgency_rank: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    number_symbol: Mapped[str | None] = mapped_column(String(60))  # số, ký hiệu: 15/QĐ-UBND
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    document_type: Mapped[DocumentType] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number"
    )
    participants: Mapped[list[DocumentParticipant]] = relationship(
        back_populates="document", lazy="selectin"
    )

    @property
    def etag(self) -> str:
        return f'"d{self.id}-{self.row_version}"'

    def set_urgency(self, urgency: str) -> None:
        self.urgency = urgency
        self.urgency_rank = URGENCY_RANK[Urgency(urgency)]

    @property
    def is_secret(self) -> bool:
        return self.secrecy != Secrecy.NORMAL


class DocumentVersion(Base):
    """A version is never changed once written; a new upload makes a new version."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    # None: made by the system itself (a renewed archive timestamp), not by a person
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    files: Mapped[list[DocumentFile]] = relationship(
        back_populates="version", order_by="DocumentFile.position", lazy="selectin"
    )


class DocumentFile(Base):
    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    # main (the PDF that is reviewed and signed) | attachment | source (the Word/ODF file
    # a main PDF is converted from: the draft's editable original)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int | None] = mapped_column(Integer)
    # a PDF made by the converter from this version's office file (main or attachment)
    source_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_files.id", ondelete="SET NULL")
    )

    version: Mapped[DocumentVersion] = relationship(back_populates="files")


class DocumentParticipant(Base):
    __tablename__ = "document_participants"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id", "role"),
        # "my documents as drafter / watcher": the role narrows it before any row is read
        Index("ix_document_participants_user_role", "user_id", "role", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="participants")
