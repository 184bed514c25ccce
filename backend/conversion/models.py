"""A conversion job: one office file of a document version to be turned into a PDF by the
worker. Written in the transaction that stores the file; the PDF is added to the same
version when it is done, or the job says why it failed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class ConversionState(StrEnum):
    PENDING = "pending"  # waiting for a converter
    RUNNING = "running"  # a converter has it (until lease_until)
    DONE = "done"  # the PDF is in the version
    FAILED = "failed"  # with a code and a reason


OPEN_STATES = (ConversionState.PENDING, ConversionState.RUNNING)


class FileConversion(Base):
    __tablename__ = "file_conversions"
    __table_args__ = (Index("ix_file_conversions_due", "state", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    # the office file (the draft's editable source, or an attachment); one job per file
    source_file_id: Mapped[int] = mapped_column(
        ForeignKey("document_files.id", ondelete="CASCADE"), unique=True
    )
    target_kind: Mapped[str] = mapped_column(String(16))  # main | attachment
    state: Mapped[str] = mapped_column(String(12), default=ConversionState.PENDING)
    code: Mapped[str] = mapped_column(String(40), default="")  # why it failed
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str | None] = mapped_column(String(60))  # host:pid of the worker
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_files.id", ondelete="SET NULL")
    )
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
