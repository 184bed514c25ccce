"""Background work, run by the ``worker`` process (Huey). Each task is a thin wrapper
around a service function; the state it works from lives in the database, so a task that
is lost (process killed between commit and enqueue) is found again by the sweep."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from types import SimpleNamespace

from flask import Flask, has_app_context
from huey import Huey, crontab

_registered: dict[int, SimpleNamespace] = {}


@cache
def worker_app() -> Flask:
    from backend.app import create_app

    return create_app()


def _context() -> AbstractContextManager:
    return nullcontext() if has_app_context() else worker_app().app_context()


def register(huey: Huey) -> SimpleNamespace:
    """The tasks, bound to this queue (the web process enqueues, the worker runs)."""
    if id(huey) in _registered:
        return _registered[id(huey)]

    @huey.task(name="deliver_notifications")
    def deliver_notifications(ids: list[int]) -> int:
        from backend.notifications import service

        with _context():
            return service.deliver(ids)

    @huey.task(name="deliver_webhooks")
    def deliver_webhooks(ids: list[int]) -> int:
        from backend.webhooks import service

        with _context():
            return service.deliver(ids)

    @huey.task(name="sign_request")
    def sign_request(request_id: int) -> str:
        from backend.signatures import service

        with _context():
            return service.run_request(request_id)

    @huey.periodic_task(crontab(minute="*"), name="sweep")
    def sweep() -> tuple[int, int, int]:
        """Deliver what was committed but never handed to the queue, due retries, and
        signing requests whose worker died."""
        from backend.notifications import service as notifications
        from backend.signatures import service as signatures
        from backend.webhooks import service as webhooks

        with _context():
            return notifications.sweep(), webhooks.sweep(), signatures.resume_stale()

    @huey.periodic_task(crontab(minute="*/5"), name="reminders")
    def reminders() -> int:
        from backend.assignments import service as assignments
        from backend.notifications import service
        from backend.org.service import notify_expired_delegations

        with _context():
            return (
                service.send_reminders()
                + assignments.send_reminders()
                + notify_expired_delegations()
            )

    @huey.periodic_task(crontab(minute="17", hour="*"), name="purge_idempotency_records")
    def purge_idempotency_records() -> int:
        """Idempotency answers are kept two days: long enough for any phone to retry."""
        from backend.core.idempotency import purge_expired

        with _context():
            return purge_expired()

    @huey.periodic_task(crontab(minute="*/5"), name="anchor_audit")
    def anchor_audit() -> int:
        """Timestamp the audit chain's head with the TSA and keep it outside the database
        (nothing when it has not moved): deleted events can no longer go unnoticed."""
        from backend.audit import anchors
        from backend.signatures.runtime import tsa_url

        with _context():
            entry = anchors.anchor_head(tsa_url())
            return entry["seq"] if entry else 0

    tasks = SimpleNamespace(
        deliver_notifications=deliver_notifications,
        deliver_webhooks=deliver_webhooks,
        sign_request=sign_request,
        sweep=sweep,
        reminders=reminders,
        purge_idempotency_records=purge_idempotency_records,
        anchor_audit=anchor_audit,
    )
    _registered[id(huey)] = tasks
    return tasks
