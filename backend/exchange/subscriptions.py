"""The exchange reacts to other domains' changes through their events (never by being
imported by them): issuing creates deliveries, registering or refusing an incoming
document and the progress of its assignments send statuses back to its sender, and the
timeline shows each recipient's history."""

from __future__ import annotations

from backend.core import events

from . import receiving, sending


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver."""
    events.document_issued.connect(sending.on_document_issued, weak=False)
    events.incoming_registered.connect(receiving.on_incoming_registered, weak=False)
    events.incoming_refused.connect(receiving.on_incoming_refused, weak=False)
    events.assignment_changed.connect(receiving.on_assignment_changed, weak=False)
    events.timeline_requested.connect(sending.timeline_entries, weak=False)
