from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.http import if_match_header
from backend.core.idempotency import idempotent

from . import service
from .schemas import (
    CancelSchema,
    EventCreateSchema,
    EventSchema,
    EventUpdateSchema,
    WeekArgsSchema,
    WeekSchema,
)

blp = Blueprint(
    "calendar", __name__, url_prefix="/api", description="Work calendar (lịch công tác)"
)


@blp.route("/calendar")
class Week(MethodView):
    @blp.arguments(WeekArgsSchema, location="query")
    @blp.response(200, WeekSchema)
    def get(self, args: dict):
        """A week of the agency's calendar, or of one leader (events they chair or attend)"""
        return service.get_week(current_user(), **args)


@blp.route("/calendar/events")
class Events(MethodView):
    @idempotent
    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    def post(self, data: dict):
        """Add a meeting or event (the office: clerk or admin); its people are notified"""
        event = service.create_event(current_user(), data)
        return event, {"ETag": event.etag, "Location": f"/api/calendar/events/{event.id}"}


@blp.route("/calendar/events/<int:event_id>")
class EventView(MethodView):
    @blp.response(200, EventSchema)
    def get(self, event_id: int):
        event = service.get_event(current_user(), event_id)
        return event, {"ETag": event.etag}

    @blp.arguments(EventUpdateSchema)
    @blp.response(200, EventSchema)
    def patch(self, changes: dict, event_id: int):
        """Change an event (the office, If-Match required); its people are notified"""
        event = service.update_event(current_user(), event_id, if_match_header(), changes)
        return event, {"ETag": event.etag}


@blp.route("/calendar/events/<int:event_id>/cancel")
class EventCancel(MethodView):
    @idempotent
    @blp.arguments(CancelSchema)
    @blp.response(200, EventSchema)
    def post(self, data: dict, event_id: int):
        """Cancel an event (the office, If-Match required); it stays in the week, marked"""
        event = service.cancel_event(current_user(), event_id, if_match_header(), data["reason"])
        return event, {"ETag": event.etag}
