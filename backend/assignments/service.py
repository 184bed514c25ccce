"""Phiếu giải quyết: a leader's instruction turned into assignments, and their tracking.

- A leader (or the head of the document's unit) assigns a document they can see in one
  action: the instruction text, exactly one lead unit, cooperating units (each with a
  deadline) and units kept informed (no deadline). The instruction is recorded as the
  workflow records any instruction; each unit gets an assignment; the unit's heads are
  notified and become participants of the document, the assigner its watcher.
- A unit's head gives parts of the unit's assignment to people of the unit
  (sub-assignments, each due no later than the unit's deadline).
- Whoever answers for an assignment (the person it is given to; for a unit's assignment,
  the unit's heads; the heads may also act for their people) reports progress, asks for
  a later deadline (the assigner accepts or refuses; the old date is kept), and completes
  it with a result and, optionally, a reply draft. A unit completes only when its
  sub-assignments are completed; the lead unit's completion completes the document's
  processing. Units kept informed acknowledge.
- Every assignment is on time or late: completed before its deadline ended (midnight,
  Vietnam time) or not; still open and within it, or past it (overdue).

Visibility: an assignment is seen by whoever may open its document; a person's
sub-assignment only by the people of that unit, the assignee, the assigner and the
organisation's leaders (a specialist of another unit sees the unit's share, not who in
it does what).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from backend.audit import service as audit
from backend.core import events
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from backend.core.http import check_if_match
from backend.core.pagination import Page, newest_first
from backend.core.timeutil import to_vn, utcnow
from backend.documents import service as documents
from backend.documents.models import Direction, Document, DocumentStatus, ParticipantRole
from backend.notifications import service as notifications
from backend.org import service as org_service
from backend.org.models import Membership, Role, Unit, User

from .models import (
    OPEN_STATES,
    Assignment,
    AssignmentExtension,
    AssignmentProgress,
    AssignmentProgressFile,
    AssignmentRole,
    AssignmentState,
    ExtensionStatus,
)

ASSIGNING_ROLES = {Role.LEADER, Role.HEAD}
# registered incoming documents; outgoing ones once issued (or approved, nothing to issue)
ASSIGNABLE = {DocumentStatus.REGISTERED, DocumentStatus.ISSUED, DocumentStatus.APPROVED}
MAX_UNITS = 50
MAX_PEOPLE = 30
ROLE_LABELS_VI = {
    AssignmentRole.LEAD: "Chủ trì",
    AssignmentRole.COOPERATE: "Phối hợp",
    AssignmentRole.FYI: "Để biết",
}


def due_at_of(deadline: date | None) -> datetime | None:
    """A deadline date ends at midnight, Vietnam time (as document deadlines do)."""
    return notifications.deadline_of(deadline) if deadline is not None else None


def today_vn() -> date:
    return to_vn(utcnow()).date()


def _title(document: Document) -> str:
    return document.subject if len(document.subject) <= 120 else document.subject[:117] + "…"


def _date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


# -- who is who -------------------------------------------------------------------------------


def head_unit_ids(actor: User, organisation_id: int | None = None) -> set[int]:
    return {
        m.unit_id
        for m in actor.memberships
        if m.role == Role.HEAD
        and m.unit_id
        and (organisation_id is None or m.organisation_id == organisation_id)
    }


def member_unit_ids(actor: User) -> set[int]:
    return {m.unit_id for m in actor.memberships if m.unit_id}


def is_leader(actor: User, organisation_id: int) -> bool:
    return Role.LEADER in actor.roles_in(organisation_id)


def _may_see(actor: User, assignment: Assignment) -> bool:
    """Given that the actor may open the document: a unit's share is for everyone who
    may; a person's share for the unit's people, the two people concerned and leaders."""
    return (
        assignment.parent_id is None
        or assignment.unit_id in member_unit_ids(actor)
        or actor.id in (assignment.assignee_id, assignment.assigner_id)
        or is_leader(actor, assignment.organisation_id)
    )


def _answers_for(actor: User, assignment: Assignment) -> bool:
    """The person it is given to; the unit's heads (for the unit, and for their people)."""
    return assignment.assignee_id == actor.id or assignment.unit_id in head_unit_ids(actor)


def _decides_extensions(actor: User, assignment: Assignment) -> bool:
    if actor.id == assignment.assigner_id:
        return True
    # a person's deadline is the unit's business: any head of the unit answers
    return assignment.parent_id is not None and assignment.unit_id in head_unit_ids(actor)


def _handlers(assignment: Assignment) -> list[int]:
    """Who is told about an assignment's deadline: its person, or the unit's heads."""
    if assignment.assignee_id is not None:
        return [assignment.assignee_id]
    return [u.id for u in org_service.heads_of_unit(assignment.unit_id)]


# -- reading ----------------------------------------------------------------------------------


def _load(actor: User, assignment_id: int, *, for_update: bool = False) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if for_update:
        query = query.with_for_update(of=Assignment)
    assignment = session().scalar(query)
    if assignment is None:
        raise NotFound("No such assignment, or you may not see it.")
    try:
        documents.get_document(actor, assignment.document_id)
    except NotFound:
        raise NotFound("No such assignment, or you may not see it.") from None
    if not _may_see(actor, assignment):
        raise NotFound("No such assignment, or you may not see it.")
    return assignment


@dataclass
class Node:
    """An assignment with what its page shows: sub-assignments, progress, extensions."""

    assignment: Assignment
    children: list[Node] = field(default_factory=list)
    progress_reports: list[AssignmentProgress] = field(default_factory=list)
    extensions: list[AssignmentExtension] = field(default_factory=list)
    reply_document: Document | None = None
    document: Document | None = None  # in lists
    timeliness: str = "on_time"
    overdue: bool = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.assignment, name)


def _nodes(actor: User, rows: list[Assignment]) -> list[Node]:
    s = session()
    ids = [a.id for a in rows]
    now = utcnow()
    progress: dict[int, list[AssignmentProgress]] = {}
    extensions: dict[int, list[AssignmentExtension]] = {}
    replies: dict[int, Document] = {}
    if ids:
        for p in s.scalars(
            select(AssignmentProgress)
            .where(AssignmentProgress.assignment_id.in_(ids))
            .order_by(AssignmentProgress.id)
        ):
            progress.setdefault(p.assignment_id, []).append(p)
        for e in s.scalars(
            select(AssignmentExtension)
            .where(AssignmentExtension.assignment_id.in_(ids))
            .order_by(AssignmentExtension.id)
        ):
            extensions.setdefault(e.assignment_id, []).append(e)
        reply_ids = {a.reply_document_id for a in rows if a.reply_document_id}
        if reply_ids:
            replies = {
                d.id: d
                for d in s.scalars(
                    select(Document).where(
                        Document.id.in_(reply_ids), documents.visibility_clause(actor)
                    )
                )
            }
    return [
        Node(
            a,
            progress_reports=progress.get(a.id, []),
            extensions=extensions.get(a.id, []),
            reply_document=replies.get(a.reply_document_id or 0),
            timeliness=a.timeliness_at(now),
            overdue=a.is_open and a.due_at is not None and now >= a.due_at,
        )
        for a in rows
    ]


def get_assignment(actor: User, assignment_id: int) -> Node:
    assignment = _load(actor, assignment_id)
    children = [
        c
        for c in session().scalars(
            select(Assignment).where(Assignment.parent_id == assignment.id).order_by(Assignment.id)
        )
        if _may_see(actor, c)
    ]
    node, *child_nodes = _nodes(actor, [assignment, *children])
    node.children = child_nodes
    return node


def processing_of(lead: Assignment | None, now: datetime) -> dict[str, Any] | None:
    """The document's processing state is its lead unit's: new, in progress, completed."""
    if lead is None:
        return None
    return {
        "state": lead.state,
        "timeliness": lead.timeliness_at(now),
        "deadline": lead.deadline,
        "assigned_at": lead.created_at,
        "assigned_by": lead.assigner,
        "lead_unit": lead.unit,
        "completed_at": lead.completed_at,
    }


def document_assignments(actor: User, document_id: int) -> dict[str, Any]:
    """The tree of a document's assignments, for whoever may open the document (the
    internal sender follows its processing here)."""
    document = documents.get_document(actor, document_id)
    rows = [
        a
        for a in session().scalars(
            select(Assignment)
            .where(Assignment.document_id == document.id)
            .order_by(Assignment.parent_id.is_not(None), Assignment.id)
        )
        if _may_see(actor, a)
    ]
    nodes = _nodes(actor, rows)
    by_id = {n.id: n for n in nodes}
    roots = []
    for n in nodes:
        if n.parent_id is None:
            roots.append(n)
        elif n.parent_id in by_id:
            by_id[n.parent_id].children.append(n)
    order = {AssignmentRole.LEAD: 0, AssignmentRole.COOPERATE: 1, AssignmentRole.FYI: 2}
    roots.sort(key=lambda n: (order[AssignmentRole(n.role)], n.id))
    lead = next((n.assignment for n in roots if n.role == AssignmentRole.LEAD), None)
    return {
        "document_id": document.id,
        "document_status": document.status,
        "processing": processing_of(lead, utcnow()),
        "assignments": roots,
    }


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        Assignment.state.in_(OPEN_STATES), Assignment.due_at.is_not(None), Assignment.due_at <= now
    )


def list_assignments(
    actor: User,
    *,
    scope: str,
    state: str | None,
    overdue: bool | None,
    unit_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page:
    """mine: given to me, or to a unit I head; unit: my units' (heads and members);
    assigned_by_me: what I assigned (a leader's "following"). Newest first."""
    now = utcnow()
    heads = head_unit_ids(actor)
    if scope == "mine":
        condition = or_(
            Assignment.assignee_id == actor.id,
            and_(Assignment.assignee_id.is_(None), Assignment.unit_id.in_(heads))
            if heads
            else false(),
        )
    elif scope == "unit":
        units = member_unit_ids(actor)
        if unit_id is not None:
            if unit_id not in units:
                raise Forbidden("You may list the assignments of your own units only.")
            units = {unit_id}
        condition = Assignment.unit_id.in_(units) if units else false()
    else:
        condition = Assignment.assigner_id == actor.id
    query = (
        select(Assignment)
        .join(Document, Document.id == Assignment.document_id)
        .where(condition, documents.visibility_clause(actor))
    )
    if state:
        query = query.where(Assignment.state == state)
    if overdue is True:
        query = query.where(overdue_clause(now))
    elif overdue is False:
        query = query.where(~overdue_clause(now))
    if unit_id is not None and scope != "unit":
        query = query.where(Assignment.unit_id == unit_id)
    rows, next_cursor = newest_first(query, Assignment, cursor, limit)
    docs = {
        d.id: d
        for d in session().scalars(
            select(Document)
            .where(Document.id.in_({a.document_id for a in rows}))
            .options(*documents.summary_load_options())
        )
    }
    nodes = _nodes(actor, rows)
    for node in nodes:
        node.document = docs[node.document_id]
    return Page(nodes, next_cursor)


# -- assigning -------------------------------------------------------------------------------


def _check_deadline(value: date | None, field_name: str) -> None:
    if value is not None and value < today_vn():
        raise ValidationFailed(
            "A deadline cannot be in the past.", {field_name: ["Before today (Vietnam time)."]}
        )


def _units_of(organisation_id: int, unit_ids: list[int]) -> dict[int, Unit]:
    units = {
        u.id: u
        for u in session().scalars(
            select(Unit).where(Unit.id.in_(unit_ids), Unit.organisation_id == organisation_id)
        )
    }
    unknown = [u for u in unit_ids if u not in units]
    if unknown:
        raise ValidationFailed(
            "Assign units of the document's organisation.",
            {"units": [f"Not a unit of this organisation: {unknown}."]},
        )
    return units


def assign(
    actor: User, document_id: int, if_match: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Phiếu giải quyết in one action: the instruction and one assignment per unit."""
    from backend.workflow import service as workflow

    lead = data["lead"]
    cooperating = data.get("cooperating", [])
    fyi = data.get("fyi", [])
    plan = (
        [(AssignmentRole.LEAD, lead)]
        + [(AssignmentRole.COOPERATE, c) for c in cooperating]
        + [(AssignmentRole.FYI, f) for f in fyi]
    )
    unit_ids = [item["unit_id"] for _, item in plan]
    if len(set(unit_ids)) != len(unit_ids):
        raise ValidationFailed(
            "A unit appears once: lead, cooperating or informed.", {"units": ["Repeated unit."]}
        )
    if len(unit_ids) > MAX_UNITS:
        raise ValidationFailed(f"At most {MAX_UNITS} units.", {"units": ["Too many."]})
    for role, item in plan:
        if role != AssignmentRole.FYI and item.get("deadline") is None:
            raise ValidationFailed(
                "The lead and cooperating units need a deadline.",
                {role: ["Deadline required."]},
            )
        _check_deadline(item.get("deadline"), role)
    with atomic() as s:
        document = documents.get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        roles = actor.roles_in(document.organisation_id)
        may = Role.LEADER in roles or (
            Role.HEAD in roles and document.unit_id in head_unit_ids(actor)
        )
        if not may:
            raise Forbidden(
                "Documents are assigned by the agency's leaders, or by the head of the "
                "document's unit."
            )
        if document.status not in ASSIGNABLE:
            raise Conflict(
                f"Cannot assign a document that is {document.status!r}: register it (incoming) "
                "or issue it first.",
                code="invalid-transition",
                current_state=document.status,
            )
        already = s.scalar(
            select(Assignment.id).where(
                Assignment.document_id == document.id, Assignment.parent_id.is_(None)
            )
        )
        if already is not None:
            raise Conflict(
                "The document is already assigned; follow it in its assignments.",
                code="already-assigned",
            )
        units = _units_of(document.organisation_id, unit_ids)
        heads = {u: org_service.heads_of_unit(u) for u in unit_ids}
        headless = [units[u].name for u, people in heads.items() if not people]
        if headless:
            raise Conflict(
                f"No head to receive the assignment: {', '.join(headless)}.",
                code="unit-without-head",
            )
        instruction = workflow.add_instruction(actor, document.id, data["text"])
        now = utcnow()
        created = []
        for role, item in plan:
            deadline = item.get("deadline") if role != AssignmentRole.FYI else None
            assignment = Assignment(
                organisation_id=document.organisation_id,
                document_id=document.id,
                instruction_id=instruction.id,
                role=role,
                unit_id=item["unit_id"],
                assigner_id=actor.id,
                text=item.get("note") or "",
                deadline=deadline,
                original_deadline=deadline,
                due_at=due_at_of(deadline),
                state=AssignmentState.NEW,
                created_at=now,
                updated_at=now,
            )
            s.add(assignment)
            created.append(assignment)
        s.flush()
        documents.ensure_participant(document, actor.id, ParticipantRole.WATCHER)
        for assignment in created:
            people = heads[assignment.unit_id]
            for head in people:
                documents.ensure_participant(document, head.id, ParticipantRole.RECIPIENT)
            due = f" — hạn {_date(assignment.deadline)}" if assignment.deadline else ""
            notifications.notify(
                [h.id for h in people],
                "assignment.assigned",
                f"{ROLE_LABELS_VI[AssignmentRole(assignment.role)]}{due}: {_title(document)}",
                body=data["text"],
                document_id=document.id,
                exclude=actor.id,
                urgency=document.urgency,
            )
        audit.record(
            "assignment.assigned",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={
                "instruction_id": instruction.id,
                "assignments": [
                    {
                        "id": a.id,
                        "role": a.role,
                        "unit_id": a.unit_id,
                        "deadline": a.deadline.isoformat() if a.deadline else None,
                    }
                    for a in created
                ],
            },
        )
        events.assignment_changed.send(created[0], change="assigned", document_done=False)
        documents.touch(document)
    return document_assignments(actor, document_id)


def sub_assign(actor: User, assignment_id: int, items: list[dict[str, Any]]) -> list[Node]:
    """A unit's head gives parts of the unit's assignment to people of the unit."""
    if not 1 <= len(items) <= MAX_PEOPLE:
        raise ValidationFailed(f"Give 1 to {MAX_PEOPLE} people.", {"items": ["Count."]})
    with atomic() as s:
        parent = _load(actor, assignment_id, for_update=True)
        if parent.parent_id is not None or parent.unit_id not in head_unit_ids(actor):
            raise Forbidden("The unit's head assigns the unit's work to its people.")
        if parent.role == AssignmentRole.FYI:
            raise Conflict("A unit kept informed has nothing to assign.", code="invalid-state")
        if not parent.is_open:
            raise Conflict(
                "The unit's assignment is completed.",
                code="invalid-state",
                current_state=parent.state,
            )
        members = set(
            s.scalars(
                select(Membership.user_id)
                .join(User, User.id == Membership.user_id)
                .where(Membership.unit_id == parent.unit_id, User.active)
            )
        )
        for i, item in enumerate(items):
            if item["assignee_id"] not in members:
                raise ValidationFailed(
                    "Assign people of the unit.",
                    {f"items.{i}.assignee_id": ["Not an active member of the unit."]},
                )
            _check_deadline(item["deadline"], f"items.{i}.deadline")
            if parent.deadline is not None and item["deadline"] > parent.deadline:
                raise ValidationFailed(
                    "A person's deadline is no later than the unit's.",
                    {f"items.{i}.deadline": [f"After the unit's deadline {parent.deadline}."]},
                )
        document = s.get(Document, parent.document_id)
        assert document is not None
        now = utcnow()
        created = []
        for item in items:
            child = Assignment(
                organisation_id=parent.organisation_id,
                document_id=parent.document_id,
                instruction_id=parent.instruction_id,
                parent_id=parent.id,
                role=parent.role,
                unit_id=parent.unit_id,
                assignee_id=item["assignee_id"],
                assigner_id=actor.id,
                text=item.get("text") or "",
                deadline=item["deadline"],
                original_deadline=item["deadline"],
                due_at=due_at_of(item["deadline"]),
                state=AssignmentState.NEW,
                created_at=now,
                updated_at=now,
            )
            s.add(child)
            created.append(child)
            documents.ensure_participant(document, item["assignee_id"], ParticipantRole.RECIPIENT)
        _start(parent, now)
        _save(parent)
        for child in created:
            notifications.notify(
                [child.assignee_id or 0],
                "assignment.assigned",
                f"Được giao — hạn {_date(child.deadline)}: {_title(document)}",
                body=child.text,
                document_id=document.id,
                exclude=actor.id,
                urgency=document.urgency,
            )
        audit.record(
            "assignment.sub_assigned",
            "assignment",
            parent.id,
            actor=actor,
            organisation_id=parent.organisation_id,
            data={
                "document_id": parent.document_id,
                "children": [
                    {"id": c.id, "assignee_id": c.assignee_id, "deadline": c.deadline.isoformat()}
                    for c in created
                    if c.deadline
                ],
            },
        )
    return [get_assignment(actor, c.id) for c in created]


# -- working on it ----------------------------------------------------------------------------


def _save(assignment: Assignment) -> None:
    assignment.updated_at = utcnow()
    try:
        session().flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The assignment was changed by someone else; reload it and try again."
        ) from exc


def _start(assignment: Assignment, now: datetime) -> None:
    if assignment.state == AssignmentState.NEW:
        assignment.state = AssignmentState.IN_PROGRESS
        assignment.started_at = now
        events.assignment_changed.send(assignment, change="started", document_done=False)


def _workable(actor: User, assignment_id: int, verb: str) -> Assignment:
    assignment = _load(actor, assignment_id, for_update=True)
    if not _answers_for(actor, assignment):
        raise Forbidden(f"Only whoever answers for the assignment may {verb} it.")
    if assignment.role == AssignmentRole.FYI:
        raise Conflict(
            "A unit kept informed acknowledges; it has nothing to report.", code="invalid-state"
        )
    if not assignment.is_open:
        raise Conflict(
            "The assignment is completed.", code="invalid-state", current_state=assignment.state
        )
    return assignment


def _document(assignment: Assignment) -> Document:
    document = session().get(Document, assignment.document_id)
    assert document is not None
    return document


def report_progress(actor: User, assignment_id: int, percent: int, note: str) -> Node:
    with atomic() as s:
        assignment = _workable(actor, assignment_id, "report on")
        now = utcnow()
        s.add(
            AssignmentProgress(
                assignment_id=assignment.id,
                author_id=actor.id,
                percent=percent,
                note=note,
                created_at=now,
            )
        )
        assignment.progress = percent
        _start(assignment, now)
        _save(assignment)
        document = _document(assignment)
        audit.record(
            "assignment.progress",
            "assignment",
            assignment.id,
            actor=actor,
            organisation_id=assignment.organisation_id,
            data={"document_id": assignment.document_id, "percent": percent, "note": note},
        )
        notifications.notify(
            [assignment.assigner_id],
            "assignment.progress",
            f"Tiến độ {percent}% — {assignment.unit.name}: {_title(document)}",
            body=note,
            document_id=document.id,
            exclude=actor.id,
        )
    return get_assignment(actor, assignment_id)


MAX_PROGRESS_FILES = 5


def attach_progress_files(
    actor: User, assignment_id: int, progress_id: int, uploads: list[documents.Upload]
) -> Node:
    """Files for a progress report (its author, or whoever answers for the assignment):
    PDF or office files or photos from the phone's camera, with the checks and size limit
    of document attachments."""
    if not 1 <= len(uploads) <= MAX_PROGRESS_FILES:
        raise ValidationFailed(
            f"Send 1 to {MAX_PROGRESS_FILES} files.", {"files": ["1 to 5 files."]}
        )
    staged = documents._stage_files(None, uploads, images=True)
    try:
        with atomic() as s:
            assignment = _workable(actor, assignment_id, "report on")
            progress = s.get(AssignmentProgress, progress_id)
            if progress is None or progress.assignment_id != assignment.id:
                raise NotFound("No such progress report on this assignment.")
            if len(progress.files) + len(staged) > MAX_PROGRESS_FILES:
                raise ValidationFailed(
                    f"A progress report holds at most {MAX_PROGRESS_FILES} files.",
                    {"files": ["Too many files."]},
                )
            for entry in staged:
                entry.staged.publish()
                documents._insert_blob_if_missing(entry.staged.sha256, entry.staged.size)
                s.add(
                    AssignmentProgressFile(
                        progress_id=progress.id,
                        filename=entry.filename,
                        content_type=entry.content_type,
                        blob_sha256=entry.staged.sha256,
                        size=entry.staged.size,
                    )
                )
            s.flush()
            s.expire(progress, ["files"])
            audit.record(
                "assignment.progress_files",
                "assignment",
                assignment.id,
                actor=actor,
                organisation_id=assignment.organisation_id,
                data={"progress": progress.id, "files": [e.staged.sha256 for e in staged]},
            )
    except BaseException:
        for entry in staged:
            entry.staged.discard()
        raise
    return get_assignment(actor, assignment_id)


def progress_file(actor: User, assignment_id: int, file_id: int) -> tuple[Any, Any]:
    """A progress report's file, for whoever may see the assignment."""
    assignment = _load(actor, assignment_id)
    file = session().get(AssignmentProgressFile, file_id)
    progress = session().get(AssignmentProgress, file.progress_id) if file else None
    if file is None or progress is None or progress.assignment_id != assignment.id:
        raise NotFound("No such file on this assignment.")
    return file, documents.blob_store().path(file.blob_sha256)


def request_extension(actor: User, assignment_id: int, deadline: date, reason: str) -> Node:
    if not reason.strip():
        raise ValidationFailed("Give the reason.", {"reason": ["Required."]})
    with atomic() as s:
        assignment = _workable(actor, assignment_id, "ask to extend")
        if assignment.deadline is None or deadline <= assignment.deadline:
            raise ValidationFailed(
                "Ask for a date after the current deadline.",
                {"deadline": [f"Not after {assignment.deadline}."]},
            )
        _check_parent_deadline(assignment, deadline)
        pending = s.scalar(
            select(AssignmentExtension.id).where(
                AssignmentExtension.assignment_id == assignment.id,
                AssignmentExtension.status == ExtensionStatus.PENDING,
            )
        )
        if pending is not None:
            raise Conflict(
                "An extension request is already waiting for an answer.",
                code="extension-pending",
            )
        s.add(
            AssignmentExtension(
                assignment_id=assignment.id,
                requested_by_id=actor.id,
                old_deadline=assignment.deadline,
                requested_deadline=deadline,
                reason=reason.strip(),
                status=ExtensionStatus.PENDING,
                created_at=utcnow(),
            )
        )
        _save(assignment)
        document = _document(assignment)
        audit.record(
            "assignment.extension_requested",
            "assignment",
            assignment.id,
            actor=actor,
            organisation_id=assignment.organisation_id,
            data={"deadline": deadline.isoformat(), "reason": reason},
        )
        deciders = [assignment.assigner_id]
        if assignment.parent_id is not None:
            deciders += [u.id for u in org_service.heads_of_unit(assignment.unit_id)]
        notifications.notify(
            deciders,
            "assignment.extension_requested",
            f"Xin gia hạn đến {_date(deadline)}: {_title(document)}",
            body=reason,
            document_id=document.id,
            exclude=actor.id,
        )
    return get_assignment(actor, assignment_id)


def _check_parent_deadline(assignment: Assignment, deadline: date) -> None:
    if assignment.parent_id is None:
        return
    parent = session().get(Assignment, assignment.parent_id)
    if parent is not None and parent.deadline is not None and deadline > parent.deadline:
        raise ValidationFailed(
            "A person's deadline is no later than the unit's; the unit asks first.",
            {"deadline": [f"After the unit's deadline {parent.deadline}."]},
        )


def decide_extension(
    actor: User,
    assignment_id: int,
    extension_id: int,
    if_match: str | None,
    accept: bool,
    note: str,
) -> Node:
    with atomic() as s:
        assignment = _load(actor, assignment_id, for_update=True)
        extension = s.get(AssignmentExtension, extension_id)
        if extension is None or extension.assignment_id != assignment.id:
            raise NotFound("No such extension request.")
        if not _decides_extensions(actor, assignment):
            raise Forbidden("The assigner answers extension requests.")
        check_if_match(if_match, assignment.etag)
        if extension.status != ExtensionStatus.PENDING:
            raise Conflict(
                f"The request was already {extension.status}.",
                code="invalid-state",
                current_state=extension.status,
            )
        if not assignment.is_open:
            raise Conflict(
                "The assignment is completed.",
                code="invalid-state",
                current_state=assignment.state,
            )
        extension.status = ExtensionStatus.ACCEPTED if accept else ExtensionStatus.REFUSED
        extension.decided_by = actor
        extension.decided_at = utcnow()
        extension.decision_note = note
        if accept:
            _check_parent_deadline(assignment, extension.requested_deadline)
            assignment.deadline = extension.requested_deadline
            assignment.due_at = due_at_of(extension.requested_deadline)
        _save(assignment)
        document = _document(assignment)
        audit.record(
            "assignment.extension_decided",
            "assignment",
            assignment.id,
            actor=actor,
            organisation_id=assignment.organisation_id,
            data={
                "extension_id": extension.id,
                "accepted": accept,
                "old_deadline": extension.old_deadline.isoformat(),
                "deadline": assignment.deadline.isoformat() if assignment.deadline else None,
                "note": note,
            },
        )
        verdict = (
            f"Đồng ý gia hạn đến {_date(extension.requested_deadline)}"
            if accept
            else "Không đồng ý gia hạn"
        )
        notifications.notify(
            [extension.requested_by_id],
            "assignment.extension_decided",
            f"{verdict}: {_title(document)}",
            body=note,
            document_id=document.id,
            exclude=actor.id,
        )
    return get_assignment(actor, assignment_id)


def complete(
    actor: User,
    assignment_id: int,
    if_match: str | None,
    result: str,
    reply_document_id: int | None,
) -> Node:
    """Hoàn thành, with the result and optionally the reply draft (văn bản trả lời)."""
    result = result.strip()
    if not result:
        raise ValidationFailed("Write the result.", {"result": ["Required."]})
    with atomic() as s:
        assignment = _workable(actor, assignment_id, "complete")
        check_if_match(if_match, assignment.etag)
        open_children = s.scalar(
            select(Assignment.id).where(
                Assignment.parent_id == assignment.id, Assignment.state.in_(OPEN_STATES)
            )
        )
        if open_children is not None:
            raise Conflict(
                "People of the unit still work on parts of it: they complete first (or a "
                "head completes their part).",
                code="open-sub-assignments",
            )
        document = _document(assignment)
        if reply_document_id is not None:
            reply = s.scalar(
                select(Document).where(
                    Document.id == reply_document_id, documents.visibility_clause(actor)
                )
            )
            if (
                reply is None
                or reply.organisation_id != assignment.organisation_id
                or reply.direction != Direction.OUTGOING
                or reply.id == document.id
            ):
                raise ValidationFailed(
                    "The reply is an outgoing draft of this organisation that you can open.",
                    {"reply_document_id": ["No such outgoing document."]},
                )
        now = utcnow()
        _start(assignment, now)
        assignment.state = AssignmentState.COMPLETED
        assignment.completed_at = now
        assignment.completed_by_id = actor.id
        assignment.progress = 100
        assignment.result = result
        assignment.reply_document_id = reply_document_id
        _save(assignment)
        for pending in s.scalars(
            select(AssignmentExtension).where(
                AssignmentExtension.assignment_id == assignment.id,
                AssignmentExtension.status == ExtensionStatus.PENDING,
            )
        ):
            pending.status = ExtensionStatus.REFUSED
            pending.decided_at = now
            pending.decision_note = "Đã hoàn thành."
        timeliness = assignment.timeliness_at(now)
        audit.record(
            "assignment.completed",
            "assignment",
            assignment.id,
            actor=actor,
            organisation_id=assignment.organisation_id,
            data={
                "document_id": document.id,
                "role": assignment.role,
                "result": result,
                "reply_document_id": reply_document_id,
                "timeliness": timeliness,
            },
        )
        people = [assignment.assigner_id]
        processing_done = assignment.role == AssignmentRole.LEAD and assignment.parent_id is None
        if processing_done:
            people.append(document.created_by_id)  # the sender inside the agency follows it
            documents.touch(document)
            audit.record(
                "assignment.processing_completed",
                "document",
                document.id,
                actor=actor,
                organisation_id=document.organisation_id,
                data={"assignment_id": assignment.id, "timeliness": timeliness},
            )
        events.assignment_changed.send(
            assignment, change="completed", document_done=processing_done
        )
        late = " (quá hạn)" if timeliness == "late" else ""
        notifications.notify(
            people,
            "assignment.completed",
            f"Hoàn thành{late} — {assignment.unit.name}: {_title(document)}",
            body=result,
            document_id=document.id,
            exclude=actor.id,
        )
    return get_assignment(actor, assignment_id)


def acknowledge(actor: User, assignment_id: int) -> Node:
    """Đã xem: a unit kept informed (or its person) has read the document."""
    with atomic():
        assignment = _load(actor, assignment_id, for_update=True)
        if not _answers_for(actor, assignment):
            raise Forbidden("The unit's heads acknowledge what the unit is told.")
        if assignment.role != AssignmentRole.FYI:
            raise Conflict(
                "Only units kept informed acknowledge; the others complete.",
                code="invalid-state",
            )
        if assignment.is_open:
            now = utcnow()
            assignment.state = AssignmentState.COMPLETED
            assignment.started_at = assignment.started_at or now
            assignment.completed_at = now
            assignment.completed_by_id = actor.id
            _save(assignment)
            audit.record(
                "assignment.acknowledged",
                "assignment",
                assignment.id,
                actor=actor,
                organisation_id=assignment.organisation_id,
                data={"document_id": assignment.document_id},
            )
    return get_assignment(actor, assignment_id)


def withdraw_document(document_id: int, reason: str) -> int:
    """The document was recalled by its sender: its open assignments end, marked
    ``withdrawn`` (out of the work lists and the reports), and whoever answers for them is
    told. Inside the caller's transaction; returns how many were withdrawn."""
    s = session()
    now = utcnow()
    rows = list(
        s.scalars(
            select(Assignment).where(
                Assignment.document_id == document_id, Assignment.state.in_(OPEN_STATES)
            )
        )
    )
    people: set[int] = set()
    for assignment in rows:
        people.update(_handlers(assignment))
        assignment.state = AssignmentState.WITHDRAWN
        assignment.result = reason
        assignment.updated_at = now
    if rows:
        s.flush()
        document = s.get(Document, document_id)
        notifications.notify(
            people,
            "assignment.withdrawn",
            f"Văn bản đã bị thu hồi, dừng xử lý: {_title(document)}",
            body=reason,
            document_id=document_id,
        )
        audit.record(
            "assignment.withdrawn",
            "document",
            document_id,
            organisation_id=document.organisation_id,
            data={"assignments": [a.id for a in rows], "reason": reason},
        )
    return len(rows)


# -- reminders --------------------------------------------------------------------------------


def send_reminders() -> int:
    """Once per deadline: "sắp đến hạn" when it is within REMINDER_BEFORE_HOURS, "quá
    hạn" when it has passed, to the person or the unit's heads. A second run (or a second
    worker) finds the marker set and sends nothing."""
    s = session()
    now = utcnow()
    hours = current_app.extensions["settings"].reminder_before_hours
    rows = list(
        s.scalars(
            select(Assignment).where(
                Assignment.state.in_(OPEN_STATES),
                Assignment.due_at.is_not(None),
                Assignment.due_at <= now + timedelta(hours=hours),
                or_(
                    Assignment.reminded_overdue.is_(None),
                    Assignment.reminded_overdue != Assignment.deadline,
                ),
            )
        )
    )
    sent = 0
    for assignment in rows:
        assert assignment.due_at is not None
        kind = "overdue" if now >= assignment.due_at else "due_soon"
        column = Assignment.reminded_overdue if kind == "overdue" else Assignment.reminded_due_soon
        with atomic() as tx:
            claimed = tx.execute(
                update(Assignment)
                .where(
                    Assignment.id == assignment.id,
                    Assignment.deadline == assignment.deadline,
                    or_(column.is_(None), column != assignment.deadline),
                )
                .values({column.key: assignment.deadline})
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                continue
            document = tx.get(Document, assignment.document_id)
            assert document is not None
            due = _date(assignment.deadline)
            title = (
                f"Quá hạn giải quyết ({due}): {_title(document)}"
                if kind == "overdue"
                else f"Sắp đến hạn giải quyết ({due}): {_title(document)}"
            )
            notifications.notify(
                _handlers(assignment),
                f"assignment.{kind}",
                title,
                body=assignment.unit.name,
                document_id=document.id,
                urgency=document.urgency,
                urgent=kind == "overdue" or None,
            )
            sent += 1
    return sent


# -- for other domains ------------------------------------------------------------------------


def visible_assignment_clause(actor: User) -> ColumnElement[bool]:
    """Assignments whose document the actor may open (used by the reports' drill-down)."""
    return exists().where(Document.id == Assignment.document_id, documents.visibility_clause(actor))
