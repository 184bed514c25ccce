"""The directory of organisations (danh bạ liên thông): codes in both forms, parent,
how each is reached — in this installation (another organisation of the same database)
or over the axis — and the contact details edXML carries. Everyone signed in reads it
(a clerk picks recipients from it); the administrators of the installation's top-level
organisations manage it; a CSV file imports it (``flask exchange import-directory``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import or_, select

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.org.models import Organisation, Role, User
from backend.search.text import normalise

from . import codes, runtime
from .models import DirectoryEntry, Reach

EDITABLE = (
    "code",
    "code_qd20",
    "name",
    "parent_id",
    "reach",
    "organisation_id",
    "place",
    "address",
    "email",
    "telephone",
    "fax",
    "website",
    "active",
)
CSV_COLUMNS = [
    "code",
    "code_qd20",
    "name",
    "parent_code",
    "reach",
    "place",
    "address",
    "email",
    "telephone",
    "fax",
    "website",
]


def may_manage(actor: User) -> bool:
    """Admins of an organisation at the top of this installation (no parent)."""
    s = session()
    for m in actor.memberships:
        if m.role == Role.ADMIN:
            org = s.get(Organisation, m.organisation_id)
            if org is not None and org.parent_id is None:
                return True
    return False


def _require_manager(actor: User) -> None:
    if not may_manage(actor):
        raise Forbidden(
            "The directory is kept by the administrators of the installation's top-level "
            "organisations."
        )


def list_entries(
    *, q: str | None, reach: str | None, include_inactive: bool, cursor: str | None, limit: int
) -> Page:
    query = select(DirectoryEntry)
    if not include_inactive:
        query = query.where(DirectoryEntry.active.is_(True))
    if reach:
        query = query.where(DirectoryEntry.reach == reach)
    rows = list(session().scalars(query.order_by(DirectoryEntry.name, DirectoryEntry.id)))
    if q:
        # diacritics and case do not matter: "so tai chinh" finds "Sở Tài chính"
        needle = normalise(q.strip()).strip()
        rows = [
            r
            for r in rows
            if needle in normalise(r.name)
            or needle in normalise(r.code)
            or (r.code_qd20 and needle in normalise(r.code_qd20))
        ]
    after = decode_cursor(cursor, 1)
    start = int(after[0]) if after else 0
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return Page(page, encode_cursor([start + limit]) if more else None)


def get_entry(entry_id: int) -> DirectoryEntry:
    entry = session().get(DirectoryEntry, entry_id)
    if entry is None:
        raise NotFound("No such organisation in the directory.")
    return entry


def by_code(code: str) -> DirectoryEntry | None:
    """An entry by either form of its code."""
    code = codes.normalise(code)
    if not code:
        return None
    cache = runtime.memo("entries")
    if code not in cache:
        cache[code] = _by_code(code)
    return cache[code]


def _by_code(code: str) -> DirectoryEntry | None:
    return session().scalar(
        select(DirectoryEntry).where(
            or_(DirectoryEntry.code == code, DirectoryEntry.code_qd20 == code)
        )
    )


def entry_of_organisation(organisation_id: int) -> DirectoryEntry:
    """Our own organisation's entry (created from the organisation when missing)."""
    cache = runtime.memo("own")
    if organisation_id in cache:
        return cache[organisation_id]
    s = session()
    entry = s.scalar(
        select(DirectoryEntry).where(DirectoryEntry.organisation_id == organisation_id)
    )
    if entry is not None:
        cache[organisation_id] = entry  # (one created below may still be rolled back)
        return entry
    sync_installation()
    entry = s.scalar(
        select(DirectoryEntry).where(DirectoryEntry.organisation_id == organisation_id)
    )
    assert entry is not None
    return entry


def sync_installation() -> int:
    """Give every organisation of this installation its directory entry (reached in the
    installation), with its parent; returns how many were added."""
    added = 0
    with atomic() as s:
        entries = {
            e.organisation_id: e
            for e in s.scalars(
                select(DirectoryEntry).where(DirectoryEntry.organisation_id.is_not(None))
            )
        }
        orgs = list(s.scalars(select(Organisation).order_by(Organisation.id)))
        for org in orgs:
            if org.id in entries:
                continue
            existing = s.scalar(select(DirectoryEntry).where(DirectoryEntry.code == org.code))
            if existing is not None:
                # an entry imported before the organisation joined this installation
                existing.reach = Reach.INSTALLATION
                existing.organisation_id = org.id
                entries[org.id] = existing
                continue
            entry = DirectoryEntry(
                code=org.code, name=org.name, reach=Reach.INSTALLATION, organisation_id=org.id
            )
            s.add(entry)
            entries[org.id] = entry
            added += 1
        s.flush()
        for org in orgs:
            entry = entries[org.id]
            if org.parent_id and entry.parent_id is None and org.parent_id in entries:
                entry.parent_id = entries[org.parent_id].id
    return added


def _check(data: dict[str, Any], entry: DirectoryEntry | None) -> None:
    s = session()
    merged = {k: data.get(k, getattr(entry, k, None)) for k in EDITABLE}
    problems: dict[str, list[str]] = {}
    for problem in codes.check_pair(merged["code"] or "", merged["code_qd20"]):
        field, _, text = problem.partition(": ")
        problems.setdefault(field, []).append(text)
    reach = merged["reach"]
    if reach == Reach.INSTALLATION:
        org = s.get(Organisation, merged["organisation_id"]) if merged["organisation_id"] else None
        if org is None:
            problems.setdefault("organisation_id", []).append(
                "An organisation reached in this installation names one of its organisations."
            )
        elif org.code != merged["code"]:
            problems.setdefault("code", []).append(f"The organisation's own code is {org.code}.")
    elif merged["organisation_id"] is not None:
        problems.setdefault("organisation_id", []).append(
            "Only organisations reached in this installation name one."
        )
    if merged["parent_id"] is not None:
        parent = s.get(DirectoryEntry, merged["parent_id"])
        if parent is None or (entry is not None and _is_below(parent, entry.id)):
            problems.setdefault("parent_id", []).append("No such parent, or a loop.")
    if problems:
        raise ValidationFailed("The directory entry is not valid.", problems)
    for field in ("code", "code_qd20"):
        value = merged[field]
        if not value:
            continue
        clash = s.scalar(
            select(DirectoryEntry.id).where(
                or_(DirectoryEntry.code == value, DirectoryEntry.code_qd20 == value)
            )
        )
        if clash is not None and (entry is None or clash != entry.id):
            raise Conflict(f"{value} is already in the directory.", code="duplicate-code")


def _is_below(candidate: DirectoryEntry, entry_id: int) -> bool:
    """Whether ``candidate`` is ``entry_id`` or one of its descendants (no loops)."""
    seen = set()
    node: DirectoryEntry | None = candidate
    while node is not None and node.id not in seen:
        if node.id == entry_id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for field in ("code", "code_qd20"):
        if field in out and out[field] is not None:
            out[field] = codes.normalise(out[field]) or None
    return out


def create_entry(actor: User, data: dict[str, Any]) -> DirectoryEntry:
    _require_manager(actor)
    data = _clean(data)
    with atomic() as s:
        _check(data, None)
        entry = DirectoryEntry(**{k: v for k, v in data.items() if k in EDITABLE})
        s.add(entry)
        s.flush()
        audit.record(
            "exchange.directory_created",
            "directory",
            entry.id,
            actor=actor,
            data={k: data.get(k) for k in ("code", "code_qd20", "name", "reach")},
        )
    return entry


def update_entry(actor: User, entry_id: int, changes: dict[str, Any]) -> DirectoryEntry:
    _require_manager(actor)
    changes = _clean(changes)
    with atomic():
        entry = get_entry(entry_id)
        _check(changes, entry)
        before = {k: getattr(entry, k) for k in changes if k in EDITABLE}
        for key, value in changes.items():
            if key in EDITABLE:
                setattr(entry, key, value)
        session().flush()
        audit.record(
            "exchange.directory_updated",
            "directory",
            entry.id,
            actor=actor,
            data={"before": before, "after": {k: changes[k] for k in before}},
        )
    return entry


def import_csv(text: str) -> tuple[int, int]:
    """Create or update entries from a CSV (UTF-8, optional BOM; columns
    ``CSV_COLUMNS``; ``reach`` is ``axis`` unless the code is one of this installation's
    organisations). Parents may come later in the file. Returns (created, updated); the
    whole file is refused, nothing changed, when a line is wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"code", "name"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed(
            f"The CSV needs the columns {', '.join(sorted(missing))}.",
            {"file": [f"Columns: {', '.join(CSV_COLUMNS)}"]},
        )
    rows = list(reader)
    created = updated = 0
    sync_installation()
    with atomic() as s:
        local = {o.code: o.id for o in s.scalars(select(Organisation))}
        seen: dict[str, DirectoryEntry] = {}
        for n, row in enumerate(rows, start=2):
            code = codes.normalise(row.get("code") or "")
            qd20 = codes.normalise(row.get("code_qd20") or "") or None
            problems = codes.check_pair(code, qd20)
            name = (row.get("name") or "").strip()
            if not name:
                problems.append("name: required")
            if problems:
                raise ValidationFailed(f"Line {n}: {'; '.join(problems)}", {"file": problems})
            entry = seen.get(code) or s.scalar(
                select(DirectoryEntry).where(DirectoryEntry.code == code)
            )
            if entry is None:
                entry = DirectoryEntry(code=code, name=name, reach=Reach.AXIS)
                s.add(entry)
                created += 1
            else:
                updated += 1
            entry.name = name
            entry.code_qd20 = qd20
            if code in local:
                entry.reach, entry.organisation_id = Reach.INSTALLATION, local[code]
            else:
                reach = (row.get("reach") or Reach.AXIS).strip().lower() or Reach.AXIS
                if reach != Reach.AXIS:
                    raise ValidationFailed(
                        f"Line {n}: {code} is not an organisation of this installation, so "
                        "it is reached over the axis.",
                        {"file": [f"line {n}: reach"]},
                    )
                entry.reach, entry.organisation_id = Reach.AXIS, None
            for field in ("place", "address", "email", "telephone", "fax", "website"):
                if row.get(field) is not None:
                    setattr(entry, field, row[field].strip())
            entry.active = True
            seen[code] = entry
        s.flush()
        for n, row in enumerate(rows, start=2):
            parent_code = codes.normalise(row.get("parent_code") or "")
            if not parent_code:
                continue
            parent = seen.get(parent_code) or by_code(parent_code)
            if parent is None:
                raise ValidationFailed(
                    f"Line {n}: parent {parent_code} is not in the directory.",
                    {"file": [f"line {n}: parent_code"]},
                )
            seen[codes.normalise(row["code"])].parent_id = parent.id
        audit.record(
            "exchange.directory_imported",
            "directory",
            "csv",
            data={"created": created, "updated": updated},
        )
    return created, updated
