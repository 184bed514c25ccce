"""The search index: per document, its folded head (number/symbol, trích yếu, sender)
and body (the text of the current version's PDFs); per stored file, its extracted text.

Dialect-specific parts live in the migration only: PostgreSQL has two generated tsvector
columns ('simple' configuration over the folded text: ``head_tsv`` of the head, ``tsv`` of
head and body) with GIN indexes; SQLite has the FTS5 table ``document_search_fts`` over
head and body, kept in step by triggers (see ``DIALECT_OBJECTS``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, UTCDateTime
from backend.core.timeutil import utcnow

# Database objects the migration makes outside the models (ignored by autogenerate).
FTS_TABLE = "document_search_fts"
DIALECT_OBJECTS = {
    FTS_TABLE,
    f"{FTS_TABLE}_data",
    f"{FTS_TABLE}_idx",
    f"{FTS_TABLE}_docsize",
    f"{FTS_TABLE}_config",
    f"{FTS_TABLE}_content",
    "head_tsv",
    "tsv",
    "ix_document_search_head_tsv",
    "ix_document_search_tsv",
}


class DocumentSearch(Base):
    """One row per document; rewritten in the transaction that changes what it indexes."""

    __tablename__ = "document_search"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    head: Mapped[str] = mapped_column(Text, default="")  # folded: " 15 qd ubnd quyet dinh …"
    body: Mapped[str] = mapped_column(Text, default="")  # folded PDF text, same length as …
    body_text: Mapped[str] = mapped_column(Text, default="")  # … the original (snippets)
    sender: Mapped[str] = mapped_column(String(255), default="")  # as shown
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlobText(Base):
    """The text of a stored PDF, extracted once at upload (blobs are immutable)."""

    __tablename__ = "blob_texts"

    blob_sha256: Mapped[str] = mapped_column(
        ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
