"""Writing notifications with the change that causes them, and reading them back.
Delivery (Web Push) is the worker's job; nothing is sent from inside a request."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from backend.core.db import atomic, session
from backend.core.errors import NotFound
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import utcnow
from backend.org.models import User

from .models import Notification


def notify(
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    *,
    document_id: int | None = None,
    urgent: bool = False,
    exclude: int | None = None,
) -> list[Notification]:
    """Call inside the service's ``atomic()`` block: the rows commit with the change."""
    s = session()
    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            title=title[:200],
            body=body,
            document_id=document_id,
            urgent=urgent,
        )
        for user_id in dict.fromkeys(user_ids)
        if user_id != exclude
    ]
    s.add_all(rows)
    return rows


def list_notifications(actor: User, *, unread_only: bool, cursor: str | None, limit: int) -> Page:
    query = select(Notification).where(Notification.user_id == actor.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    after = decode_cursor(cursor, 1)
    if after:
        query = query.where(Notification.id < int(after[0]))
    rows = list(session().scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].id]) if more and rows else None)


def unread_count(actor: User) -> int:
    return session().scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    )


def mark_read(actor: User, notification_id: int) -> Notification:
    with atomic() as s:
        notification = s.get(Notification, notification_id)
        if notification is None or notification.user_id != actor.id:
            raise NotFound("No such notification.")
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(actor: User) -> int:
    with atomic() as s:
        result = s.execute(
            update(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return result.rowcount
