"""Search: one box over number/symbol, trích yếu, sender and the text of the PDFs,
insensitive to Vietnamese diacritics and case, limited to what the caller may open.

Matching: every word of the query must start a word of the document ("quyet dinh" finds
"Quyết định", "ubnd" finds "15/QĐ-UBND", "ke" finds "kế hoạch"). Ranking, the same on
both databases: documents whose head (number/symbol, trích yếu, sender) holds every word
come first, then those that need the PDF text; newest first within each group. The
PostgreSQL tsvector indexes and the SQLite FTS5 table only find the candidates; the same
LIKE on the same folded text decides on both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, text
from sqlalchemy.orm import Session

from backend.core.db import session
from backend.core.errors import ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import VN_TZ
from backend.documents.models import Document
from backend.documents.service import summary_load_options, visibility_clause
from backend.org.models import User

from .models import FTS_TABLE, DocumentSearch
from .text import normalise, query_terms

SNIPPET_BEFORE = 60
SNIPPET_LENGTH = 240
HEAD, BODY = 0, 1  # tiers
WINDOW = 3000  # most recent documents tried first, without the index


@dataclass
class SearchHit:
    """A document summary with where the words were found (for SearchHitSchema)."""

    document: Document
    matched_in: list[str]
    snippet: str | None
    sender: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.document, name)


def _like_all(column: Any, terms: list[str]) -> ColumnElement[bool]:
    # Words in the index follow a space (index_text), so " term" is a word start.
    return and_(*[column.like(f"% {term}%") for term in terms])


def _in_text(terms: list[str]) -> ColumnElement[bool]:
    """Every word in head or body (a word never runs from one into the other: the body
    starts with a space)."""
    return and_(
        *[
            or_(DocumentSearch.head.like(f"% {t}%"), DocumentSearch.body.like(f"% {t}%"))
            for t in terms
        ]
    )


def _indexed(s: Session, terms: list[str], *, head_only: bool) -> ColumnElement[bool]:
    """The candidates, found by the dialect's index: FTS5 prefix queries on SQLite,
    tsvector prefix queries on PostgreSQL. Both see words as runs of letters and digits;
    the LIKE beside them decides, so both databases answer the same."""
    if s.get_bind().dialect.name == "sqlite":
        phrases = [f'"{term}"*' for term in terms]  # terms are letters and digits only
        expression = " AND ".join(f"head : {p}" if head_only else p for p in phrases)
        return DocumentSearch.document_id.in_(
            select(text("rowid"))
            .select_from(text(FTS_TABLE))
            .where(text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=expression))
        )
    column = "head_tsv" if head_only else "tsv"
    return text(f"document_search.{column} @@ to_tsquery('simple', :ts_query)").bindparams(
        ts_query=" & ".join(f"{term}:*" for term in terms)
    )


def _decode(cursor: str | None) -> tuple[int, tuple[datetime, int] | None]:
    values = decode_cursor(cursor, 3)
    if values is None:
        return HEAD, None
    try:
        tier = int(values[0])
        after = (datetime.fromisoformat(values[1]), int(values[2]))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("The cursor is not valid.", {"cursor": ["Invalid cursor."]}) from exc
    if tier not in (HEAD, BODY):
        raise ValidationFailed("The cursor is not valid.", {"cursor": ["Invalid cursor."]})
    return tier, after


def _tier(
    actor: User,
    terms: list[str],
    tier: int,
    after: tuple[datetime, int] | None,
    want: int,
    filters: list[ColumnElement[bool]],
) -> list[Document]:
    """The next ``want`` documents of a group. First among the WINDOW most recent
    documents (after the cursor), with the LIKE alone: a common word fills the page there,
    and what it finds are the newest matches of all. Otherwise through the index."""
    recent = select(Document.created_at, Document.id)
    if after is not None:
        recent = recent.where(_older_than(after))
    bound = (
        session()
        .execute(
            recent.order_by(Document.created_at.desc(), Document.id.desc())
            .offset(WINDOW - 1)
            .limit(1)
        )
        .first()
    )
    if bound is None:  # the window holds every document left: nothing else to look at
        return _tier_query(actor, terms, tier, after, want, filters, window=None)
    rows = _tier_query(actor, terms, tier, after, want, filters, window=(bound[0], bound[1]))
    if len(rows) >= want:
        return rows
    return _tier_query(actor, terms, tier, after, want, filters, indexed=True)


def _older_than(after: tuple[datetime, int]) -> ColumnElement[bool]:
    created_at, last_id = after
    return or_(
        Document.created_at < created_at,
        and_(Document.created_at == created_at, Document.id < last_id),
    )


def _filters(filters: dict[str, Any] | None) -> list[ColumnElement[bool]]:
    """The search screen's filters: type, direction, the year the document entered the
    system (Vietnam time) and the drafting unit."""
    f = filters or {}
    clauses: list[ColumnElement[bool]] = []
    if f.get("document_type_id") is not None:
        clauses.append(Document.document_type_id == f["document_type_id"])
    if f.get("direction"):
        clauses.append(Document.direction == f["direction"])
    if f.get("unit_id") is not None:
        clauses.append(Document.unit_id == f["unit_id"])
    if f.get("year") is not None:
        lo = datetime.combine(date(f["year"], 1, 1), time(), VN_TZ).astimezone(UTC)
        hi = datetime.combine(date(f["year"] + 1, 1, 1), time(), VN_TZ).astimezone(UTC)
        clauses += [Document.created_at >= lo, Document.created_at < hi]
    return clauses


def _tier_query(
    actor: User,
    terms: list[str],
    tier: int,
    after: tuple[datetime, int] | None,
    want: int,
    filters: list[ColumnElement[bool]],
    *,
    window: tuple[datetime, int] | None = None,
    indexed: bool = False,
) -> list[Document]:
    s = session()
    in_head = _like_all(DocumentSearch.head, terms)
    condition = in_head if tier == HEAD else and_(not_(in_head), _in_text(terms))
    if indexed:
        condition = and_(_indexed(s, terms, head_only=tier == HEAD), condition)
    query = (
        select(Document)
        .join(DocumentSearch, DocumentSearch.document_id == Document.id)
        .where(condition, visibility_clause(actor), *filters)
    )
    if after is not None:
        query = query.where(_older_than(after))
    if window is not None:
        oldest, oldest_id = window
        query = query.where(
            or_(
                Document.created_at > oldest,
                and_(Document.created_at == oldest, Document.id >= oldest_id),
            )
        )
    return list(
        s.scalars(
            query.options(*summary_load_options())
            .order_by(Document.created_at.desc(), Document.id.desc())
            .limit(want)
        )
    )


def search(
    actor: User,
    q: str,
    *,
    cursor: str | None,
    limit: int,
    filters: dict[str, Any] | None = None,
) -> Page:
    terms = query_terms(q)
    if not terms:
        raise ValidationFailed(
            "Type at least one letter or digit to search.", {"q": ["No words to search for."]}
        )
    start, after = _decode(cursor)
    clauses = _filters(filters)
    found: list[tuple[int, Document]] = []
    for tier in (HEAD, BODY):
        if tier < start:
            continue
        rows = _tier(
            actor, terms, tier, after if tier == start else None, limit + 1 - len(found), clauses
        )
        found += [(tier, d) for d in rows]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        tier, last = found[-1]
        next_cursor = encode_cursor([tier, last.created_at.isoformat(), last.id])
    return Page(_hits(found, terms), next_cursor)


def _hits(found: list[tuple[int, Document]], terms: list[str]) -> list[SearchHit]:
    """Where each document matched, and a piece of its PDF text around the first word
    found there (computed in the database: the bodies stay where they are)."""
    if not found:
        return []
    s = session()
    position = func.strpos if s.get_bind().dialect.name == "postgresql" else func.instr
    positions = [position(DocumentSearch.body, f" {term}") for term in terms]
    first = func.coalesce(*[func.nullif(p, 0) for p in positions], 0)
    start = case((first > SNIPPET_BEFORE, first - SNIPPET_BEFORE), else_=1)
    rows = s.execute(
        select(
            DocumentSearch.document_id,
            DocumentSearch.sender,
            first,
            case((first > 0, func.substr(DocumentSearch.body_text, start, SNIPPET_LENGTH))),
        ).where(DocumentSearch.document_id.in_([d.id for _, d in found]))
    ).all()
    details = {row[0]: row[1:] for row in rows}
    hits = []
    for _tier_of, document in found:
        sender, body_at, fragment = details.get(document.id, ("", 0, None))
        fields = {
            "number_symbol": document.number_symbol or "",
            "subject": document.subject,
            "sender": sender,
        }
        matched = [
            name
            for name, value in fields.items()
            if value and any(f" {t}" in " " + normalise(value) for t in terms)
        ]
        if body_at:
            matched.append("body")
        hits.append(SearchHit(document, matched, _clean(fragment, body_at), sender))
    return hits


def _clean(fragment: str | None, position: int) -> str | None:
    if not fragment:
        return None
    words = re.sub(r"\s+", " ", fragment).strip()
    cut_start = position > SNIPPET_BEFORE
    if cut_start and " " in words:
        words = words.split(" ", 1)[1]  # drop a word cut in half
    if len(fragment) >= SNIPPET_LENGTH and " " in words:
        words = words.rsplit(" ", 1)[0]
    return ("…" if cut_start else "") + words + ("…" if len(fragment) >= SNIPPET_LENGTH else "")
