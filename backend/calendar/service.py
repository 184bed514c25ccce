"""Lịch công tác: the agency's week of meetings and events.

Kept by the office: members with the clerk role (văn thư; a Chánh Văn phòng who keeps
the calendar is given that role too) and the organisation's administrators create, edit
and cancel events; every member of the organisation reads the week. A leader's week is
the events they chair or attend. Every change notifies the people on the event (chair and
participants), in the transaction of the change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm.exc import StaleDataError

from backend.audit import service as audit
from backend.core.db import atomic, session
from backend.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from backend.core.http import check_if_match
from backend.core.timeutil import VN_TZ, to_vn, utcnow
from backend.documents.models import Document
from backend.documents.service import visibility_clause
from backend.notifications import service as notifications
from backend.org.models import Role, User

from .models import CalendarDocument, CalendarEvent, CalendarParticipant, EventStatus

EDITORS = {Role.CLERK, Role.ADMIN}
MAX_EVENT_DAYS = 14  # an event longer than this is not a calendar entry
MAX_PEOPLE = 200
MAX_DOCUMENTS = 50
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class EventView:
    """An event with the attached documents the reader may open (others are left out,
    so the calendar never reveals a document's subject to someone who cannot see it)."""

    def __init__(self, event: CalendarEvent, documents: list[Document]) -> None:
        self._event = event
        self.documents = documents

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


# -- weeks ---------------------------------------------------------------------------------


def current_week() -> str:
    iso = to_vn(utcnow()).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def week_bounds(week: str) -> tuple[date, datetime, datetime]:
    """Monday of an ISO week ("2026-W48") and the week's start and end in UTC (the week
    runs Monday 00:00 to Monday 00:00, Vietnam time)."""
    match = WEEK.match(week)
    try:
        if not match:
            raise ValueError(week)
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ValidationFailed(
            "The week is written like 2026-W48 (ISO week).", {"week": ["Not an ISO week."]}
        ) from exc
    start = datetime.combine(monday, time(), VN_TZ).astimezone(UTC)
    return monday, start, start + timedelta(days=7)


# -- checks --------------------------------------------------------------------------------


def _member_organisation(actor: User, organisation_id: int | None) -> int:
    if organisation_id is None:
        if actor.primary_membership is None:
            raise NotFound("You belong to no organisation.")
        return actor.primary_membership.organisation_id
    if organisation_id not in actor.organisation_ids:
        raise NotFound("No such organisation.")
    return organisation_id


def _editor_organisation(actor: User, organisation_id: int | None) -> int:
    if organisation_id is None:
        editing = [m.organisation_id for m in actor.memberships if m.role in EDITORS]
        organisation_id = editing[0] if editing else None
    organisation_id = _member_organisation(actor, organisation_id)
    _require_editor(actor, organisation_id)
    return organisation_id


def _require_editor(actor: User, organisation_id: int) -> None:
    if not actor.roles_in(organisation_id) & EDITORS:
        raise Forbidden("The work calendar is kept by the office (văn thư) and the administrators.")


def _members(organisation_id: int, user_ids: list[int], field: str) -> list[int]:
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return []
    users = session().scalars(select(User).where(User.id.in_(ids))).all()
    known = {u.id for u in users if u.active and organisation_id in u.organisation_ids}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationFailed(
            "Participants and the chair must be active members of the organisation.",
            {field: [f"Not a member: {', '.join(map(str, unknown))}."]},
        )
    return ids


def _documents(actor: User, organisation_id: int, document_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return []
    visible = set(
        session().scalars(
            select(Document.id).where(
                Document.id.in_(ids),
                Document.organisation_id == organisation_id,
                visibility_clause(actor),
            )
        )
    )
    missing = [i for i in ids if i not in visible]
    if missing:
        raise ValidationFailed(
            "Attach documents of this organisation that you can open.",
            {"document_ids": [f"No such document, or you may not see it: {missing}."]},
        )
    return ids


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationFailed("An event must end after it starts.", {"ends_at": ["Too early."]})
    if ends_at - starts_at > timedelta(days=MAX_EVENT_DAYS):
        raise ValidationFailed(
            f"An event lasts at most {MAX_EVENT_DAYS} days.", {"ends_at": ["Too late."]}
        )


def _people(event: CalendarEvent) -> list[int]:
    """Who hears about changes: the chair and the participants."""
    ids = ([event.chair_id] if event.chair_id else []) + event.participant_ids
    return list(dict.fromkeys(ids))


def _when(event: CalendarEvent) -> str:
    start = to_vn(event.starts_at)
    text = f"{start:%H:%M} {start:%d/%m/%Y}"
    return f"{text}, {event.place}" if event.place else text


def _audit_data(event: CalendarEvent) -> dict[str, Any]:
    return {
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": event.place,
        "chair_id": event.chair_id,
        "participant_ids": event.participant_ids,
        "document_ids": [d.document_id for d in event.documents],
        "status": event.status,
    }


def _save(event: CalendarEvent) -> None:
    try:
        session().flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The event was changed by someone else; reload it and try again."
        ) from exc


# -- reading -------------------------------------------------------------------------------


def _views(actor: User, events: list[CalendarEvent]) -> list[EventView]:
    ids = {d.document_id for e in events for d in e.documents}
    visible: dict[int, Document] = {}
    if ids:
        visible = {
            d.id: d
            for d in session().scalars(
                select(Document).where(Document.id.in_(ids), visibility_clause(actor))
            )
        }
    return [
        EventView(e, [visible[d.document_id] for d in e.documents if d.document_id in visible])
        for e in events
    ]


def get_week(
    actor: User, *, week: str | None, organisation_id: int | None, leader_id: int | None
) -> dict[str, Any]:
    organisation_id = _member_organisation(actor, organisation_id)
    week = week or current_week()
    monday, start, end = week_bounds(week)
    query = select(CalendarEvent).where(
        CalendarEvent.organisation_id == organisation_id,
        CalendarEvent.starts_at < end,
        CalendarEvent.starts_at > start - timedelta(days=MAX_EVENT_DAYS),
        CalendarEvent.ends_at > start,
    )
    if leader_id is not None:
        query = query.where(
            or_(
                CalendarEvent.chair_id == leader_id,
                exists().where(
                    CalendarParticipant.event_id == CalendarEvent.id,
                    CalendarParticipant.user_id == leader_id,
                ),
            )
        )
    events = list(session().scalars(query.order_by(CalendarEvent.starts_at, CalendarEvent.id)))
    return {
        "week": week,
        "starts_on": monday,
        "ends_on": monday + timedelta(days=6),
        "organisation_id": organisation_id,
        "leader_id": leader_id,
        "events": _views(actor, events),
    }


def _event(actor: User, event_id: int, *, for_update: bool = False) -> CalendarEvent:
    query = select(CalendarEvent).where(CalendarEvent.id == event_id)
    if for_update:
        query = query.with_for_update(of=CalendarEvent)
    event = session().scalar(query)
    if event is None or event.organisation_id not in actor.organisation_ids:
        raise NotFound("No such event.")
    return event


def get_event(actor: User, event_id: int) -> EventView:
    return _views(actor, [_event(actor, event_id)])[0]


# -- changes -------------------------------------------------------------------------------


def create_event(actor: User, data: dict[str, Any]) -> EventView:
    organisation_id = _editor_organisation(actor, data.get("organisation_id"))
    _check_times(data["starts_at"], data["ends_at"])
    chair = data.get("chair_id")
    if chair is not None:
        _members(organisation_id, [chair], "chair_id")
    participants = _members(organisation_id, data.get("participant_ids", []), "participant_ids")
    documents = _documents(actor, organisation_id, data.get("document_ids", []))
    with atomic() as s:
        now = utcnow()
        event = CalendarEvent(
            organisation_id=organisation_id,
            title=data["title"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data.get("place", ""),
            chair_id=chair,
            notes=data.get("notes", ""),
            status=EventStatus.SCHEDULED,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
            participants=[CalendarParticipant(user_id=u) for u in participants],
            documents=[CalendarDocument(document_id=d) for d in documents],
        )
        s.add(event)
        s.flush()
        audit.record(
            "calendar.event_created",
            "calendar_event",
            event.id,
            actor=actor,
            organisation_id=organisation_id,
            data=_audit_data(event),
        )
        notifications.notify(
            _people(event),
            "calendar.invited",
            f"Lịch công tác: {event.title}",
            _when(event),
            exclude=actor.id,
        )
    return get_event(actor, event.id)


def _changeable(actor: User, event_id: int, if_match: str | None) -> CalendarEvent:
    event = _event(actor, event_id, for_update=True)
    _require_editor(actor, event.organisation_id)
    check_if_match(if_match, event.etag)
    if event.status == EventStatus.CANCELLED:
        raise Conflict(
            "The event is cancelled; create a new one instead.",
            code="invalid-state",
            current_state=event.status,
        )
    return event


def update_event(
    actor: User, event_id: int, if_match: str | None, changes: dict[str, Any]
) -> EventView:
    with atomic():
        event = _changeable(actor, event_id, if_match)
        before_people = _people(event)
        before = _audit_data(event)
        _check_times(
            changes.get("starts_at", event.starts_at), changes.get("ends_at", event.ends_at)
        )
        for name in ("title", "starts_at", "ends_at", "place", "notes"):
            if name in changes:
                setattr(event, name, changes[name])
        if "chair_id" in changes:
            if changes["chair_id"] is not None:
                _members(event.organisation_id, [changes["chair_id"]], "chair_id")
            event.chair_id = changes["chair_id"]
        if "participant_ids" in changes:
            wanted = _members(event.organisation_id, changes["participant_ids"], "participant_ids")
            kept = [p for p in event.participants if p.user_id in wanted]
            have = {p.user_id for p in kept}
            event.participants = kept + [
                CalendarParticipant(user_id=u) for u in wanted if u not in have
            ]
        if "document_ids" in changes:
            wanted = _documents(actor, event.organisation_id, changes["document_ids"])
            kept_docs = [d for d in event.documents if d.document_id in wanted]
            have = {d.document_id for d in kept_docs}
            event.documents = kept_docs + [
                CalendarDocument(document_id=d) for d in wanted if d not in have
            ]
        event.updated_at = utcnow()
        _save(event)
        after = _audit_data(event)
        audit.record(
            "calendar.event_updated",
            "calendar_event",
            event.id,
            actor=actor,
            organisation_id=event.organisation_id,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
            },
        )
        people = _people(event)
        title = f"Lịch công tác: {event.title}"
        notifications.notify(
            [u for u in people if u not in before_people],
            "calendar.invited",
            title,
            _when(event),
            exclude=actor.id,
        )
        notifications.notify(
            [u for u in people if u in before_people],
            "calendar.changed",
            f"Thay đổi lịch: {event.title}",
            _when(event),
            exclude=actor.id,
        )
        notifications.notify(
            [u for u in before_people if u not in people],
            "calendar.changed",
            f"Thay đổi lịch: {event.title}",
            "Bạn không còn trong thành phần tham dự.",
            exclude=actor.id,
        )
    return get_event(actor, event.id)


def cancel_event(actor: User, event_id: int, if_match: str | None, reason: str) -> EventView:
    with atomic():
        event = _changeable(actor, event_id, if_match)
        event.status = EventStatus.CANCELLED
        event.cancel_reason = reason
        event.cancelled_at = event.updated_at = utcnow()
        _save(event)
        audit.record(
            "calendar.event_cancelled",
            "calendar_event",
            event.id,
            actor=actor,
            organisation_id=event.organisation_id,
            data={"title": event.title, "reason": reason},
        )
        notifications.notify(
            _people(event),
            "calendar.cancelled",
            f"Hủy lịch: {event.title}",
            f"{_when(event)}. Lý do: {reason}" if reason else _when(event),
            exclude=actor.id,
        )
    return get_event(actor, event.id)
