"""Writing and verifying the audit chain (nhật ký).

Each event's hash is an HMAC-SHA256, under ``AUDIT_KEY`` (kept outside the database), of
its content and the previous event's hash: who can write the database but does not hold
the key can neither edit an event nor recompute the ones after it unnoticed. Anchors
(``anchors.py``: the head's hash, timestamped by a TSA and kept outside the database)
reveal what the key cannot: events deleted from the end with the head moved back.

Chains written before the key (plain SHA-256) are kept as they are: the first keyed
event is an epoch marker (``audit.chain_keyed``) whose keyed hash covers the last legacy
hash, so the legacy part cannot be rewritten after it either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import select

from backend.core.db import atomic, session
from backend.core.errors import Forbidden, NotFound
from backend.core.pagination import Page, decode_cursor, encode_cursor
from backend.core.timeutil import utcnow
from backend.org.models import Role, User

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1
HEAD_CACHE, KEYED_CHECKED = "audit_head", "audit_keyed_checked"  # per transaction
EPOCH_ACTION = "audit.chain_keyed"


def _content(event: AuditEvent) -> bytes:
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
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _key() -> bytes:
    return current_app.extensions["settings"].audit_key.encode()


def _digest(event: AuditEvent, key: bytes | None = None) -> str:
    """The keyed hash of an event."""
    return hmac.new(key or _key(), _content(event), hashlib.sha256).hexdigest()


def _legacy_digest(event: AuditEvent) -> str:
    """The hash of events written before the chain was keyed."""
    return hashlib.sha256(_content(event)).hexdigest()


def _append(s: Any, head: AuditHead, event: AuditEvent) -> AuditEvent:
    event.seq = head.seq + 1
    event.prev_hash = head.hash
    event.hash = _digest(event)
    head.seq, head.hash = event.seq, event.hash
    s.add(event)
    s.flush()
    return event


def _locked_head(s: Any) -> AuditHead:
    """The chain's head, locked until the commit — read once per transaction (a signing
    batch records several events in one)."""
    transaction = s.get_transaction()
    cached = s.info.get(HEAD_CACHE)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    head = s.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
        s.add(head)
    s.info[HEAD_CACHE] = (transaction, head)
    return head


def _mark_epoch_if_legacy(s: Any, head: AuditHead) -> AuditEvent | None:
    """A chain whose last event was written before the key (a valid plain SHA-256 hash)
    gets the epoch marker before anything else is appended."""
    if head.seq == 0 or s.info.get(KEYED_CHECKED) is s.get_transaction():
        return None
    s.info[KEYED_CHECKED] = s.get_transaction()  # once keyed, the chain stays keyed
    last = s.get(AuditEvent, head.seq)
    if last is None or hmac.compare_digest(last.hash, _digest(last)):
        return None
    if last.hash != _legacy_digest(last):  # neither keyed nor legacy: tampered, verify says so
        return None
    marker = AuditEvent(
        occurred_at=utcnow(),
        action=EPOCH_ACTION,
        object_type="audit_chain",
        object_id=str(HEAD_ID),
        data=json.dumps({"legacy_events": head.seq, "legacy_head": head.hash}, sort_keys=True),
    )
    return _append(s, head, marker)


def ensure_head() -> None:
    with atomic() as s:
        if s.get(AuditHead, HEAD_ID) is None:
            s.add(AuditHead(id=HEAD_ID, seq=0, hash=GENESIS))


def ensure_keyed() -> bool:
    """Key an existing chain now (``flask db-upgrade`` and the anchoring task call this):
    returns whether an epoch marker was appended."""
    with atomic() as s:
        return _mark_epoch_if_legacy(s, _locked_head(s)) is not None


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
        head = _locked_head(s)
        _mark_epoch_if_legacy(s, head)
        device_id = g.get("current_device_id") if has_request_context() else None
        event = AuditEvent(
            occurred_at=utcnow(),
            actor_id=actor.id if actor else None,
            device_id=device_id,
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=str),
        )
        return _append(s, head, event)


@dataclass
class Break:
    """Events ``first``…``last`` fail for ``reason``."""

    first: int
    last: int
    reason: str

    def __str__(self) -> str:
        if not self.first:  # not about events (an anchor file)
            return self.reason
        if self.first == self.last:
            return f"event {self.first}: {self.reason}"
        return f"events {self.first}–{self.last}: {self.reason}"


@dataclass
class VerifyResult:
    checked: int
    breaks: list[Break] = field(default_factory=list)
    keyed_from: int | None = None  # first keyed event (1 unless the chain predates the key)
    anchors: int = 0  # anchors checked against the chain
    timestamped: int = 0  # of them, with a valid TSA timestamp
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken_at(self) -> int | None:
        return self.breaks[0].first if self.breaks else None

    @property
    def reason(self) -> str:
        return self.breaks[0].reason if self.breaks else ""

    def add(self, first: int, last: int, reason: str) -> None:
        # runs of the same failure read as one line: "events 12–4031: …"
        if self.breaks and self.breaks[-1].reason == reason and self.breaks[-1].last == first - 1:
            self.breaks[-1].last = last
        else:
            self.breaks.append(Break(first, last, reason))


CHANGED = "content does not match its keyed hash (changed, or rehashed without the key)"
LEGACY_CHANGED = "content was changed (an event from before the key)"


def verify(
    batch: int = 2000,
    *,
    anchor_dir: str | None = None,
    trust_roots: list | None = None,
) -> VerifyResult:
    """Walk the whole chain and report every break, not only the first; then hold the
    chain against its anchors (``anchor_dir``, by default the configured one)."""
    from . import anchors

    s = session()
    key = _key()
    result = VerifyResult(checked=0)
    expected_prev, expected_seq = GENESIS, 1
    last_seq = 0
    mode = ""  # "" until the first event: "legacy" (before the key) or "keyed"
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
                result.add(expected_seq, event.seq - 1, "missing (deleted)")
            elif event.prev_hash != expected_prev:
                result.add(event.seq, event.seq, "link to the previous event broken")
            keyed = hmac.compare_digest(event.hash, _digest(event, key))
            if mode == "keyed":
                if not keyed:
                    result.add(event.seq, event.seq, CHANGED)
            elif keyed:
                if mode == "legacy" and event.action != EPOCH_ACTION:
                    result.add(event.seq, event.seq, "keyed event without the epoch marker")
                mode, result.keyed_from = "keyed", event.seq
            elif event.hash == _legacy_digest(event) and event.action != EPOCH_ACTION:
                mode = "legacy"
            else:
                result.add(event.seq, event.seq, LEGACY_CHANGED if mode else CHANGED)
            expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
            result.checked += 1
        s.expunge_all()
    if mode == "legacy":
        result.add(
            last_seq, last_seq, "the chain is not keyed: its epoch marker is missing or forged"
        )
    head = s.get(AuditHead, HEAD_ID)
    if head is None and last_seq:
        result.add(last_seq + 1, last_seq + 1, "the chain's head row is missing")
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        result.add(
            last_seq + 1,
            max(head.seq, last_seq + 1),
            f"the head says {head.seq} events; the chain ends at {last_seq}",
        )
    anchors.check(result, last_seq, anchor_dir=anchor_dir, trust_roots=trust_roots)
    return result


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
        "breaks": [str(b) for b in result.breaks],
        "anchors": result.anchors,
        "timestamped_anchors": result.timestamped,
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
