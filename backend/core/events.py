"""Domain events (blinker): a domain that must react to another's change subscribes to
that domain's event here, so no two domains import each other.

Events are sent synchronously inside the sender's ``atomic()`` block: a receiver's writes
commit or roll back with the change itself, and a receiver that raises stops the change
(e.g. a recipient that may not be reached). Receivers that have work to do outside the
transaction use ``backend.core.db.on_commit``.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# workflow — sender: the Document
document_issued = _events.signal(
    "document.issued",
    doc="Ban hành: the number and date are given. kwargs: actor, send_to (recipients picked "
    "from the directory, as the API received them; may be empty).",
)
incoming_registered = _events.signal(
    "incoming.registered",
    doc="Vào sổ đến: an incoming document got its số đến. kwargs: actor, entry.",
)
incoming_refused = _events.signal(
    "incoming.refused",
    doc="Từ chối: the clerk refused an incoming document. kwargs: actor, reason.",
)
timeline_requested = _events.signal(
    "document.timeline",
    doc="The timeline is being read; receivers return extra entries (dicts with ``at``) "
    "for the sender Document. kwargs: actor.",
)

# assignments — sender: the Assignment
assignment_changed = _events.signal(
    "assignment.changed",
    doc="An assignment of a document changed. kwargs: change (assigned | started | "
    "completed), actor, document_done (the lead unit completed: processing is over).",
)
