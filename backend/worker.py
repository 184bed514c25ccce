"""The ``worker`` process of the Procfile: ``huey_consumer backend.worker.huey``."""

from __future__ import annotations

from backend import tasks
from backend.config import Settings
from backend.core.queue import queue_for

settings = Settings.from_env()
huey = queue_for(settings)
registered = tasks.register(huey)
tasks.start_signing_watcher()
tasks.start_conversion_runner()

if settings.mail_sink:
    # Development: an SMTP server on loopback keeping every message under var/mail/.
    from backend.mail import sink

    sink.serve_in_background(settings.mail_dir, settings.mail_sink_port)

if settings.dev_pki:
    # Development: the local test PKI's TSA/OCSP/CRL, so signatures validate end to end.
    with tasks.worker_app().app_context():
        from backend.signatures.devpki import serve_in_background

        serve_in_background()
