"""Composing and sending: one SMTP connection per batch, STARTTLS or SSL with the
server's certificate checked, SMTPUTF8 when the server offers it (headers then travel as
UTF-8), otherwise Vietnamese subjects and display names as RFC 2047 encoded words."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from typing import Any

from backend.core.timeutil import utcnow


@dataclass
class Outcome:
    """What the server said about one delivery: sent, or why not and whether to retry."""

    sent: bool
    reply: str = ""
    error: str = ""
    permanent: bool = False


def address(name: str, addr: str) -> Address:
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def compose(
    *,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """A message with a plain-text and an HTML part (multipart/alternative), files after
    them (multipart/mixed). ``message_id`` is the same on every attempt of a delivery,
    so a message sent twice after a crash is one message to the receiving side."""
    message = EmailMessage()
    message["From"] = address(*sender)
    message["To"] = address(*recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _needs_utf8(message: EmailMessage, to_addr: str, from_addr: str) -> bool:
    return not (to_addr.isascii() and from_addr.isascii())


class Connection:
    """One SMTP session for a batch of messages (``with Connection(settings) as c``)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.smtp_ca_file:
            context.load_verify_locations(self.settings.smtp_ca_file)
        return context

    def __enter__(self) -> Connection:
        s = self.settings
        if s.smtp_security == "ssl":
            self.smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=self._context()
            )
        else:
            self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        self.smtp.ehlo()
        if s.smtp_security == "starttls":
            self.smtp.starttls(context=self._context())
            self.smtp.ehlo()
        if s.smtp_user:
            self.smtp.login(s.smtp_user, s.smtp_password)
        return self

    def __exit__(self, *_: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()

    @property
    def smtputf8(self) -> bool:
        return bool(self.smtp and self.smtp.has_extn("smtputf8"))

    def send(self, message: EmailMessage, from_addr: str, to_addr: str) -> Outcome:
        assert self.smtp is not None
        utf8 = self.smtputf8
        if _needs_utf8(message, to_addr, from_addr) and not utf8:
            return Outcome(
                False,
                error="The address is not ASCII and the server does not offer SMTPUTF8.",
                permanent=True,
            )
        data = message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        try:
            refused = self.smtp.sendmail(from_addr, [to_addr], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return Outcome(False, error=f"{code} {_text(reply)}", permanent=code >= 500)
        except smtplib.SMTPResponseException as exc:
            return Outcome(
                False,
                error=f"{exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            )
        if refused:
            code, reply = next(iter(refused.values()))
            return Outcome(False, error=f"{code} {_text(reply)}", permanent=code >= 500)
        return Outcome(True, reply="250 accepted")


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)[:250]
