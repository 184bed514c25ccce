"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, parsed, and can
be told to answer with an error the next times; the app's mail settings pointed at it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from backend.core.db import session
from backend.mail.sink import parse
from tests.notifications.conftest import push_service  # noqa: F401 - the local push service
from tests.signatures.conftest import signing_env  # noqa: F401 - issuing signed documents
from tests.signing.conftest import csc_service, pki_env  # noqa: F401 - its session fixtures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return parse(self.raw)


@dataclass
class SmtpServer:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    scripted: list[str] = field(default_factory=list)  # answers to give instead of 250
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.scripted:
                return self.scripted.pop(0)
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    list(envelope.mail_options),
                    envelope.original_content,
                )
            )
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]


def start_smtp(*, smtputf8: bool = True, **kwargs: Any) -> SmtpServer:
    server = SmtpServer(port=free_port())
    server.controller = Controller(
        server, hostname="127.0.0.1", port=server.port, enable_SMTPUTF8=smtputf8, **kwargs
    )
    server.controller.start()
    return server


@pytest.fixture
def smtp_server(app, monkeypatch) -> Iterator[SmtpServer]:
    """The app sends to this server (plain SMTP on loopback, SMTPUTF8 offered)."""
    server = start_smtp()
    settings = app.extensions["settings"]
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", server.port)
    monkeypatch.setattr(settings, "smtp_security", "none")
    monkeypatch.setattr(settings, "mail_from", "vanthu@nghean.example")
    monkeypatch.setattr(settings, "mail_from_name", "Văn thư UBND tỉnh Nghệ An")
    monkeypatch.setattr(settings, "app_url", "https://trinhky.nghean.example")
    yield server
    server.controller.stop()


def deliveries(app) -> list[Any]:
    from sqlalchemy import select

    from backend.mail.models import MailDelivery

    with app.app_context():
        return list(session().scalars(select(MailDelivery).order_by(MailDelivery.id)))


def give_emails(app, world, *keys: str) -> None:
    """The test world's people get their official addresses."""
    from backend.core.db import atomic
    from backend.org.models import User

    with app.app_context(), atomic() as s:
        for key in keys:
            user = s.get(User, world[key].id)
            user.email = f"{world[key].username}@nghean.example"
