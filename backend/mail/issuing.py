"""Recipients reached by e-mail at issuing (nơi nhận qua thư điện tử công vụ): a recipient
with an official e-mail address and no exchange endpoint gets the issued, signed PDFs —
attached, or, above ``MAIL_ATTACHMENT_MAX_MB``, as download links with a token that
expires after ``MAIL_LINK_DAYS``. One message per recipient, written in the issue's
transaction; its delivery is the recipient's status line for the document. A secret
document is never sent by mail."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend.core.db import atomic, session
from backend.core.errors import ApiError, Conflict, NotFound
from backend.core.timeutil import to_vn, utcnow
from backend.documents import service as documents
from backend.documents.models import Document, DocumentFile
from backend.org.models import Organisation, User

from . import service
from .models import MailKind, MailLink
from .templates import Section, render

PDF = "application/pdf"


class Gone(ApiError):
    status, code, title = 410, "link-expired", "Link expired"


@dataclass(frozen=True)
class EmailRecipient:
    name: str
    email: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_recipients(document: Document, recipients: list[EmailRecipient]) -> None:
    """Before anything is numbered: may this document go out by e-mail at all?"""
    if not recipients:
        return
    if document.is_secret:
        raise Conflict(
            "A secret document (Mật and above) is never sent by e-mail; send it through "
            "the confidential channel and remove the e-mail recipients.",
            code="secret-not-by-mail",
            current_state=document.status,
        )
    if not service.enabled():
        raise Conflict(
            "Official e-mail is not configured on this installation (SMTP_HOST).",
            code="mail-not-configured",
            current_state=document.status,
        )


def register_text(recipients: str, by_mail: list[EmailRecipient]) -> str:
    """Nơi nhận for the register: what the clerk wrote, and the e-mail recipients' names
    that it does not name already."""
    names = [r.name for r in by_mail if r.name and r.name not in recipients]
    return "; ".join(part for part in (recipients.strip(), ", ".join(names)) if part)


def send_issued(
    actor: User, document: Document, recipients: list[EmailRecipient], number_symbol: str
) -> int:
    """Inside the issue transaction, after the seal: the messages to the e-mail
    recipients. Returns how many were written."""
    if not recipients:
        return 0
    check_recipients(document, recipients)
    config = service.settings()
    files = [
        f
        for f in documents.current_files(document)
        if f.content_type == PDF and f.kind in ("main", "attachment")
    ]
    files.sort(key=lambda f: (f.kind != "main", f.position))
    total = sum(f.size for f in files)
    attach = total <= config.mail_attachment_max_mb * 1024 * 1024
    organisation = session().get(Organisation, document.organisation_id)
    agency = organisation.name if organisation else ""
    issued = to_vn(document.issued_at or utcnow()).strftime("%d/%m/%Y")
    subject = f"{number_symbol} ngày {issued} — {document.subject}"
    written = 0
    for recipient in recipients:
        token = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(days=config.mail_link_days)
        if attach:
            lines = [(f"{f.filename} ({_size(f.size)}) — đính kèm thư này", None) for f in files]
        else:
            lines = [
                (f"{f.filename} ({_size(f.size)})", link_url(config.app_url, token, f.id))
                for f in files
            ]
        closing = (
            "Các tệp PDF đã được ký số; kiểm tra chữ ký số bằng phần mềm đọc PDF."
            if attach
            else f"Liên kết tải về có hiệu lực đến {to_vn(expires).strftime('%d/%m/%Y %H:%M')} "
            "(giờ Việt Nam). Các tệp PDF đã được ký số."
        )
        text, html = render(
            f"Kính gửi: {recipient.name},",
            f"{agency} gửi văn bản số {number_symbol} ngày {issued}: {document.subject}.",
            [Section("Văn bản điện tử", lines)],
            closing,
        )
        message = service.write(
            kind=MailKind.ISSUED,
            dedupe_key=f"issued:{document.id}:{recipient.email.lower()}",
            subject=subject,
            text=text,
            html=html,
            recipients=[service.Recipient(recipient.email, recipient.name)],
            organisation_id=document.organisation_id,
            document_id=document.id,
            attachments=[service.Attachment(f.filename, PDF, f.blob_sha256, f.size) for f in files]
            if attach
            else [],
        )
        if message is None:
            continue
        written += 1
        if not attach:
            session().add(
                MailLink(
                    token_sha256=_hash(token),
                    message_id=message.id,
                    document_id=document.id,
                    version=document.current_version,
                    file_ids=[f.id for f in files],
                    expires_at=expires,
                    downloads=0,
                )
            )
    return written


def link_url(app_url: str, token: str, file_id: int) -> str:
    return f"{app_url.rstrip('/')}/api/mail/links/{token}/files/{file_id}"


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size // 1024 + 1} KB"


def linked_file(token: str, file_id: int) -> tuple[DocumentFile, Any]:
    """A file behind an e-mailed link: 404 for an unknown token or file, 410 once the
    link expired."""
    with atomic() as s:
        link = s.scalar(select(MailLink).where(MailLink.token_sha256 == _hash(token)))
        if link is None or file_id not in (link.file_ids or []):
            raise NotFound("No such link.")
        if link.expires_at <= utcnow():
            raise Gone("This download link has expired; ask the sending agency to send it again.")
        link.downloads += 1
        file = s.get(DocumentFile, file_id)
    if file is None:
        raise NotFound("No such link.")
    path = documents.blob_store().path(file.blob_sha256)
    if not path.exists():
        raise NotFound("The file's content is missing from storage.", code="blob-missing")
    return file, path
