"""The ``worker`` process of the Procfile: ``huey_consumer backend.worker.huey``."""

from __future__ import annotations

from functools import cache

from flask import Flask
from huey import crontab

from backend.config import Settings
from backend.core.queue import queue_for

huey = queue_for(Settings.from_env())


@cache
def worker_app() -> Flask:
    from backend.app import create_app

    return create_app()


@huey.periodic_task(crontab(minute="17", hour="*"))
def purge_idempotency_records() -> int:
    """Idempotency answers are kept two days: long enough for any phone to retry."""
    from backend.core.idempotency import purge_expired

    with worker_app().app_context():
        return purge_expired()
