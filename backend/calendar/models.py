"""Lịch công tác: the agency's weekly schedule of meetings and events, with their chair,
participants and the documents to bring."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow
from backend.org.models import User


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"  # hoãn / hủy: kept in the week, shown as cancelled


class CalendarEvent(Base):
    __tablename__ = "calendar_events"
    # the week view: an organisation's events by start time
    __table_args__ = (Index("ix_calendar_events_org_start", "organisation_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(500))  # nội dung
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(255), default="")  # địa điểm
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # chủ trì
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=EventStatus.SCHEDULED)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    participants: Mapped[list[CalendarParticipant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CalendarParticipant.id"
    )
    documents: Mapped[list[CalendarDocument]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CalendarDocument.id"
    )

    @property
    def etag(self) -> str:
        return f'"e{self.id}-{self.row_version}"'

    @property
    def participant_ids(self) -> list[int]:
        return [p.user_id for p in self.participants]


class CalendarParticipant(Base):
    __tablename__ = "calendar_participants"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("calendar_events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    user: Mapped[User] = relationship(lazy="joined")


class CalendarDocument(Base):
    __tablename__ = "calendar_documents"
    __table_args__ = (UniqueConstraint("event_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("calendar_events.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
