"""Keeping the search index in step with the documents.

The index follows the ORM rather than each service: after every flush, documents whose
indexed fields changed (new document, trích yếu, number/symbol, unit, current version) or
that got a new version or register entry are noted on the session; just before the commit
their ``document_search`` rows are rewritten with the same connection — the same
transaction as the change. So the workflow's issue step (number/symbol), incoming
registration (sender) and signed versions need no search code of their own. A rollback
drops the notes."""

from __future__ import annotations

import logging
from itertools import chain
from typing import Any

from flask import has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.core.timeutil import utcnow
from backend.documents.models import Document, DocumentFile, DocumentVersion
from backend.org.models import Unit
from backend.registers.models import RegisterEntry

from .models import BlobText, DocumentSearch
from .text import MAX_CHARS, extract_pdf_text, index_text, nfc

log = logging.getLogger("trinhky.search")

PENDING = "search_pending"
INDEXED_ATTRIBUTES = ("subject", "number_symbol", "unit_id", "current_version")
PDF = "application/pdf"


def _insert(s: Session) -> Any:
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert


def store_blob_text(s: Session, sha256: str, text: str) -> None:
    """Keep the extracted text of a stored PDF (once per blob; inside the caller's
    transaction, after the blob row)."""
    s.execute(
        _insert(s)(BlobText)
        .values(blob_sha256=sha256, text=text, extracted_at=utcnow())
        .on_conflict_do_nothing(index_elements=["blob_sha256"])
    )


def _blob_path(sha256: str) -> Any:
    if not has_app_context():
        return None
    from backend.documents.service import blob_store

    try:
        path = blob_store().path(sha256)
    except Exception:  # a malformed name, a store not configured: nothing to read
        return None
    return path if path.exists() else None


def _texts(s: Session, shas: list[str], *, extract: bool) -> dict[str, str]:
    """The stored text of each blob. A PDF stored without it yet (just uploaded: the
    worker extracts it; or stored before search existed) counts as empty, unless
    ``extract`` (the worker, ``flask reindex-search``): then it is extracted now and kept."""
    found = {
        sha: text
        for sha, text in s.execute(
            select(BlobText.blob_sha256, BlobText.text).where(BlobText.blob_sha256.in_(shas))
        )
    }
    for sha in shas:
        if sha in found:
            continue
        path = _blob_path(sha) if extract else None
        found[sha] = extract_pdf_text(path) if path is not None else ""
        if path is not None:
            store_blob_text(s, sha, found[sha])
    return found


def _pdf_blobs_without_text(s: Session, shas: list[str] | None, limit: int) -> list[str]:
    query = (
        select(DocumentFile.blob_sha256)
        .outerjoin(BlobText, BlobText.blob_sha256 == DocumentFile.blob_sha256)
        .where(DocumentFile.content_type == PDF, BlobText.blob_sha256.is_(None))
        .distinct()
        .limit(limit)
    )
    if shas is not None:
        query = query.where(DocumentFile.blob_sha256.in_(shas))
    return list(s.scalars(query))


def extract_texts(shas: list[str] | None = None, limit: int = 50) -> int:
    """The worker's part of indexing an upload: the text of these PDF blobs (or of any
    stored PDF still without text, for the sweep) is read in a sandboxed child, outside
    any request, and the documents showing them are reindexed. Returns blobs done."""
    from backend.core.db import atomic, session

    pending = _pdf_blobs_without_text(session(), shas, limit)
    session().rollback()  # no transaction held open while reading files
    for sha in pending:
        path = _blob_path(sha)
        text = extract_pdf_text(path) if path is not None else ""
        with atomic() as s:
            store_blob_text(s, sha, text)
            ids = list(
                s.scalars(
                    select(DocumentVersion.document_id)
                    .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
                    .join(Document, Document.id == DocumentVersion.document_id)
                    .where(
                        DocumentFile.blob_sha256 == sha,
                        DocumentVersion.number == Document.current_version,
                    )
                    .distinct()
                )
            )
            if ids:
                reindex(s, ids)
    return len(pending)


def reindex(s: Session, document_ids: list[int], *, extract: bool = False) -> int:
    """Rewrite the index rows of these documents (inside the caller's transaction)."""
    if not document_ids:
        return 0
    docs = s.execute(
        select(
            Document.id,
            Document.subject,
            Document.number_symbol,
            Document.current_version,
            Unit.name,
        )
        .outerjoin(Unit, Unit.id == Document.unit_id)
        .where(Document.id.in_(document_ids))
    ).all()
    if not docs:
        return 0
    files = s.execute(
        select(DocumentVersion.document_id, DocumentFile.blob_sha256)
        .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(
            DocumentVersion.document_id.in_(document_ids),
            DocumentVersion.number == Document.current_version,
            DocumentFile.content_type == PDF,
        )
        .order_by(DocumentVersion.document_id, DocumentFile.position)
    ).all()
    texts = _texts(s, sorted({sha for _, sha in files}), extract=extract)
    senders = {
        document_id: name
        for document_id, name in s.execute(
            select(RegisterEntry.document_id, RegisterEntry.sender_name).where(
                RegisterEntry.document_id.in_(document_ids),
                RegisterEntry.direction == "incoming",
            )
        )
    }
    bodies: dict[int, list[str]] = {}
    for document_id, sha in files:
        if texts.get(sha):
            bodies.setdefault(document_id, []).append(texts[sha])
    now = utcnow()
    rows = []
    for document_id, subject, number_symbol, _version, unit_name in docs:
        sender = senders.get(document_id) or unit_name or ""
        raw_body = nfc("\n\n".join(bodies.get(document_id, [])))[:MAX_CHARS]
        head = index_text(" ".join(p for p in (number_symbol or "", subject, sender) if p))
        rows.append(
            {
                "document_id": document_id,
                "head": head,
                "body": index_text(raw_body),
                "body_text": " " + raw_body,
                "sender": sender[:255],
                "indexed_at": now,
            }
        )
    statement = _insert(s)(DocumentSearch).values(rows)
    s.execute(
        statement.on_conflict_do_update(
            index_elements=["document_id"],
            set_={
                name: getattr(statement.excluded, name)
                for name in ("head", "body", "body_text", "sender", "indexed_at")
            },
        )
    )
    return len(rows)


def reindex_all(batch: int = 500) -> int:
    """Backfill: every document, a batch per transaction (``flask reindex-search``)."""
    from backend.core.db import atomic

    done = 0
    last = 0
    while True:
        with atomic() as s:
            ids = list(
                s.scalars(
                    select(Document.id).where(Document.id > last).order_by(Document.id).limit(batch)
                )
            )
            if not ids:
                return done
            done += reindex(s, ids, extract=True)
        last = ids[-1]


# -- session hooks -------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _note_changes(s: Session, _flush_context: Any) -> None:
    # In after_flush the session still shows what this flush wrote (new, dirty, history).
    noted: set[int] = set()
    for obj in chain(s.new, s.dirty):
        if isinstance(obj, Document):
            state = inspect(obj)
            if obj in s.new or any(
                state.attrs[name].history.has_changes() for name in INDEXED_ATTRIBUTES
            ):
                noted.add(obj.id)
        elif isinstance(obj, DocumentVersion | RegisterEntry) and obj in s.new:
            noted.add(obj.document_id)
    if noted:
        s.info.setdefault(PENDING, set()).update(noted)


@event.listens_for(Session, "before_commit")
def _reindex_noted(s: Session) -> None:
    s.flush()  # the last changes, and their notes, before the index is written
    ids = s.info.pop(PENDING, set())
    if ids:
        reindex(s, sorted(ids))
        s.flush()
        s.info.pop(PENDING, None)


@event.listens_for(Session, "after_rollback")
def _forget_notes(s: Session) -> None:
    s.info.pop(PENDING, None)
