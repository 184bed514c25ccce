"""Processing reports (báo cáo tình hình giải quyết văn bản) and the home dashboard.

A report covers the assignments an organisation's units received in a period (lead and
cooperating shares; units kept informed have no deadline and are left out), per unit or,
with ``by=person``, per person (their sub-assignments). Each is counted in exactly one
bucket, as of now: completed on time, completed late, in progress within its deadline,
in progress past it. "Received" is their sum. A deadline ends at midnight, Vietnam time.

Read by the organisation's leaders and administrators (every unit) and by heads of unit
(their units); nobody else. Read-only: no audit events, no notifications.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select

from backend.assignments.models import OPEN_STATES, Assignment, AssignmentRole, AssignmentState
from backend.assignments.service import head_unit_ids, member_unit_ids, today_vn
from backend.core.db import session
from backend.core.errors import Forbidden, NotFound, ValidationFailed
from backend.core.pagination import Page, newest_first
from backend.core.timeutil import VN_TZ, utcnow
from backend.documents import service as documents
from backend.documents.models import Document
from backend.org.models import Role, Unit, User
from backend.registers.models import RegisterEntry

BUCKETS = ["completed_on_time", "completed_late", "in_progress_on_time", "in_progress_overdue"]
HEADERS_VI = {
    "unit": "Đơn vị",
    "person": "Cán bộ",
    "received": "Tiếp nhận",
    "completed_on_time": "Hoàn thành đúng hạn",
    "completed_late": "Hoàn thành quá hạn",
    "in_progress_on_time": "Đang xử lý trong hạn",
    "in_progress_overdue": "Đang xử lý quá hạn",
}
MAX_PERIOD_DAYS = 731
COUNTED_ROLES = (AssignmentRole.LEAD, AssignmentRole.COOPERATE)


# -- scope ------------------------------------------------------------------------------------


def _scope(actor: User, organisation_id: int | None, unit_id: int | None) -> tuple[int, list[Unit]]:
    """The organisation and the units the actor may report on (404 for another agency,
    403 for people without a reporting role, or a head asking about another unit)."""
    if organisation_id is None:
        if actor.primary_membership is None:
            raise NotFound("You belong to no organisation.")
        organisation_id = actor.primary_membership.organisation_id
    if organisation_id not in actor.organisation_ids:
        raise NotFound("No such organisation.")
    roles = actor.roles_in(organisation_id)
    units = list(
        session().scalars(
            select(Unit).where(Unit.organisation_id == organisation_id).order_by(Unit.id)
        )
    )
    if roles & {Role.LEADER, Role.ADMIN}:
        allowed = units
    elif Role.HEAD in roles:
        heads = head_unit_ids(actor, organisation_id)
        allowed = [u for u in units if u.id in heads]
    else:
        raise Forbidden("Reports are read by leaders, heads of unit and administrators.")
    if unit_id is not None:
        if unit_id not in {u.id for u in units}:
            raise NotFound("No such unit in this organisation.")
        allowed = [u for u in allowed if u.id == unit_id]
        if not allowed:
            raise Forbidden("Heads of unit read the reports of their own units.")
    return organisation_id, allowed


def period_bounds(start: date | None, end: date | None) -> tuple[date, date, datetime, datetime]:
    """From the first to the last day, inclusive, in Vietnam time (default: this month)."""
    today = today_vn()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise ValidationFailed("The period ends before it starts.", {"to": ["Before from."]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            f"A report covers at most {MAX_PERIOD_DAYS} days.", {"to": ["Too long."]}
        )
    lo = datetime.combine(start, time(), VN_TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), VN_TZ).astimezone(UTC)
    return start, end, lo, hi


def bucket_clause(bucket: str, now: datetime) -> ColumnElement[bool]:
    done = Assignment.state == AssignmentState.COMPLETED
    has_due = Assignment.due_at.is_not(None)
    late_done = and_(done, has_due, Assignment.completed_at >= Assignment.due_at)
    overdue = and_(Assignment.state.in_(OPEN_STATES), has_due, Assignment.due_at <= now)
    return {
        "completed_on_time": and_(done, ~late_done),
        "completed_late": late_done,
        "in_progress_on_time": and_(Assignment.state.in_(OPEN_STATES), ~overdue),
        "in_progress_overdue": overdue,
    }[bucket]


def _base(
    organisation_id: int, units: list[Unit], by: str, lo: datetime, hi: datetime
) -> list[ColumnElement[bool]]:
    return [
        Assignment.organisation_id == organisation_id,
        Assignment.state != AssignmentState.WITHDRAWN,  # recalled documents are not work
        Assignment.created_at >= lo,
        Assignment.created_at < hi,
        Assignment.role.in_(COUNTED_ROLES),
        Assignment.parent_id.is_(None) if by == "unit" else Assignment.parent_id.is_not(None),
        Assignment.unit_id.in_([u.id for u in units]),
    ]


# -- the report -------------------------------------------------------------------------------


def processing(
    actor: User,
    *,
    start: date | None,
    end: date | None,
    organisation_id: int | None,
    unit_id: int | None,
    by: str,
) -> dict[str, Any]:
    organisation_id, units = _scope(actor, organisation_id, unit_id)
    start, end, lo, hi = period_bounds(start, end)
    now = utcnow()
    sums = [
        func.coalesce(func.sum(case((bucket_clause(b, now), 1), else_=0)), 0).label(b)
        for b in BUCKETS
    ]
    keys: list[Any] = [Assignment.unit_id]
    if by == "person":
        keys.append(Assignment.assignee_id)
    rows = (
        session()
        .execute(
            select(*keys, *sums).where(*_base(organisation_id, units, by, lo, hi)).group_by(*keys)
        )
        .all()
    )
    unit_names = {u.id: u.name for u in units}
    result: list[dict[str, Any]] = []
    if by == "unit":
        counted = {r.unit_id: r for r in rows}
        for unit in units:  # every unit in scope, received nothing or not
            r = counted.get(unit.id)
            result.append(
                {
                    "unit_id": unit.id,
                    "unit_name": unit.name,
                    **{b: int(getattr(r, b)) if r else 0 for b in BUCKETS},
                }
            )
    else:
        people = {
            u.id: u.full_name
            for u in session().scalars(
                select(User).where(User.id.in_({r.assignee_id for r in rows}))
            )
        }
        for r in sorted(rows, key=lambda r: (r.unit_id, people.get(r.assignee_id, ""))):
            result.append(
                {
                    "unit_id": r.unit_id,
                    "unit_name": unit_names[r.unit_id],
                    "user_id": r.assignee_id,
                    "full_name": people.get(r.assignee_id, ""),
                    **{b: int(getattr(r, b)) for b in BUCKETS},
                }
            )
    for row in result:
        row["received"] = sum(row[b] for b in BUCKETS)
    totals = {b: sum(r[b] for r in result) for b in ["received", *BUCKETS]}
    return {
        "organisation_id": organisation_id,
        "start": start,
        "end": end,
        "by": by,
        "generated_at": now,
        "rows": result,
        "totals": totals,
    }


def documents_in_bucket(
    actor: User,
    *,
    bucket: str,
    start: date | None,
    end: date | None,
    organisation_id: int | None,
    unit_id: int | None,
    user_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """The drill-down: the assignments behind a figure, newest first, each with its
    document when the reader may open it (else only its id)."""
    organisation_id, units = _scope(actor, organisation_id, unit_id)
    start, end, lo, hi = period_bounds(start, end)
    now = utcnow()
    by = "person" if user_id is not None else "unit"
    query = select(Assignment).where(*_base(organisation_id, units, by, lo, hi))
    if user_id is not None:
        query = query.where(Assignment.assignee_id == user_id)
    if bucket != "received":
        query = query.where(bucket_clause(bucket, now))
    rows, next_cursor = newest_first(query, Assignment, cursor, limit)
    visible = {
        d.id: d
        for d in session().scalars(
            select(Document)
            .where(
                Document.id.in_({a.document_id for a in rows}), documents.visibility_clause(actor)
            )
            .options(*documents.summary_load_options())
        )
    }
    items = [
        {
            "assignment_id": a.id,
            "document_id": a.document_id,
            "document": visible.get(a.document_id),
            "role": a.role,
            "unit_id": a.unit_id,
            "unit_name": a.unit.name,
            "assignee": a.assignee,
            "deadline": a.deadline,
            "state": a.state,
            "timeliness": a.timeliness_at(now),
            "created_at": a.created_at,
            "completed_at": a.completed_at,
        }
        for a in rows
    ]
    return Page(items, next_cursor)


def _table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = ["unit"] + (["person"] if report["by"] == "person" else [])
    columns += ["received", *BUCKETS]
    header = [HEADERS_VI[c] for c in columns]
    body = []
    for row in [*report["rows"], {"unit_name": "Tổng cộng", "full_name": "", **report["totals"]}]:
        cells: list[Any] = [row["unit_name"]]
        if report["by"] == "person":
            cells.append(row.get("full_name", ""))
        cells += [row[c] for c in ["received", *BUCKETS]]
        body.append(cells)
    return header, body


def export_csv(actor: User, **args: Any) -> str:
    """UTF-8 with a BOM, so Excel shows the diacritics."""
    header, body = _table(processing(actor, **args))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def export_xlsx(actor: User, **args: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = processing(actor, **args)
    header, body = _table(report)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tình hình giải quyết"
    sheet.append(
        [f"Tình hình giải quyết văn bản từ {report['start']:%d/%m/%Y} đến {report['end']:%d/%m/%Y}"]
    )
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cells in body:
        sheet.append(cells)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36
    if report["by"] == "person":
        sheet.column_dimensions["B"].width = 28
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- the dashboard ----------------------------------------------------------------------------


def dashboard(actor: User) -> dict[str, Any]:
    """The caller's summary for the app's home: one aggregate over the open assignments
    that concern them (mine, my units', what I assigned), and for leaders the five units
    with the most overdue work. Both read the open-assignment indexes only. Leaders and
    administrators also get the number of documents issued this month (the outgoing
    register)."""
    s = session()
    now = utcnow()
    soon = now + timedelta(hours=current_app.extensions["settings"].reminder_before_hours)
    heads = head_unit_ids(actor)
    units = member_unit_ids(actor)
    mine = or_(
        Assignment.assignee_id == actor.id,
        and_(Assignment.assignee_id.is_(None), Assignment.unit_id.in_(heads)) if heads else false(),
    )
    unit = and_(Assignment.parent_id.is_(None), Assignment.unit_id.in_(units)) if units else false()
    by_me = Assignment.assigner_id == actor.id
    overdue = and_(Assignment.due_at.is_not(None), Assignment.due_at <= now)
    due_soon = and_(Assignment.due_at > now, Assignment.due_at <= soon)

    def count(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    columns = [
        count(mine).label("mine_open"),
        count(mine, due_soon).label("mine_due_soon"),
        count(mine, overdue).label("mine_overdue"),
        count(unit).label("unit_open"),
        count(unit, due_soon).label("unit_due_soon"),
        count(unit, overdue).label("unit_overdue"),
        count(by_me).label("assigned_open"),
        func.count(func.distinct(case((and_(by_me, overdue), Assignment.document_id)))).label(
            "assigned_late_documents"
        ),
    ]
    concerned = [Assignment.assignee_id == actor.id, by_me]
    if units:  # a head's units are among the units they belong to
        concerned.append(Assignment.unit_id.in_(units))
    row = s.execute(
        select(*columns).where(Assignment.state.in_(OPEN_STATES), or_(*concerned))
    ).one()
    figures = {k: int(v or 0) for k, v in row._mapping.items()}
    leader_orgs = [m.organisation_id for m in actor.memberships if m.role == Role.LEADER]
    late_units: list[dict[str, Any]] = []
    overseen = [m.organisation_id for m in actor.memberships if m.role in (Role.LEADER, Role.ADMIN)]
    issued_this_month = None
    if overseen:
        # the outgoing registers (both series) of this month: the year's entries by the
        # register's unique index, then their dates
        today = today_vn()
        issued_this_month = s.scalar(
            select(func.count()).where(
                RegisterEntry.organisation_id.in_(overseen),
                RegisterEntry.direction == "outgoing",
                RegisterEntry.year == today.year,
                RegisterEntry.document_date >= today.replace(day=1),
            )
        )
    if leader_orgs:
        late = s.execute(
            select(Assignment.unit_id, Unit.name, func.count().label("overdue"))
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.organisation_id.in_(leader_orgs),
                Assignment.state.in_(OPEN_STATES),
                Assignment.due_at <= now,
                Assignment.parent_id.is_(None),
            )
            .group_by(Assignment.unit_id, Unit.name)
            .order_by(func.count().desc(), Assignment.unit_id)
            .limit(5)
        ).all()
        late_units = [
            {"unit_id": r.unit_id, "unit_name": r.name, "overdue": r.overdue} for r in late
        ]
    return {
        "generated_at": now,
        "mine": {
            "open": figures["mine_open"],
            "due_soon": figures["mine_due_soon"],
            "overdue": figures["mine_overdue"],
        },
        "unit": {
            "open": figures["unit_open"],
            "due_soon": figures["unit_due_soon"],
            "overdue": figures["unit_overdue"],
        },
        "assigned_by_me": {
            "open": figures["assigned_open"],
            "late_documents": figures["assigned_late_documents"],
        },
        "late_units": late_units if leader_orgs else None,
        "issued_this_month": issued_this_month,
    }
