"""The development mail sink: an SMTP server on loopback (aiosmtpd) that keeps every
message it receives as an .eml file under var/mail/, which the admin reads in the app.
The worker starts it in development (``MAIL_SINK``, off in production); nothing leaves
the machine."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path
from typing import Any

log = logging.getLogger("trinhky.mail")
NAME = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{12}\.eml$")


class _Keeper:
    """aiosmtpd handler: each message (with the envelope recipient as Delivered-To) to a
    file, written under a temporary name and renamed, so a reader never sees half of it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        header = "".join(f"Delivered-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos).encode()
        with self.lock:
            self.count += 1
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            name = f"{stamp}-{os.urandom(6).hex()}.eml"
        temp = self.directory / f".{name}.tmp"
        temp.write_bytes(header + data)
        os.replace(temp, self.directory / name)
        return "250 Message accepted for delivery"


def start(directory: Path, port: int, *, smtputf8: bool = True) -> Any:
    """Start the sink on 127.0.0.1:port in a thread of this process; returns the
    controller (``.stop()``)."""
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        _Keeper(directory),
        hostname="127.0.0.1",
        port=port,
        enable_SMTPUTF8=smtputf8,
        data_size_limit=100 * 1024 * 1024,
    )
    controller.start()
    log.info("mail sink on 127.0.0.1:%d keeping messages in %s", port, directory)
    return controller


def serve_in_background(directory: Path, port: int) -> None:
    try:
        start(directory, port)
    except OSError as exc:  # another process (a second worker) has the port: fine
        log.info("mail sink not started here: %s", exc)


# -- reading (the admin's view) ----------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    """A received message; one sent with SMTPUTF8 has UTF-8 headers, read as text (the
    byte parser leaves non-ASCII display names undecoded)."""
    try:
        return Parser(policy=policy.default).parsestr(raw.decode("utf-8"))  # type: ignore[return-value]
    except UnicodeDecodeError:
        return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


def _parse(path: Path) -> EmailMessage:
    return parse(path.read_bytes())


def summary(path: Path) -> dict[str, Any]:
    message = _parse(path)
    return {
        "name": path.name,
        "delivered_to": str(message.get("Delivered-To", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "date": str(message.get("Date", "")),
        "size": path.stat().st_size,
    }


def listing(directory: Path, limit: int) -> list[dict[str, Any]]:
    if not directory.is_dir():
        return []
    names = sorted((p for p in directory.iterdir() if NAME.match(p.name)), reverse=True)
    return [summary(p) for p in names[:limit]]


def path_of(directory: Path, name: str) -> Path | None:
    if not NAME.match(name):  # a name, never a path
        return None
    path = directory / name
    return path if path.is_file() else None


def read(path: Path) -> dict[str, Any]:
    message = _parse(path)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return {
        **summary(path),
        "message_id": str(message.get("Message-ID", "")),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in message.iter_attachments()
        ],
    }
