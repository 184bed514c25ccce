"""Notifications: written with the change that causes them, read in the in-app centre,
delivered as Web Push by the worker (at least once per device; the Topic header folds a
redelivered message into the undelivered one), deadline reminders.

Nothing is sent from inside a request: ``notify`` only writes rows and, once the
transaction has committed, enqueues their delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.core.db import atomic, on_commit, session
from backend.core.errors import NotFound, ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import VN_TZ, to_vn, utcnow
from backend.documents.models import URGENCY_RANK, Document, DocumentStatus, Urgency
from backend.org.models import User

from . import push
from .models import (
    Notification,
    NotificationPreference,
    PushDelivery,
    PushState,
    PushSubscription,
    Reminder,
)

PUSH_TTL = 2 * 24 * 3600
PUSH_URGENCY = {"hoa_toc": "high", "thuong_khan": "high", "khan": "normal", "normal": "normal"}
MAX_BODY = 600  # keeps the encrypted payload well under the 4 KB push limit
SWEEP_GRACE = timedelta(seconds=20)  # leave just-committed rows to their own enqueue
# A delivery is claimed for this long before it is sent; a worker that died holding it
# lets another send it afterwards. Nothing is sent on a claim about to run out.
CLAIM_LEASE = timedelta(minutes=2)
SEND_TIMEOUT = 10.0  # seconds per request to a push service (one reconnect at most)
KINDS = [
    "step.review",
    "step.consult",
    "step.sign",
    "step.issue",
    "document.returned",
    "document.instruction",
    "document.completed",
    "consult.replied",
    "deadline.due_soon",
    "deadline.overdue",
    "delegation.started",
    "delegation.ended",
    "signing.finished",
    "incoming.to_instruct",
    "calendar.invited",
    "calendar.changed",
    "calendar.cancelled",
    "assignment.assigned",
    "assignment.progress",
    "assignment.extension_requested",
    "assignment.extension_decided",
    "assignment.completed",
    "assignment.due_soon",
    "assignment.overdue",
    "assignment.withdrawn",
    "exchange.received",
    "exchange.refused",
    "exchange.status",
    "exchange.failed",
    "exchange.change_requested",
]


def notify(
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    *,
    document_id: int | None = None,
    urgency: str = Urgency.NORMAL,
    urgent: bool | None = None,
    exclude: int | None = None,
) -> list[Notification]:
    """Call inside the service's ``atomic()`` block: the rows commit with the change, and
    their push delivery is enqueued after the commit."""
    s = session()
    is_urgent = urgent if urgent is not None else URGENCY_RANK[Urgency(urgency)] >= 2
    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            title=title[:200],
            body=body,
            document_id=document_id,
            urgent=is_urgent,
            urgency=urgency,
            push_state=PushState.PENDING,
        )
        for user_id in dict.fromkeys(user_ids)
        if user_id != exclude
    ]
    if not rows:
        return rows
    s.add_all(rows)
    s.flush()
    ids = [n.id for n in rows]
    on_commit(lambda: enqueue(ids))
    return rows


def enqueue(ids: list[int]) -> None:
    current_app.extensions["tasks"].deliver_notifications(ids)


# -- the in-app centre -------------------------------------------------------------------


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


# -- subscriptions and preferences ----------------------------------------------------------


def _sender() -> push.PushSender:
    ext = current_app.extensions
    if "push_sender" not in ext:
        settings = ext["settings"]
        vapid = push.load_vapid(settings.vapid_private_key, settings.var_dir)
        ext["push_sender"] = push.PushSender(
            vapid, settings.vapid_subject, pool_size=settings.push_concurrency * 2
        )
    return ext["push_sender"]


def vapid_public_key() -> str:
    return push.application_server_key(_sender().vapid)


def subscribe(actor: User, device_id: int, data: dict[str, Any]) -> PushSubscription:
    """Register this device's push endpoint (replacing the device's previous one)."""
    endpoint = data["endpoint"]
    if not endpoint.startswith("https://") and current_app.extensions["settings"].is_production:
        raise ValidationFailed("Push endpoints use HTTPS.", {"endpoint": ["Not HTTPS."]})
    with atomic() as s:
        existing = s.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
        s.execute(
            delete(PushSubscription).where(
                PushSubscription.device_id == device_id, PushSubscription.endpoint != endpoint
            )
        )
        if existing is None:
            existing = PushSubscription(endpoint=endpoint)
            s.add(existing)
        # the same browser may have been used by someone else before: it is now this device's
        existing.user_id, existing.device_id = actor.id, device_id
        existing.p256dh, existing.auth = data["keys"]["p256dh"], data["keys"]["auth"]
        s.flush()
    return existing


def list_subscriptions(actor: User) -> list[PushSubscription]:
    return list(
        session().scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == actor.id)
            .order_by(PushSubscription.id)
        )
    )


def unsubscribe(actor: User, subscription_id: int) -> None:
    with atomic() as s:
        subscription = s.get(PushSubscription, subscription_id)
        if subscription is None or subscription.user_id != actor.id:
            raise NotFound("No such push subscription.")
        s.delete(subscription)


def forget_device(device_id: int) -> None:
    """A revoked device gets no more pushes (inside the revoking transaction)."""
    session().execute(delete(PushSubscription).where(PushSubscription.device_id == device_id))


def get_preferences(actor: User) -> NotificationPreference:
    prefs = session().get(NotificationPreference, actor.id)
    return prefs or NotificationPreference(user_id=actor.id, muted_kinds=[])


def update_preferences(actor: User, data: dict[str, Any]) -> NotificationPreference:
    if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
        raise ValidationFailed(
            "Quiet hours need a start and an end.", {"quiet_end": ["Give both or neither."]}
        )
    unknown = set(data.get("muted_kinds", [])) - set(KINDS)
    if unknown:
        raise ValidationFailed(
            "Unknown notification kinds.", {"muted_kinds": [", ".join(sorted(unknown))]}
        )
    with atomic() as s:
        prefs = s.get(NotificationPreference, actor.id)
        if prefs is None:
            prefs = NotificationPreference(user_id=actor.id, muted_kinds=[])
            s.add(prefs)
        prefs.muted_kinds = sorted(set(data.get("muted_kinds", [])))
        prefs.quiet_start = data.get("quiet_start") or None
        prefs.quiet_end = data.get("quiet_end") or None
    return prefs


def _quiet_until(prefs: NotificationPreference | None, now: datetime) -> datetime | None:
    """When quiet hours are on now, the moment they end (UTC); else None."""
    if prefs is None or not prefs.quiet_start or not prefs.quiet_end:
        return None
    local = to_vn(now)
    start = time.fromisoformat(prefs.quiet_start)
    end = time.fromisoformat(prefs.quiet_end)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=VN_TZ).astimezone(UTC)


# -- delivery (worker) --------------------------------------------------------------------


def _payload(n: Notification) -> bytes:
    body = n.body if len(n.body) <= MAX_BODY else n.body[: MAX_BODY - 1] + "…"
    return json.dumps(
        {
            "id": n.id,
            "kind": n.kind,
            "title": n.title,
            "body": body,
            "document_id": n.document_id,
            "url": f"/documents/{n.document_id}" if n.document_id else "/notifications",
            "urgency": n.urgency,
            "urgent": n.urgent,
        },
        ensure_ascii=False,
    ).encode()


def _backoff(attempts: int) -> float:
    return float(min(5 * 2**attempts, 3600))


@dataclass
class _Job:
    """One claimed delivery: what to send, and what the claim knew of it."""

    delivery_id: int
    attempts: int
    subscription_id: int
    subscription: dict
    payload: bytes
    urgency: str
    topic: str


def _insert_missing(rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT of the deliveries not yet known; rows another worker inserted
    meanwhile are left as they are (the unique (notification, subscription) pair)."""
    s = session()
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    s.execute(dialect_insert(PushDelivery).on_conflict_do_nothing(), rows)


def deliver(ids: list[int]) -> int:
    """Push these notifications to every subscription of their users. Once per device:
    each delivery is claimed before it is sent (row locks skipped by other workers on
    PostgreSQL; SQLite's write lock makes the claim atomic), so the task, a scheduled
    retry and the sweep running at the same moment never send it twice; a claim whose
    worker died expires after ``CLAIM_LEASE``. What must wait (quiet hours, Retry-After,
    backoff) keeps ``push_not_before`` for the sweep. Returns messages sent."""
    s = session()
    settings = current_app.extensions["settings"]
    now = utcnow()
    jobs: list[_Job] = []
    with atomic():
        due = list(
            s.scalars(
                select(Notification).where(
                    Notification.id.in_(ids), Notification.push_state == PushState.PENDING
                )
            )
        )
        users = {n.user_id for n in due}
        prefs = {
            p.user_id: p
            for p in s.scalars(
                select(NotificationPreference).where(NotificationPreference.user_id.in_(users))
            )
        }
        subscriptions: dict[int, list[PushSubscription]] = {}
        for sub in s.scalars(select(PushSubscription).where(PushSubscription.user_id.in_(users))):
            subscriptions.setdefault(sub.user_id, []).append(sub)
        targets: dict[tuple[int, int], tuple[PushSubscription, Notification]] = {}
        for n in due:
            if n.push_not_before and n.push_not_before > now:
                continue
            pref = prefs.get(n.user_id)
            if pref and n.kind in (pref.muted_kinds or []):
                n.push_state = PushState.SKIPPED
                continue
            quiet_end = None if n.urgent else _quiet_until(pref, now)
            if quiet_end:
                n.push_not_before = quiet_end
                continue
            subs = subscriptions.get(n.user_id, [])
            if not subs:
                n.push_state = PushState.SKIPPED
                continue
            for sub in subs:
                targets[(n.id, sub.id)] = (sub, n)
        if targets:
            _insert_missing(
                [
                    {
                        "notification_id": nid,
                        "subscription_id": sid,
                        "status": "pending",
                        "attempts": 0,
                        "updated_at": now,
                    }
                    for nid, sid in targets
                ]
            )
            claimable = s.execute(
                select(
                    PushDelivery.id,
                    PushDelivery.notification_id,
                    PushDelivery.subscription_id,
                    PushDelivery.attempts,
                )
                .where(
                    PushDelivery.notification_id.in_({nid for nid, _ in targets}),
                    # "sending" here is a claim whose lease ran out: its worker died
                    PushDelivery.status.in_(("pending", "retry", "sending")),
                    or_(
                        PushDelivery.next_attempt_at.is_(None), PushDelivery.next_attempt_at <= now
                    ),
                )
                .with_for_update(skip_locked=True)
            ).all()
            lease_end = now + CLAIM_LEASE
            claims = []
            for row in claimable:
                target = targets.get((row.notification_id, row.subscription_id))
                if target is None:
                    continue
                sub, n = target
                claims.append(
                    {
                        "id": row.id,
                        "status": "sending",
                        "next_attempt_at": lease_end,
                        "updated_at": now,
                    }
                )
                jobs.append(
                    _Job(
                        row.id,
                        row.attempts,
                        sub.id,
                        {
                            "endpoint": sub.endpoint,
                            "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
                        },
                        _payload(n),
                        PUSH_URGENCY[n.urgency],
                        f"n{n.id}",
                    )
                )
            if claims:  # one executemany UPDATE by primary key
                s.execute(update(PushDelivery), claims)
    if not due:
        return 0

    sender = _sender()
    # Never send on a claim about to expire (another worker may take it over then).
    send_until = monotonic() + CLAIM_LEASE.total_seconds() - 2 * SEND_TIMEOUT - 10

    def send(job: _Job) -> push.PushResult | None:
        if monotonic() > send_until:
            return None
        return sender.send(
            job.subscription,
            job.payload,
            ttl=PUSH_TTL,
            urgency=job.urgency,
            topic=job.topic,
            timeout=SEND_TIMEOUT,
        )

    # The network part runs outside any transaction, many messages at a time.
    if jobs:
        with ThreadPoolExecutor(max_workers=settings.push_concurrency) as pool:
            results = list(pool.map(send, jobs))
    else:
        results = []

    sent = 0
    retry_delays: list[float] = []
    with atomic():
        now = utcnow()
        delivered_to: list[int] = []
        gone: list[int] = []
        changes: list[dict[str, Any]] = []
        for job, result in zip(jobs, results, strict=True):
            change: dict[str, Any] = {
                "id": job.delivery_id,
                "subscription_id": job.subscription_id,
                "updated_at": now,
                "next_attempt_at": None,
            }
            changes.append(change)
            if result is None:  # not sent: handed back, due at once
                change.update(status="retry" if job.attempts else "pending", next_attempt_at=now)
                continue
            attempts = job.attempts + 1
            change.update(attempts=attempts, last_status=result.status, last_error=result.error)
            status = result.status
            if status is not None and 200 <= status < 300:
                change["status"] = "sent"
                delivered_to.append(job.subscription_id)
                sent += 1
            elif status in (404, 410):  # the browser unsubscribed: forget it
                change.update(status="gone", subscription_id=None)
                gone.append(job.subscription_id)
            elif status is None or status == 429 or status >= 500:
                if attempts >= settings.push_max_attempts:
                    change["status"] = "failed"
                else:
                    delay = max(result.retry_after or 0.0, _backoff(attempts))
                    change.update(status="retry", next_attempt_at=now + timedelta(seconds=delay))
                    retry_delays.append(delay)
            else:  # 400, 403, 413…: the message or our key is wrong; retrying will not help
                change["status"] = "failed"
        for keys in {frozenset(c) for c in changes}:  # executemany needs the same columns
            s.execute(update(PushDelivery), [c for c in changes if frozenset(c) == keys])
        if delivered_to:
            s.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(set(delivered_to)))
                .values(last_success_at=now)
            )
        if gone:
            s.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        # Settle from what the database holds now: another worker may have sent some.
        pending = s.scalars(
            select(Notification)
            .where(
                Notification.id.in_([n.id for n in due]),
                Notification.push_state == PushState.PENDING,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        by_notification: dict[int, list[PushDelivery]] = {}
        for d in s.scalars(
            select(PushDelivery)
            .where(PushDelivery.notification_id.in_([n.id for n in pending]))
            .execution_options(populate_existing=True)
        ):
            by_notification.setdefault(d.notification_id, []).append(d)
        for n in pending:
            _settle(n, by_notification.get(n.id, []))
    if retry_delays:
        # the sweep would find them too; a scheduled retry is just more punctual
        current_app.extensions["tasks"].deliver_notifications.schedule(
            args=(list(ids),), delay=min(retry_delays)
        )
    return sent


def _settle(n: Notification, deliveries: list[PushDelivery]) -> None:
    """Pending while any delivery may still succeed (or is being sent); else sent (or
    failed)."""
    if not deliveries:
        return
    waiting = [d for d in deliveries if d.status in ("pending", "retry", "sending")]
    if waiting:
        n.push_not_before = min(
            (d.next_attempt_at for d in waiting if d.next_attempt_at), default=None
        )
        return
    n.push_state = (
        PushState.SENT if any(d.status == "sent" for d in deliveries) else PushState.FAILED
    )
    n.pushed_at = utcnow()


def sweep(batch: int = 500) -> int:
    """Deliver pending notifications whose enqueue was lost or whose wait is over."""
    now = utcnow()
    ids = list(
        session().scalars(
            select(Notification.id)
            .where(
                Notification.push_state == PushState.PENDING,
                Notification.created_at < now - SWEEP_GRACE,
                or_(Notification.push_not_before.is_(None), Notification.push_not_before <= now),
            )
            .order_by(Notification.id)
            .limit(batch)
        )
    )
    session().rollback()  # end the read transaction before the long delivery
    return deliver(ids) if ids else 0


# -- reminders ------------------------------------------------------------------------------


def deadline_of(due: Any) -> datetime:
    """A deadline date ends at midnight, Vietnam time."""
    return datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=VN_TZ).astimezone(UTC)


def send_reminders() -> int:
    """Remind whoever a document waits for, once when its deadline is near and once when
    it has passed. The Reminder row makes a second run (or a second worker) a no-op."""
    from backend.workflow.models import AssignmentStatus, StepAssignment

    s = session()
    settings = current_app.extensions["settings"]
    now = utcnow()
    horizon = to_vn(now + timedelta(hours=settings.reminder_before_hours)).date()
    rows = s.execute(
        select(Document, StepAssignment.user_id)
        .join(StepAssignment, StepAssignment.document_id == Document.id)
        .where(
            StepAssignment.status == AssignmentStatus.WAITING,
            Document.due_date.is_not(None),
            Document.due_date <= horizon,
            Document.status.in_([DocumentStatus.IN_REVIEW, DocumentStatus.SIGNED]),
        )
    ).all()
    sent = 0
    for document, user_id in rows:
        kind = "overdue" if now >= deadline_of(document.due_date) else "due_soon"
        try:
            sent += _remind(document, user_id, kind)
        except IntegrityError:  # another worker sent this very reminder a moment ago
            session().rollback()
    return sent


def _remind(document: Document, user_id: int, kind: str) -> int:
    s = session()
    with atomic():
        exists = s.scalar(
            select(Reminder.id).where(
                Reminder.document_id == document.id,
                Reminder.user_id == user_id,
                Reminder.kind == kind,
                Reminder.due_date == document.due_date,
            )
        )
        if exists:
            return 0
        s.add(
            Reminder(
                document_id=document.id, user_id=user_id, kind=kind, due_date=document.due_date
            )
        )
        due_text = document.due_date.strftime("%d/%m/%Y")
        title = (
            f"Quá hạn xử lý ({due_text}): {document.subject}"
            if kind == "overdue"
            else f"Sắp đến hạn ({due_text}): {document.subject}"
        )
        notify(
            [user_id],
            f"deadline.{kind}",
            title,
            document_id=document.id,
            urgency=document.urgency,
            urgent=kind == "overdue" or None,
        )
    return 1
