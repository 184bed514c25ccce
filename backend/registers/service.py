"""Numbering and registers (sổ đăng ký): outgoing numbers at issue time, incoming
numbers ("số đến") at registration, the register views and their CSV export.

Numbers run from 01 on 1 January (Vietnam time) to 31 December, per organisation,
direction and series; secret documents have their own series. The counter row is locked
in the caller's transaction, so a rolled-back issue gives its number back: no gaps, no
duplicates, also with concurrent issuers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from backend.core.db import session
from backend.core.errors import Forbidden, NotFound
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import to_vn, utcnow
from backend.documents.models import Direction, Document
from backend.org.models import DocumentType, Organisation, Role, Unit, User

from .models import RegisterCounter, RegisterEntry, Series

REGISTER_READERS = {Role.CLERK, Role.LEADER, Role.ADMIN}
SECRET_READERS = {Role.CLERK, Role.LEADER}


def series_for(document: Document) -> Series:
    return Series.SECRET if document.is_secret else Series.NORMAL


def vn_year(moment: Any = None) -> int:
    return to_vn(moment or utcnow()).year


def next_number(organisation_id: int, direction: str, year: int, series: str) -> int:
    """Take the next number of a series inside the caller's transaction."""
    s = session()
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = {
        "organisation_id": organisation_id,
        "direction": direction,
        "year": year,
        "series": series,
    }
    # The first number of a year creates the counter; racing creators meet on the
    # unique constraint and both go on to lock the one row.
    s.execute(insert(RegisterCounter).values(**key, last_number=0).on_conflict_do_nothing())
    counter = s.scalar(
        select(RegisterCounter)
        .where(*[getattr(RegisterCounter, k) == v for k, v in key.items()])
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter.last_number += 1
    s.flush()
    return counter.last_number


def format_number_symbol(
    number: int, doc_type: DocumentType, organisation: Organisation, unit: Unit | None
) -> str:
    """ "Số, ký hiệu": ``15/QĐ-UBND``; công văn (no type abbreviation): ``12/UBND-VP``."""
    if doc_type.abbreviation:
        symbol = f"{doc_type.abbreviation}-{organisation.short_name}"
    else:
        symbol = organisation.short_name + (f"-{unit.abbreviation}" if unit else "")
    return f"{number:02d}/{symbol}"


def register_outgoing(
    document: Document,
    clerk: User,
    *,
    signer_name: str,
    recipients: str,
    copies: int | None,
    note: str,
) -> RegisterEntry:
    """Number an outgoing document at its issue step. Caller holds the transaction."""
    s = session()
    now = utcnow()
    year = vn_year(now)
    series = series_for(document)
    number = next_number(document.organisation_id, Direction.OUTGOING, year, series)
    organisation = s.get(Organisation, document.organisation_id)
    number_symbol = format_number_symbol(
        number, document.document_type, organisation, document.unit
    )
    entry = RegisterEntry(
        organisation_id=document.organisation_id,
        direction=Direction.OUTGOING,
        year=year,
        series=series,
        number=number,
        document_id=document.id,
        number_symbol=number_symbol,
        document_date=to_vn(now).date(),
        registered_at=now,
        registered_by_id=clerk.id,
        signer_name=signer_name,
        recipients=recipients,
        archive_unit=document.unit.name if document.unit else "",
        copies=copies,
        transferred_at=now,
        note=note,
    )
    s.add(entry)
    s.flush()
    return entry


def preview_outgoing(document: Document) -> dict[str, Any]:
    """The number issuing would give now (nothing is taken: another clerk may issue
    first, and the number is settled in the issuing transaction)."""
    s = session()
    now = utcnow()
    year = vn_year(now)
    series = series_for(document)
    last = s.scalar(
        select(RegisterCounter.last_number).where(
            RegisterCounter.organisation_id == document.organisation_id,
            RegisterCounter.direction == Direction.OUTGOING,
            RegisterCounter.year == year,
            RegisterCounter.series == series,
        )
    )
    number = (last or 0) + 1
    organisation = s.get(Organisation, document.organisation_id)
    return {
        "number": number,
        "number_symbol": format_number_symbol(
            number, document.document_type, organisation, document.unit
        ),
        "date": to_vn(now).date(),
        "year": year,
        "series": series,
    }


@dataclass
class IncomingDetails:
    sender_name: str
    sender_code: str
    number_symbol: str
    document_date: date
    recipients: str
    note: str


def find_duplicates(organisation_id: int, details: IncomingDetails) -> list[RegisterEntry]:
    """Incoming entries with the same sender and number/symbol in the same year of the
    document: the same paper registered twice (STANDARDS.md: duplicate alerts)."""
    normalized = details.number_symbol.replace(" ", "").upper()
    sender = (details.sender_code or details.sender_name).strip().lower()
    candidates = session().scalars(
        select(RegisterEntry).where(
            RegisterEntry.organisation_id == organisation_id,
            RegisterEntry.direction == Direction.INCOMING,
            func.upper(func.replace(RegisterEntry.number_symbol, " ", "")) == normalized,
        )
    )
    return [
        e
        for e in candidates
        if (e.sender_code or e.sender_name).strip().lower() == sender
        and e.document_date.year == details.document_date.year
    ]


def register_incoming(document: Document, clerk: User, details: IncomingDetails) -> RegisterEntry:
    """Give an incoming document its "số đến". Caller holds the transaction."""
    s = session()
    now = utcnow()
    year = vn_year(now)
    series = series_for(document)
    number = next_number(document.organisation_id, Direction.INCOMING, year, series)
    entry = RegisterEntry(
        organisation_id=document.organisation_id,
        direction=Direction.INCOMING,
        year=year,
        series=series,
        number=number,
        document_id=document.id,
        number_symbol=details.number_symbol.strip(),
        document_date=details.document_date,
        registered_at=now,
        registered_by_id=clerk.id,
        sender_name=details.sender_name,
        sender_code=details.sender_code,
        recipients=details.recipients,
        note=details.note,
    )
    s.add(entry)
    s.flush()
    return entry


def entry_for(document_id: int, direction: str) -> RegisterEntry | None:
    return session().scalar(
        select(RegisterEntry).where(
            RegisterEntry.document_id == document_id, RegisterEntry.direction == direction
        )
    )


# -- views -------------------------------------------------------------------------------


def _require_reader(actor: User, organisation_id: int, series: str) -> None:
    roles = actor.roles_in(organisation_id)
    if not roles:
        raise NotFound("No such organisation.")
    if not roles & REGISTER_READERS:
        raise Forbidden("Registers are kept by the clerk and read by leaders and admins.")
    if series == Series.SECRET and not roles & SECRET_READERS:
        raise Forbidden("The secret register is for the clerk and the leaders only.")


def list_entries(
    actor: User,
    *,
    organisation_id: int,
    direction: str,
    year: int,
    series: str,
    cursor: str | None,
    limit: int,
    q: str | None = None,
) -> Page:
    _require_reader(actor, organisation_id, series)
    query = (
        select(RegisterEntry, Document)
        .join(Document, Document.id == RegisterEntry.document_id)
        .where(
            RegisterEntry.organisation_id == organisation_id,
            RegisterEntry.direction == direction,
            RegisterEntry.year == year,
            RegisterEntry.series == series,
        )
    )
    if q and q.strip():
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                RegisterEntry.number_symbol.ilike(like),
                Document.subject.ilike(like),
                RegisterEntry.sender_name.ilike(like),
                RegisterEntry.recipients.ilike(like),
            )
        )
    after = decode_cursor(cursor, 1)
    if after:
        query = query.where(RegisterEntry.number > int(after[0]))
    rows = list(session().execute(query.order_by(RegisterEntry.number).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [register_row(entry, document) for entry, document in rows]
    return Page(items, encode_cursor([rows[-1][0].number]) if more and rows else None)


def register_row(entry: RegisterEntry, document: Document) -> dict[str, Any]:
    type_and_subject = f"{document.document_type.name}: {document.subject}"
    return {
        "id": entry.id,
        "document_id": document.id,
        "number": entry.number,
        "number_symbol": entry.number_symbol,
        "document_date": entry.document_date,
        "registered_at": entry.registered_at,
        "type_and_subject": type_and_subject,
        "signer_name": entry.signer_name,
        "recipients": entry.recipients,
        "archive_unit": entry.archive_unit,
        "copies": entry.copies,
        "transferred_at": entry.transferred_at,
        "sender_name": entry.sender_name,
        "sender_code": entry.sender_code,
        "note": entry.note,
    }


# Legal columns (STANDARDS.md), in order.
OUTGOING_COLUMNS = [
    ("Số, ký hiệu văn bản", lambda r: r["number_symbol"]),
    ("Ngày tháng văn bản", lambda r: r["document_date"].strftime("%d/%m/%Y")),
    ("Tên loại và trích yếu nội dung", lambda r: r["type_and_subject"]),
    ("Người ký", lambda r: r["signer_name"]),
    ("Nơi nhận văn bản", lambda r: r["recipients"]),
    ("Đơn vị, người nhận bản lưu", lambda r: r["archive_unit"]),
    ("Số lượng bản", lambda r: r["copies"] if r["copies"] is not None else ""),
    ("Ngày chuyển", lambda r: _vn_date(r["transferred_at"])),
    ("Ký nhận", lambda r: ""),
    ("Ghi chú", lambda r: r["note"]),
]
INCOMING_COLUMNS = [
    ("Ngày đến", lambda r: _vn_date(r["registered_at"])),
    ("Số đến", lambda r: f"{r['number']:02d}"),
    ("Tác giả", lambda r: r["sender_name"]),
    ("Số, ký hiệu", lambda r: r["number_symbol"]),
    ("Ngày tháng", lambda r: r["document_date"].strftime("%d/%m/%Y")),
    ("Tên loại và trích yếu nội dung", lambda r: r["type_and_subject"]),
    ("Đơn vị hoặc người nhận", lambda r: r["recipients"]),
    ("Ngày chuyển", lambda r: _vn_date(r["transferred_at"])),
    ("Ký nhận", lambda r: ""),
    ("Ghi chú", lambda r: r["note"]),
]


def _vn_date(value: Any) -> str:
    return to_vn(value).strftime("%d/%m/%Y") if value else ""


def export_csv(actor: User, *, organisation_id: int, direction: str, year: int, series: str) -> str:
    """The whole register for a year as CSV (UTF-8 with BOM, so Excel shows diacritics)."""
    _require_reader(actor, organisation_id, series)
    columns = OUTGOING_COLUMNS if direction == Direction.OUTGOING else INCOMING_COLUMNS
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([name for name, _ in columns])
    cursor = None
    while True:
        page = list_entries(
            actor,
            organisation_id=organisation_id,
            direction=direction,
            year=year,
            series=series,
            cursor=cursor,
            limit=100,
        )
        for row in page.items:
            writer.writerow([value(row) for _, value in columns])
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return out.getvalue()
