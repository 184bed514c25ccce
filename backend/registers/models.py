"""Registers (sổ văn bản đi / sổ văn bản đến) and their yearly number series."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class Series(StrEnum):
    NORMAL = "normal"
    SECRET = "secret"  # noqa: S105 - văn bản mật: a series of its own


class RegisterCounter(Base):
    """The last number taken in one series; locked while the next one is taken, in the
    same transaction as the registration, so numbers have no gaps and no duplicates."""

    __tablename__ = "register_counters"
    __table_args__ = (UniqueConstraint("organisation_id", "direction", "year", "series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    direction: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(12))
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(Base):
    """One line of a register, with the legal columns (STANDARDS.md)."""

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("organisation_id", "direction", "year", "series", "number"),
        Index("ix_register_entries_symbol", "organisation_id", "direction", "number_symbol"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    direction: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(12), default=Series.NORMAL)
    number: Mapped[int] = mapped_column(Integer)  # outgoing: số; incoming: số đến
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number_symbol: Mapped[str] = mapped_column(String(60))  # outgoing: ours; incoming: sender's
    document_date: Mapped[date] = mapped_column(Date)  # ngày tháng văn bản
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(255), default="")  # người ký
    recipients: Mapped[str] = mapped_column(Text, default="")  # nơi nhận / đơn vị nhận
    archive_unit: Mapped[str] = mapped_column(String(255), default="")  # đơn vị lưu bản
    copies: Mapped[int | None] = mapped_column(Integer)  # số lượng bản
    sender_name: Mapped[str] = mapped_column(String(255), default="")  # tác giả (incoming)
    sender_code: Mapped[str] = mapped_column(String(13), default="")
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ngày chuyển
    note: Mapped[str] = mapped_column(Text, default="")
