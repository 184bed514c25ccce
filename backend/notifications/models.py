"""In-app notifications (thông báo). Each row is written in the same transaction as the
change that causes it; the worker delivers it as Web Push later."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow


class PushState(StrEnum):
    PENDING = "pending"
    SENT = "sent"  # every subscription answered (delivered, gone, or refused for good)
    SKIPPED = "skipped"  # muted kind, or no subscription
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Web Push delivery: pending until every subscription of the user got it (or gave up)
    push_state: Mapped[str] = mapped_column(
        String(12), default=PushState.PENDING, server_default="pending"
    )
    push_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The sweep looks for what was committed but never delivered.
Index("ix_notifications_push_pending", Notification.push_state, Notification.push_not_before)


class PushSubscription(Base):
    """A browser's push endpoint, bound to the device (phone) that created it."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushDelivery(Base):
    """One notification to one subscription: makes redelivery after a crash idempotent."""

    __tablename__ = "push_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    # kept (NULL) when the subscription goes away: the log says it was "gone"
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(Base):
    """What a user wants pushed, and when not (giờ yên lặng). Urgent ones always pass."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00", Vietnam time
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # "06:30"


class Reminder(Base):
    """A deadline reminder that was sent, so it is never sent twice."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("document_id", "user_id", "kind", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | overdue
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
