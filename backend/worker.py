"""The ``worker`` process of the Procfile: ``huey_consumer backend.worker.huey``."""

from __future__ import annotations

from backend import tasks
from backend.config import Settings
from backend.core.queue import queue_for

huey = queue_for(Settings.from_env())
registered = tasks.register(huey)
