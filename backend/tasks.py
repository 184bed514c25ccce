"""Background work, run by the ``worker`` process (Huey). Each task is a thin wrapper
around a service function; the state it works from lives in the database, so a task that
is lost (process killed between commit and enqueue) is found again by the sweep."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from types import SimpleNamespace

from flask import Flask, has_app_context
from huey import Huey, crontab

_registered: dict[int, SimpleNamespace] = {}
log = logging.getLogger("trinhky.tasks")


@cache
def worker_app() -> Flask:
    from backend.app import create_app

    return create_app()


def _context() -> AbstractContextManager:
    return nullcontext() if has_app_context() else worker_app().app_context()


def start_signing_watcher(every: float = 1.0) -> threading.Thread:
    """In the worker process: every second, hand signing requests whose worker died (or
    whose queued task was lost) to the queue again, so a killed worker's batch resumes
    within seconds (the lease is SIGNING_LEASE_SECONDS), not at the next minute's sweep."""
    app = worker_app()

    def watch() -> None:
        from backend.signatures import service as signatures

        while True:  # at once on start: a worker restarted after a kill resumes its work
            try:
                with app.app_context():
                    signatures.resume_stale()
            except Exception:  # the database restarting: look again in a second
                log.exception("signing watcher")
            time.sleep(every)

    thread = threading.Thread(target=watch, name="signing-watcher", daemon=True)
    thread.start()
    return thread


_conversion_runner: object | None = None


def start_conversion_runner() -> object:
    """In the worker process: the converters (LibreOffice via unoserver, one per core) and
    one thread per converter taking waiting conversions, so queue workers never wait for a
    conversion and one slow document holds up nothing but its own converter."""
    global _conversion_runner
    from backend.documents.conversions import Runner

    runner = Runner(worker_app())
    runner.start()
    _conversion_runner = runner
    return runner


def register(huey: Huey) -> SimpleNamespace:
    """The tasks, bound to this queue (the web process enqueues, the worker runs)."""
    if id(huey) in _registered:
        return _registered[id(huey)]

    @huey.task(name="deliver_notifications")
    def deliver_notifications(ids: list[int]) -> int:
        from backend.mail import fallback
        from backend.notifications import service

        with _context():
            sent = service.deliver(ids)
            fallback.check(ids)  # what push did not reach goes by e-mail
            return sent

    @huey.task(name="send_mail")
    def send_mail(ids: list[int]) -> int:
        from backend.mail import service

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

    @huey.task(name="extract_texts")
    def extract_texts(shas: list[str]) -> int:
        """The text of uploaded PDFs for search, read in a sandboxed child."""
        from backend.search.index import extract_texts

        with _context():
            return extract_texts(shas)

    @huey.periodic_task(crontab(minute="*/5"), name="extract_texts_sweep")
    def extract_texts_sweep() -> int:
        """Stored PDFs still without text (a lost task): 50 at a time."""
        from backend.search.index import extract_texts

        with _context():
            return extract_texts(None)

    @huey.task(name="convert_documents")
    def convert_documents() -> int:
        """Word drafts and office attachments to PDF: in the worker this only wakes the
        converter threads; without them (tests, one-off runs) it converts here."""
        from backend.documents import conversions

        runner = _conversion_runner
        if runner is not None:
            runner.wake.set()  # type: ignore[attr-defined]
            return 0
        with _context():
            return conversions.run_pending()

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
        """Deliver what was committed but never handed to the queue, due retries (push,
        e-mail, webhooks), e-mail for what push did not reach, signing requests whose
        worker died; office files stored without a conversion job."""
        from backend.documents import conversions
        from backend.mail import fallback
        from backend.mail import service as mail
        from backend.notifications import service as notifications
        from backend.signatures import service as signatures
        from backend.webhooks import service as webhooks

        with _context():
            conversions.backfill()
            pushed = notifications.sweep()
            fallback.sweep()
            mail.sweep()
            return pushed, webhooks.sweep(), signatures.resume_stale()

    @huey.periodic_task(crontab(minute="*/15", hour="0-4"), name="digests")
    def digests() -> int:
        """The morning digest, 07:00 Vietnam time on working days (00:00 UTC); later
        quarters until noon catch up what a stopped worker missed."""
        from backend.digest import service as digest

        with _context():
            return digest.send_digests()

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

    @huey.periodic_task(crontab(minute="30", hour="19"), name="renew_archives")
    def renew_archives() -> int:
        """Gia hạn lưu trữ, nightly (02:30 Vietnam time): fresh archive timestamps before
        the old ones' TSA certificates expire."""
        from backend.signatures import service as signatures

        with _context():
            return signatures.renew_archives()

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
        extract_texts=extract_texts,
        extract_texts_sweep=extract_texts_sweep,
        convert_documents=convert_documents,
        send_mail=send_mail,
        digests=digests,
        exchange_send=exchange_send,
        exchange_poll=exchange_poll,
        exchange_tick=exchange_tick,
        sweep=sweep,
        reminders=reminders,
        purge_idempotency_records=purge_idempotency_records,
        renew_archives=renew_archives,
        anchor_audit=anchor_audit,
    )
    _registered[id(huey)] = tasks
    return tasks
