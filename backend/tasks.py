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

    @huey.task(name="exchange_send")
    def exchange_send() -> int:
        """Hand due outbox messages to their channel (the axis, another organisation)."""
        from backend.exchange import sending

        with _context():
            return sending.send_due()

    @huey.task(name="exchange_poll")
    def exchange_poll() -> dict[str, int]:
        """Fetch, keep, acknowledge and ingest what waits on the axis."""
        from backend.exchange import receiving

        with _context():
            return receiving.poll()

    @huey.periodic_task(crontab(minute="*"), name="exchange_tick")
    def exchange_tick() -> tuple[int, dict[str, int]]:
        """Every minute: due retries of the outbox, then a poll of the axis."""
        from backend.exchange import receiving, sending

        with _context():
            return sending.send_due(), receiving.poll()

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

    tasks = SimpleNamespace(
        deliver_notifications=deliver_notifications,
        deliver_webhooks=deliver_webhooks,
        sign_request=sign_request,
        exchange_send=exchange_send,
        exchange_poll=exchange_poll,
        exchange_tick=exchange_tick,
        sweep=sweep,
        reminders=reminders,
        purge_idempotency_records=purge_idempotency_records,
    )
    _registered[id(huey)] = tasks
    return tasks
