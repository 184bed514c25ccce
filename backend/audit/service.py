"""Writing and verifying the audit chain (nhật ký)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from backend.core.db import atomic, session
from backend.core.errors import Forbidden, NotFound
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import utcnow
from backend.org.models import Role, User

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1


def _digest(event: AuditEvent) -> str:
    payload = [
        event.prev_hash,
        event.seq,
        event.occurred_at.isoformat(timespec="microseconds"),
        event.actor_id,
        event.device_id,
        event.organisation_id,
        event.action,
        event.object_type,
        event.object_id,
        event.data,
    ]
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def ensure_head() -> None:
    with atomic() as s:
        if s.get(AuditHead, HEAD_ID) is None:
            s.add(AuditHead(id=HEAD_ID, seq=0, hash=GENESIS))


def record(
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: User | None = None,
    organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the service's ``atomic()`` block, so the event
    commits with the change it describes or not at all."""
    with atomic() as s:
        head = s.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
        if head is None:
            head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
            s.add(head)
        device_id = g.get("current_device_id") if has_request_context() else None
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=utcnow(),
            actor_id=actor.id if actor else None,
            device_id=device_id,
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=str),
            prev_hash=head.hash,
        )
        event.hash = _digest(event)
        head.seq = event.seq
        head.hash = event.hash
        s.add(event)
        s.flush()
        return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify(batch: int = 2000) -> VerifyResult:
    """Walk the chain from the first event; report the first broken link."""
    s = session()
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "event missing (deleted)")
            if event.prev_hash != expected_prev:
                return VerifyResult(False, checked, event.seq, "link to previous event broken")
            if _digest(event) != event.hash:
                return VerifyResult(False, checked, event.seq, "event content was changed")
            expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
            checked += 1
        s.expunge_all()
    head = s.get(AuditHead, HEAD_ID)
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        return VerifyResult(False, checked, last_seq + 1, "events at the end were deleted")
    return VerifyResult(True, checked)


def _require_admin(actor: User, organisation_id: int) -> None:
    if organisation_id not in actor.organisation_ids:
        raise NotFound("No such organisation.")
    if Role.ADMIN not in actor.roles_in(organisation_id):
        raise Forbidden("Only the organisation's administrators may read its audit trail.")


def verify_for(actor: User, organisation_id: int) -> dict[str, Any]:
    """The chain check for an administrator's screen (the chain is one for the whole
    installation: an event of any agency breaks it for all)."""
    _require_admin(actor, organisation_id)
    result = verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "broken_at": result.broken_at,
        "reason": result.reason,
        "verified_at": utcnow(),
    }


def list_events(actor: User, organisation_id: int, *, cursor: str | None, limit: int) -> Page:
    """The organisation's audit trail, newest first; admins of that organisation only."""
    _require_admin(actor, organisation_id)
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    after = decode_cursor(cursor, 1)
    if after:
        query = query.where(AuditEvent.seq < int(after[0]))
    rows = session().scalars(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].seq]) if more and rows else None)
