"""Notifications by e-mail when push does not reach the person, and for the kinds they
always want by e-mail.

A notification goes by e-mail (once: its message is keyed by the notification) when
- its kind is one the person always wants by e-mail (``always_kinds``), or
- the person has no push subscription (push skipped it, and not because they muted it),
  or push to every subscription failed, or
- it is urgent (Hỏa tốc, Thượng khẩn, an overdue reminder) and push has not delivered it
  within ``MAIL_PUSH_FALLBACK_MINUTES``.
The worker checks right after each push delivery, and the minute's sweep looks at the
last day's notifications for what the first look could not know yet (the urgent ones
still waiting, a worker that died in between).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import atomic, session
from backend.core.errors import ValidationFailed
from backend.core.timeutil import utcnow
from backend.documents.models import Document, Secrecy
from backend.notifications.models import (
    Notification,
    NotificationPreference,
    PushState,
    PushSubscription,
)
from backend.notifications.service import KINDS
from backend.org.models import User

from . import service
from .models import MailKind, MailMessage, MailPreference
from .templates import Section, document_link, render

log = logging.getLogger("trinhky.mail")
WINDOW = timedelta(days=1)


def preferences(user: User) -> MailPreference:
    prefs = session().get(MailPreference, user.id)
    return prefs or MailPreference(user_id=user.id, always_kinds=[], digest=True)


def update_preferences(user: User, data: dict[str, Any]) -> MailPreference:
    unknown = set(data.get("always_kinds", [])) - set(KINDS)
    if unknown:
        raise ValidationFailed(
            "Unknown notification kinds.", {"always_kinds": [", ".join(sorted(unknown))]}
        )
    with atomic() as s:
        prefs = s.get(MailPreference, user.id)
        if prefs is None:
            prefs = MailPreference(user_id=user.id, always_kinds=[], digest=True)
            s.add(prefs)
        if "always_kinds" in data:
            prefs.always_kinds = sorted(set(data["always_kinds"]))
        if "digest" in data:
            prefs.digest = bool(data["digest"])
    return prefs


def _reason(
    n: Notification,
    always: set[str],
    muted: set[str],
    has_subscription: bool,
    now: Any,
    wait: timedelta,
) -> str | None:
    if n.kind in always:
        return "always"
    if n.push_state == PushState.FAILED:
        return "push-failed"
    if n.push_state == PushState.SKIPPED and not has_subscription and n.kind not in muted:
        return "no-push"
    if n.urgent and n.push_state != PushState.SENT and n.created_at <= now - wait:
        return "urgent-undelivered"
    return None


def check(ids: list[int]) -> int:
    """Write the e-mails these notifications call for; returns how many."""
    if not ids or not service.enabled():
        return 0
    s = session()
    config = service.settings()
    now = utcnow()
    wait = timedelta(minutes=config.mail_push_fallback_minutes)
    rows = s.execute(
        select(Notification, User, Document.secrecy)
        .join(User, User.id == Notification.user_id)
        .outerjoin(Document, Document.id == Notification.document_id)
        .where(
            Notification.id.in_(ids),
            User.email.is_not(None),
            User.active.is_(True),
            ~select(MailMessage.id).where(MailMessage.notification_id == Notification.id).exists(),
        )
    ).all()
    if not rows:
        return 0
    users = {user.id for _, user, _ in rows}
    always = {
        p.user_id: set(p.always_kinds or [])
        for p in s.scalars(select(MailPreference).where(MailPreference.user_id.in_(users)))
    }
    muted = {
        p.user_id: set(p.muted_kinds or [])
        for p in s.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(users))
        )
    }
    subscribed = set(
        s.scalars(
            select(PushSubscription.user_id)
            .where(PushSubscription.user_id.in_(users))
            .group_by(PushSubscription.user_id)
        )
    )
    due = [
        (n, user, secrecy, reason)
        for n, user, secrecy in rows
        if (
            reason := _reason(
                n,
                always.get(user.id, set()),
                muted.get(user.id, set()),
                user.id in subscribed,
                now,
                wait,
            )
        )
    ]
    s.commit()  # only reads: the rows stay loaded
    written = 0
    for n, user, secrecy, reason in due:
        try:
            with atomic():
                written += _write(n, user, secrecy, reason, config.app_url) is not None
        except IntegrityError:  # another worker wrote this very message a moment ago
            session().rollback()
    return written


def _write(n: Notification, user: User, secrecy: str | None, reason: str, app_url: str) -> Any:
    secret = secrecy is not None and secrecy != Secrecy.NORMAL
    link = document_link(app_url, n.document_id) if n.document_id else f"{app_url}/notifications"
    if secret:  # nothing of a secret document in a message: that something waits, the link
        subject = "Trình Ký: có văn bản mật cần anh/chị xử lý"
        lines = [("Mở Trình Ký để xem (văn bản mật không được gửi qua thư).", link)]
    else:
        subject = f"Trình Ký: {n.title}"
        lines = [(n.title, link)] + ([(n.body, None)] if n.body else [])
    urgent = "Khẩn — " if n.urgent else ""
    text, html = render(
        f"Kính gửi {user.full_name},",
        f"{urgent}Anh/chị có thông báo mới trên Trình Ký:",
        [Section("", lines)],
        _why(reason),
    )
    return service.write(
        kind=MailKind.NOTIFICATION,
        dedupe_key=f"n:{n.id}",
        subject=subject,
        text=text,
        html=html,
        recipients=[service.Recipient(user.email or "", user.full_name, user.id)],
        organisation_id=_organisation_of(user),
        document_id=n.document_id,
        notification_id=n.id,
    )


def _why(reason: str) -> str:
    return {
        "always": "Anh/chị đã chọn nhận loại thông báo này qua thư điện tử.",
        "no-push": "Thiết bị của anh/chị chưa bật nhận thông báo đẩy, nên thông báo được gửi "
        "qua thư điện tử.",
        "push-failed": "Không gửi được thông báo đẩy tới thiết bị của anh/chị.",
        "urgent-undelivered": "Thông báo khẩn chưa đến được thiết bị của anh/chị.",
    }[reason]


def _organisation_of(user: User) -> int | None:
    return next((m.organisation_id for m in user.memberships), None)


def sweep(batch: int = 1000) -> int:
    """The last day's notifications that may need an e-mail and have none yet."""
    if not service.enabled():
        return 0
    now = utcnow()
    wait = timedelta(minutes=service.settings().mail_push_fallback_minutes)
    ids = list(
        session().scalars(
            select(Notification.id)
            .where(
                Notification.created_at >= now - WINDOW,
                or_(
                    Notification.push_state.in_((PushState.SKIPPED, PushState.FAILED)),
                    Notification.urgent.is_(True)
                    & (Notification.push_state != PushState.SENT)
                    & (Notification.created_at <= now - wait),
                    # people with mail preferences: some kinds may be always by e-mail
                    Notification.user_id.in_(select(MailPreference.user_id)),
                ),
                ~select(MailMessage.id)
                .where(MailMessage.notification_id == Notification.id)
                .exists(),
            )
            .order_by(Notification.id)
            .limit(batch)
        )
    )
    session().rollback()
    return check(ids)
