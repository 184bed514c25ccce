"""Reading the workflow: the four inboxes, their badge counts, and a document's timeline.
Read-only queries (no state changes), shaped for the phone: one cheap call per screen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, false, func, or_, select, true, union_all
from sqlalchemy.orm import joinedload

from backend.auth.models import Device
from backend.core import events as domain_events
from backend.core.db import session
from backend.core.errors import ValidationFailed
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import to_vn, utcnow
from backend.documents import service as documents
from backend.documents.models import (
    URGENCY_RANK,
    Direction,
    Document,
    DocumentParticipant,
    DocumentStatus,
    DocumentVersion,
    ParticipantRole,
    Secrecy,
    Urgency,
)
from backend.notifications import service as notifications
from backend.org import service as org_service
from backend.org.models import User
from backend.registers.models import RegisterEntry

from .models import (
    AssignmentStatus,
    Instruction,
    RouteStep,
    StepAssignment,
    StepKind,
    StepStatus,
    WorkflowAction,
)

IN_PROGRESS = (DocumentStatus.IN_REVIEW, DocumentStatus.SIGNED, DocumentStatus.RETURNED)
ACTOR_ACTIONS = ("approve", "return", "forward", "reply", "issue", "register", "refuse", "sign")
# An incoming document the clerk sent someone for an instruction: it waits for them, like a
# step, until they give it (an instruction, or the phiếu giải quyết, which writes one).
INSTRUCT = {"position": None, "kind": "instruct", "label": "Cho ý kiến chỉ đạo"}


def _today() -> Any:
    return to_vn(utcnow()).date()


def _for_me(actor: User) -> Any:
    """Work items that are mine, or my delegators' within each delegation's scope."""
    clauses = [StepAssignment.user_id == actor.id]
    for d in org_service.active_delegations_to(actor):
        kinds = []
        if d.can_approve:
            kinds += [StepKind.REVIEW, StepKind.CONSULT]
        if d.can_sign:
            kinds.append(StepKind.SIGN)
        conditions = [
            StepAssignment.user_id == d.delegator_id,
            Document.secrecy == Secrecy.NORMAL,
            StepAssignment.step_id.in_(select(RouteStep.id).where(RouteStep.kind.in_(kinds))),
        ]
        if d.document_type_ids is not None:
            conditions.append(Document.document_type_id.in_(d.document_type_ids))
        if d.unit_ids is not None:
            conditions.append(Document.unit_id.in_(d.unit_ids))
        clauses.append(and_(*conditions))
    return or_(*clauses) if len(clauses) > 1 else clauses[0]


def _filters(query: Select, filters: dict[str, Any]) -> Select:
    if filters.get("urgency"):
        query = query.where(Document.urgency == filters["urgency"])
    if filters.get("document_type_id"):
        query = query.where(Document.document_type_id == filters["document_type_id"])
    if filters.get("unit_id"):
        query = query.where(Document.unit_id == filters["unit_id"])
    if filters.get("overdue"):
        query = query.where(Document.due_date.is_not(None), Document.due_date < _today())
    if filters.get("q"):
        query = query.where(Document.subject.ilike(f"%{filters['q']}%"))
    return query


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed("The cursor is not valid.", {"cursor": ["Invalid cursor."]})


def _to_instruct(actor: User) -> Any:
    """Incoming documents sent to me for an instruction that I have not given yet."""
    answered = exists().where(
        Instruction.document_id == Document.id, Instruction.author_id == actor.id
    )
    return and_(
        DocumentParticipant.user_id == actor.id,
        DocumentParticipant.role == ParticipantRole.RECIPIENT,
        Document.direction == Direction.INCOMING,
        Document.status == DocumentStatus.REGISTERED,
        ~answered,
    )


def _after(rank_col: Any, at_col: Any, id_col: Any, kind: int, values: list[Any]) -> Any:
    """Rows after the cursor (rank, at, kind, id) in the waiting order: most urgent first,
    then oldest, then steps before instructions, then id."""
    rank, at, last_kind, last_id = values
    later_kind = true() if kind > last_kind else false()
    same_time = id_col > last_id if kind == last_kind else later_kind
    return or_(
        rank_col < rank,
        and_(rank_col == rank, or_(at_col > at, and_(at_col == at, same_time))),
    )


def waiting(actor: User, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """Chờ tôi xử lý: my work items on routes and the incoming documents sent to me for an
    instruction, most urgent first, then oldest first (one order across both)."""
    after = decode_cursor(cursor, 4)
    if after:
        try:
            after = [int(after[0]), datetime.fromisoformat(after[1]), int(after[2]), int(after[3])]
        except (TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
    steps = (
        select(StepAssignment, Document)
        .join(Document, Document.id == StepAssignment.document_id)
        .where(StepAssignment.status == AssignmentStatus.WAITING, _for_me(actor))
    )
    if filters.get("step_kind"):  # "Chờ ký": what waits for a signature
        steps = steps.join(RouteStep, RouteStep.id == StepAssignment.step_id).where(
            RouteStep.kind == filters["step_kind"]
        )
    steps = _filters(steps, filters).options(
        *documents.summary_load_options(),
        joinedload(StepAssignment.step).lazyload(RouteStep.actors),
        joinedload(StepAssignment.user).lazyload(User.memberships),
    )
    if after:
        steps = steps.where(
            _after(
                StepAssignment.urgency_rank,
                StepAssignment.created_at,
                StepAssignment.id,
                0,
                after,
            )
        )
    rows: list[tuple[Any, ...]] = [
        (-a.urgency_rank, a.created_at, 0, a.id, a, d)
        for a, d in session().execute(
            steps.order_by(
                StepAssignment.urgency_rank.desc(), StepAssignment.created_at, StepAssignment.id
            ).limit(limit + 1)
        )
    ]
    if not filters.get("step_kind"):
        instruct = (
            select(DocumentParticipant, Document)
            .join(Document, Document.id == DocumentParticipant.document_id)
            .where(_to_instruct(actor))
            .options(*documents.summary_load_options())
        )
        instruct = _filters(instruct, filters)
        if after:
            instruct = instruct.where(
                _after(
                    Document.urgency_rank,
                    DocumentParticipant.created_at,
                    DocumentParticipant.id,
                    1,
                    after,
                )
            )
        rows += [
            (-d.urgency_rank, p.created_at, 1, p.id, p, d)
            for p, d in session().execute(
                instruct.order_by(
                    Document.urgency_rank.desc(),
                    DocumentParticipant.created_at,
                    DocumentParticipant.id,
                ).limit(limit + 1)
            )
        ]
        rows.sort(key=lambda r: r[:4])
    more = len(rows) > limit
    rows = rows[:limit]
    today = _today()
    items = []
    for _rank, at, kind, _id, row, document in rows:
        if kind == 0:
            items.append(_item(document, today, assignment=row, actor=actor))
        else:
            item = _item(document, today)
            item.update(step=INSTRUCT, arrived_at=at, on_behalf_of=None)
            items.append(item)
    _add_senders(items)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([-last[0], last[1].isoformat(), last[2], last[3]])
    return Page(items, next_cursor)


def _add_senders(items: list[dict[str, Any]]) -> None:
    """Who each document comes from, for the inbox row: the drafter and the drafting unit,
    or an incoming document's sender agency (from its register entry)."""
    incoming = [i["document"].id for i in items if i["document"].direction == Direction.INCOMING]
    senders = {}
    if incoming:
        senders = {
            row.document_id: row.sender_name
            for row in session().execute(
                select(RegisterEntry.document_id, RegisterEntry.sender_name).where(
                    RegisterEntry.document_id.in_(incoming),
                    RegisterEntry.direction == Direction.INCOMING,
                )
            )
        }
    for item in items:
        document = item["document"]
        if document.direction == Direction.INCOMING:
            item["sender"] = senders.get(document.id) or ""
        else:
            unit = document.unit.name if document.unit else ""
            item["sender"] = " — ".join(p for p in (document.created_by.full_name, unit) if p)


def _item(
    document: Document,
    today: Any,
    *,
    assignment: StepAssignment | None = None,
    actor: User | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "document": document,
        "overdue": bool(
            document.due_date
            and document.due_date < today
            and document.status in (*IN_PROGRESS, DocumentStatus.DRAFT)
        ),
    }
    if assignment is not None:
        step = assignment.step
        item.update(
            assignment_id=assignment.id,
            step={"position": step.position, "kind": step.kind, "label": step.label},
            arrived_at=assignment.created_at,
            on_behalf_of=(
                {"id": assignment.user.id, "full_name": assignment.user.full_name}
                if actor is not None and assignment.user_id != actor.id
                else None
            ),
        )
    return item


def _document_page(
    query: Select,
    order: list[Any],
    cursor_values: Any,
    cursor: str | None,
    arity: int,
    where_after: Any,
    limit: int,
) -> Page:
    after = decode_cursor(cursor, arity)
    if after:
        try:
            query = query.where(where_after(after))
        except (TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
    query = query.options(*documents.summary_load_options())
    rows = list(session().execute(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    today = _today()
    items = [_item(row[0], today) for row in rows]
    _add_senders(items)
    return Page(items, encode_cursor(cursor_values(rows[-1])) if more and rows else None)


def submitted(actor: User, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """Tôi trình: my drafts on their way (or back with me), most urgent first, oldest first;
    each with where it is (the step, who holds it, since when) or why it came back."""
    query = (
        select(Document)
        .join(DocumentParticipant, DocumentParticipant.document_id == Document.id)
        .where(
            DocumentParticipant.user_id == actor.id,
            DocumentParticipant.role == ParticipantRole.DRAFTER,
            Document.status != DocumentStatus.DRAFT,
        )
    )
    query = _filters(query, filters)

    def after(values: list[Any]) -> Any:
        rank, submitted_at, last_id = (
            int(values[0]),
            datetime.fromisoformat(values[1]),
            int(values[2]),
        )
        return or_(
            Document.urgency_rank < rank,
            and_(
                Document.urgency_rank == rank,
                or_(
                    Document.submitted_at > submitted_at,
                    and_(Document.submitted_at == submitted_at, Document.id > last_id),
                ),
            ),
        )

    page = _document_page(
        query,
        [Document.urgency_rank.desc(), Document.submitted_at, Document.id],
        lambda row: [row[0].urgency_rank, row[0].submitted_at.isoformat(), row[0].id],
        cursor,
        3,
        after,
        limit,
    )
    _add_positions(page.items)
    return page


def _add_positions(items: list[dict[str, Any]]) -> None:
    """Where each document of the drafter is: the active step of the main line (or the
    open consultation), who holds it and since when; a returned one, the reason."""
    ids = [i["document"].id for i in items]
    if not ids:
        return
    s = session()
    waiting: dict[int, list[StepAssignment]] = {}
    for a in s.scalars(
        select(StepAssignment)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .where(
            StepAssignment.document_id.in_(ids),
            StepAssignment.status == AssignmentStatus.WAITING,
            RouteStep.status == StepStatus.ACTIVE,
        )
        .options(joinedload(StepAssignment.user).lazyload(User.memberships))
        .order_by(RouteStep.position, StepAssignment.id)
    ):
        waiting.setdefault(a.document_id, []).append(a)
    returns: dict[int, WorkflowAction] = {}
    returned = [i["document"].id for i in items if i["document"].status == DocumentStatus.RETURNED]
    if returned:
        for action in s.scalars(
            select(WorkflowAction)
            .where(WorkflowAction.document_id.in_(returned), WorkflowAction.action == "return")
            .order_by(WorkflowAction.id.desc())
        ):
            returns.setdefault(action.document_id, action)
    for item in items:
        document = item["document"]
        item["position"] = item["returned"] = None
        mine = waiting.get(document.id, [])
        # the main line first: a consultation beside it is not where the document "is"
        main = [a for a in mine if a.step.kind != StepKind.CONSULT] or mine
        if main:
            step = main[0].step
            holders = [a for a in main if a.step_id == step.id]
            item["position"] = {
                "step": {"position": step.position, "kind": step.kind, "label": step.label},
                "holders": [a.user.full_name for a in holders],
                "since": step.activated_at or min(a.created_at for a in holders),
            }
        action = returns.get(document.id)
        if action is not None:
            item["returned"] = {
                "reason": action.comment,
                "by": _person(action.actor, action.actor_position),
                "at": action.created_at,
            }


def done(actor: User, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """Tôi đã xử lý: documents I acted on (route actions, and my instructions on incoming
    documents sent to me), the most recent first."""
    acted = union_all(
        select(
            WorkflowAction.document_id.label("document_id"),
            WorkflowAction.created_at.label("at"),
        ).where(WorkflowAction.actor_id == actor.id, WorkflowAction.action.in_(ACTOR_ACTIONS)),
        select(Instruction.document_id, Instruction.created_at)
        .join(Document, Document.id == Instruction.document_id)
        .where(Instruction.author_id == actor.id, Document.direction == Direction.INCOMING),
    ).subquery()
    mine = (
        select(acted.c.document_id, func.max(acted.c.at).label("last_at"))
        .group_by(acted.c.document_id)
        .subquery()
    )
    query = select(Document, mine.c.last_at).join(mine, mine.c.document_id == Document.id)
    query = _filters(query, filters)

    def after(values: list[Any]) -> Any:
        last_at, last_id = datetime.fromisoformat(values[0]), int(values[1])
        return or_(mine.c.last_at < last_at, and_(mine.c.last_at == last_at, Document.id < last_id))

    return _document_page(
        query,
        [mine.c.last_at.desc(), Document.id.desc()],
        lambda row: [row[1].isoformat(), row[0].id],
        cursor,
        2,
        after,
        limit,
    )


def following(actor: User, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """Theo dõi: documents I follow, most recently changed first."""
    query = (
        select(Document)
        .join(DocumentParticipant, DocumentParticipant.document_id == Document.id)
        .where(
            DocumentParticipant.user_id == actor.id,
            DocumentParticipant.role == ParticipantRole.WATCHER,
        )
    )
    query = _filters(query, filters)

    def after(values: list[Any]) -> Any:
        updated, last_id = datetime.fromisoformat(values[0]), int(values[1])
        return or_(
            Document.updated_at < updated,
            and_(Document.updated_at == updated, Document.id < last_id),
        )

    return _document_page(
        query,
        [Document.updated_at.desc(), Document.id.desc()],
        lambda row: [row[0].updated_at.isoformat(), row[0].id],
        cursor,
        2,
        after,
        limit,
    )


def counts(actor: User) -> dict[str, int]:
    """The badges, in one call: a few index-only counts (see bench/workflow.py)."""
    s = session()
    delegated = bool(org_service.active_delegations_to(actor))
    waiting = select(
        func.count(),
        func.coalesce(
            func.sum(case((StepAssignment.urgency_rank >= URGENCY_RANK[Urgency.KHAN], 1), else_=0)),
            0,
        ),
    ).where(StepAssignment.status == AssignmentStatus.WAITING, _for_me(actor))
    if delegated:  # delegation scopes look at the document
        waiting = waiting.join(Document, Document.id == StepAssignment.document_id)
    total, urgent = s.execute(waiting).one()
    # incoming documents waiting for my instruction count as waiting too
    instruct_total, instruct_urgent, instruct_overdue = s.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(case((Document.urgency_rank >= URGENCY_RANK[Urgency.KHAN], 1), else_=0)),
                0,
            ),
            func.coalesce(
                func.sum(
                    case(
                        (and_(Document.due_date.is_not(None), Document.due_date < _today()), 1),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .select_from(DocumentParticipant)
        .join(Document, Document.id == DocumentParticipant.document_id)
        .where(_to_instruct(actor))
    ).one()
    overdue = s.scalar(
        select(func.count())
        .select_from(StepAssignment)
        .join(Document, Document.id == StepAssignment.document_id)
        .where(
            StepAssignment.status == AssignmentStatus.WAITING,
            _for_me(actor),
            Document.due_date.is_not(None),
            Document.due_date < _today(),
        )
    )
    to_sign = s.scalar(
        select(func.count())
        .select_from(StepAssignment)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .join(Document, Document.id == StepAssignment.document_id)
        .where(
            StepAssignment.status == AssignmentStatus.WAITING,
            _for_me(actor),
            RouteStep.kind == StepKind.SIGN,
        )
    )
    drafted = dict(
        s.execute(
            select(Document.status, func.count())
            .join(DocumentParticipant, DocumentParticipant.document_id == Document.id)
            .where(
                DocumentParticipant.user_id == actor.id,
                DocumentParticipant.role == ParticipantRole.DRAFTER,
                Document.status.in_(
                    [DocumentStatus.RETURNED, DocumentStatus.IN_REVIEW, DocumentStatus.SIGNED]
                ),
            )
            .group_by(Document.status)
        ).all()
    )
    following = s.scalar(
        select(func.count())
        .select_from(DocumentParticipant)
        .where(
            DocumentParticipant.user_id == actor.id,
            DocumentParticipant.role == ParticipantRole.WATCHER,
        )
    )
    return {
        "waiting": total + instruct_total,
        "waiting_urgent": urgent + instruct_urgent,
        "waiting_overdue": overdue + instruct_overdue,
        "waiting_instruct": instruct_total,
        "waiting_sign": to_sign,
        "returned_to_me": drafted.get(DocumentStatus.RETURNED, 0),
        "submitted_in_progress": drafted.get(DocumentStatus.IN_REVIEW, 0)
        + drafted.get(DocumentStatus.SIGNED, 0),
        "following": following,
        "notifications_unread": notifications.unread_count(actor),
    }


# -- timeline --------------------------------------------------------------------------------


def _person(user: User | None, position: str = "") -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "full_name": user.full_name, "position_title": position}


def timeline(actor: User, document_id: int) -> list[dict[str, Any]]:
    """Everything that happened to a document, oldest first: versions, route actions and
    instructions — who, when, from which device, and which version they saw."""
    document = documents.get_document(actor, document_id)
    s = session()
    device_names = {}
    events: list[tuple[Any, int, dict[str, Any]]] = []

    versions = s.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.number)
    )
    for v in versions:
        # no author: the system's own version (the archive timestamp renewal)
        author = s.get(User, v.created_by_id) if v.created_by_id is not None else None
        events.append(
            (
                v.created_at,
                0,
                {
                    "kind": "version",
                    "at": v.created_at,
                    "actor": _person(
                        author,
                        org_service.position_title(author, document.organisation_id)
                        if author
                        else "",
                    ),
                    "version_number": v.number,
                    "text": v.note,
                },
            )
        )
    actions = list(
        s.scalars(
            select(WorkflowAction)
            .where(WorkflowAction.document_id == document.id)
            .order_by(WorkflowAction.id)
        )
    )
    instructions = list(
        s.scalars(
            select(Instruction)
            .where(Instruction.document_id == document.id)
            .order_by(Instruction.id)
        )
    )
    device_ids = {a.device_id for a in actions} | {i.device_id for i in instructions}
    device_ids.discard(None)
    if device_ids:
        device_names = {
            row.id: row.name
            for row in s.execute(select(Device.id, Device.name).where(Device.id.in_(device_ids)))
        }
    registration = None
    if any(a.action in ("register", "issue") for a in actions):
        entry = s.scalar(select(RegisterEntry).where(RegisterEntry.document_id == document.id))
        if entry is not None:
            registration = {
                "number": entry.number,
                "number_symbol": entry.number_symbol,
                "document_date": entry.document_date.isoformat(),
                "sender_name": entry.sender_name,
                "sender_code": entry.sender_code,
                "recipients": entry.recipients,
                "copies": entry.copies,
            }
    for a in actions:
        step = a.step
        events.append(
            (
                a.created_at,
                1,
                {
                    "kind": "action",
                    "action": a.action,
                    "at": a.created_at,
                    "actor": _person(a.actor, a.actor_position),
                    "on_behalf_of": _person(a.on_behalf_of),
                    "signing_prefix": "TUQ."
                    if a.on_behalf_of_id
                    else (step.signing_prefix if step and step.kind == StepKind.SIGN else None),
                    "target": _person(a.target_user),
                    "step": (
                        {"position": step.position, "kind": step.kind, "label": step.label}
                        if step
                        else None
                    ),
                    "device": (
                        {"id": a.device_id, "name": device_names.get(a.device_id)}
                        if a.device_id
                        else None
                    ),
                    "version_number": a.version_number,
                    "text": a.comment,
                    "registration": registration if a.action in ("register", "issue") else None,
                },
            )
        )
    for i in instructions:
        events.append(
            (
                i.created_at,
                2,
                {
                    "kind": "instruction",
                    "at": i.created_at,
                    "actor": _person(i.author, i.author_position),
                    "device": (
                        {"id": i.device_id, "name": device_names.get(i.device_id)}
                        if i.device_id
                        else None
                    ),
                    "version_number": i.version_number,
                    "text": i.text,
                },
            )
        )
    # other domains add theirs (the exchange: each recipient's status history)
    for _receiver, extra in domain_events.timeline_requested.send(document, actor=actor):
        events.extend((entry["at"], 3, entry) for entry in extra or [])
    events.sort(key=lambda e: (e[0], e[1]))
    return [e[2] for e in events]
