"""The outbox and its delivery.

``write`` is called inside the transaction of the cause (an issue, a notification that
push did not deliver, the morning digest): the message and one delivery per recipient
commit with it, or not at all; a cause writes one message (``dedupe_key``), and a
message reaches an address once (a unique (message, address) delivery). After the
commit the worker is asked to send; the minute's sweep finds what was never handed over
and what is due for a retry. Sending claims deliveries under a lease, sends them over one
SMTP connection and records each result: accepted, refused for good (5xx), or retried
with exponential backoff until ``MAIL_MAX_ATTEMPTS`` — then it is failed, and the admin
sees it with the server's last answer.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update

from backend.core.db import atomic, on_commit, session
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, newest_first
from backend.core.timeutil import utcnow
from backend.org.models import Role, User

from . import smtp
from .models import DeliveryState, MailAttachment, MailDelivery, MailMessage

log = logging.getLogger("trinhky.mail")
BATCH = 200  # deliveries claimed and sent over one connection
LEASE = timedelta(minutes=5)
MAX_BACKOFF = 6 * 3600


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    blob_sha256: str
    size: int


def settings() -> Any:
    return current_app.extensions["settings"]


def enabled() -> bool:
    return bool(settings().mail_enabled)


def write(
    *,
    kind: str,
    dedupe_key: str,
    subject: str,
    text: str,
    html: str,
    recipients: Iterable[Recipient],
    organisation_id: int | None = None,
    document_id: int | None = None,
    notification_id: int | None = None,
    attachments: Iterable[Attachment] = (),
) -> MailMessage | None:
    """Put a message in the outbox, inside the caller's ``atomic()``. None when mail is
    off, nobody is to receive it, or this cause already wrote its message."""
    targets: dict[str, Recipient] = {}
    for r in recipients:
        if r.address and r.address.lower() not in targets:
            targets[r.address.lower()] = r
    if not enabled() or not targets:
        return None
    s = session()
    if s.scalar(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)):
        return None
    message = MailMessage(
        organisation_id=organisation_id,
        kind=kind,
        dedupe_key=dedupe_key,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        document_id=document_id,
        notification_id=notification_id,
    )
    s.add(message)
    s.flush()
    for position, a in enumerate(attachments):
        s.add(
            MailAttachment(
                message_id=message.id,
                position=position,
                filename=a.filename,
                content_type=a.content_type,
                blob_sha256=a.blob_sha256,
                size=a.size,
            )
        )
    deliveries = [
        MailDelivery(
            message_id=message.id,
            address=r.address,
            display_name=r.name[:255],
            user_id=r.user_id,
            state=DeliveryState.PENDING,
            attempts=0,
            last_error="",
            smtp_reply="",
        )
        for r in targets.values()
    ]
    s.add_all(deliveries)
    s.flush()
    ids = [d.id for d in deliveries]
    on_commit(lambda: enqueue(ids))
    return message


def enqueue(ids: list[int]) -> None:
    current_app.extensions["tasks"].send_mail(ids)


# -- sending (the worker) ------------------------------------------------------------------


def _due_clause(now: Any) -> Any:
    return or_(
        (MailDelivery.state == DeliveryState.PENDING)
        & (MailDelivery.next_attempt_at.is_(None) | (MailDelivery.next_attempt_at <= now)),
        (MailDelivery.state == DeliveryState.SENDING) & (MailDelivery.lease_until < now),
    )


def _claim(ids: list[int] | None) -> list[int]:
    now = utcnow()
    with atomic() as s:
        query = select(MailDelivery.id).where(_due_clause(now)).order_by(MailDelivery.id)
        if ids is not None:
            query = query.where(MailDelivery.id.in_(ids))
        query = query.limit(BATCH)
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = list(s.scalars(query))
        if claimed:
            s.execute(
                update(MailDelivery)
                .where(MailDelivery.id.in_(claimed))
                .values(
                    state=DeliveryState.SENDING,
                    lease_until=now + LEASE,
                    attempts=MailDelivery.attempts + 1,
                )
            )
    return claimed


def message_id(delivery: MailDelivery) -> str:
    domain = settings().mail_from.rpartition("@")[2] or "trinhky.local"
    return f"<trinhky.{delivery.message_id}.{delivery.id}@{domain}>"


def _compose(delivery: MailDelivery, cache: dict[int, list[tuple[str, str, bytes]]]) -> Any:
    from backend.documents.service import blob_store

    message = delivery.message
    if message.id not in cache:
        store = blob_store()
        cache[message.id] = [
            (a.filename, a.content_type, store.path(a.blob_sha256).read_bytes())
            for a in message.attachments
        ]
    config = settings()
    return smtp.compose(
        sender=(config.mail_from_name, config.mail_from),
        recipient=(delivery.display_name, delivery.address),
        subject=message.subject,
        text=message.text_body,
        html=message.html_body,
        message_id=message_id(delivery),
        attachments=cache[message.id],
    )


def deliver(ids: list[int] | None = None) -> int:
    """Send what is due (these deliveries, or every due one); returns how many were
    accepted. Safe to run in several workers at once: each claims its own."""
    sent = 0
    while True:
        claimed = _claim(ids)
        if not claimed:
            return sent
        sent += _send_batch(claimed)
        if ids is not None:
            return sent


def _send_batch(claimed: list[int]) -> int:
    s = session()
    deliveries = list(
        s.scalars(
            select(MailDelivery).where(MailDelivery.id.in_(claimed)).order_by(MailDelivery.id)
        )
    )
    s.commit()  # only reads: nothing is held open while talking to the server
    config = settings()
    outcomes: dict[int, smtp.Outcome] = {}
    cache: dict[int, list[tuple[str, str, bytes]]] = {}
    try:
        with smtp.Connection(config) as connection:
            for delivery in deliveries:
                try:
                    email = _compose(delivery, cache)
                except OSError as exc:  # an attached file missing from storage
                    outcomes[delivery.id] = smtp.Outcome(False, error=str(exc), permanent=True)
                    continue
                outcomes[delivery.id] = connection.send(email, config.mail_from, delivery.address)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        # the connection failed (refused, TLS, login — smtplib's AUTH takes ASCII only —,
        # dropped): what was not sent waits for the next attempt
        reason = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("mail server: %s", reason)
        for delivery in deliveries:
            outcomes.setdefault(delivery.id, smtp.Outcome(False, error=reason))
    return _record(deliveries, outcomes)


def _backoff(attempts: int) -> float:
    return float(min(60 * 2 ** (attempts - 1), MAX_BACKOFF))


def _record(deliveries: list[MailDelivery], outcomes: dict[int, smtp.Outcome]) -> int:
    now = utcnow()
    limit = settings().mail_max_attempts
    sent = 0
    changes = []
    for delivery in deliveries:
        outcome = outcomes[delivery.id]
        change: dict[str, Any] = {"id": delivery.id, "lease_until": None}
        if outcome.sent:
            change.update(state=DeliveryState.SENT, sent_at=now, smtp_reply=outcome.reply)
            sent += 1
        elif outcome.permanent or delivery.attempts >= limit:
            change.update(state=DeliveryState.FAILED, last_error=outcome.error[:500])
        else:
            change.update(
                state=DeliveryState.PENDING,
                last_error=outcome.error[:500],
                next_attempt_at=now + timedelta(seconds=_backoff(delivery.attempts)),
            )
        changes.append(change)
    with atomic() as s:
        s.execute(update(MailDelivery), changes)
    return sent


def sweep() -> int:
    """Deliveries committed but never handed over, retries that are due, and those whose
    worker died while sending (their lease ran out)."""
    if not session().scalar(select(MailDelivery.id).where(_due_clause(utcnow())).limit(1)):
        return 0
    session().rollback()
    return deliver()


# -- what the admin and the people see -----------------------------------------------------


def _admin_organisations(actor: User) -> set[int]:
    return {m.organisation_id for m in actor.memberships if m.role == Role.ADMIN}


def list_deliveries(
    actor: User, organisation_id: int, state: str | None, cursor: str | None, limit: int
) -> Page:
    if organisation_id not in actor.organisation_ids:
        raise NotFound("No such organisation.")
    if organisation_id not in _admin_organisations(actor):
        raise Forbidden("The mail log is for the organisation's administrators.")
    query = (
        select(MailDelivery)
        .join(MailMessage, MailMessage.id == MailDelivery.message_id)
        .where(MailMessage.organisation_id == organisation_id)
    )
    if state:
        query = query.where(MailDelivery.state == state)
    rows, next_cursor = newest_first(query, MailDelivery, cursor, limit)
    return Page(rows, next_cursor)


def retry(actor: User, delivery_id: int) -> MailDelivery:
    """Send a failed delivery again (after the address or the server was fixed)."""
    with atomic() as s:
        delivery = s.get(MailDelivery, delivery_id, with_for_update={"of": MailDelivery})
        organisation = delivery.message.organisation_id if delivery else None
        if delivery is None or organisation not in actor.organisation_ids:
            raise NotFound("No such delivery.")
        if organisation not in _admin_organisations(actor):
            raise Forbidden("The mail log is for the organisation's administrators.")
        if delivery.state != DeliveryState.FAILED:
            raise ValidationFailed(
                "Only a failed delivery is sent again.",
                {"state": [delivery.state]},
                code="not-failed",
            )
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = None
        ids = [delivery.id]
        on_commit(lambda: enqueue(ids))
    return delivery


def document_deliveries(document_id: int) -> list[MailDelivery]:
    """Every e-mail delivery about one document (the caller checked the document may be
    seen), oldest first: the issued document's recipients by e-mail."""
    return list(
        session().scalars(
            select(MailDelivery)
            .join(MailMessage, MailMessage.id == MailDelivery.message_id)
            .where(MailMessage.document_id == document_id, MailMessage.kind == "issued")
            .order_by(MailDelivery.id)
        )
    )
