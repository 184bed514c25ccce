from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.auth.guard import current_user

from . import service
from .schemas import (
    NotificationListArgsSchema,
    NotificationPageSchema,
    NotificationSchema,
    ReadAllSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api", description="In-app notifications")


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationListArgsSchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict):
        """My notifications, newest first"""
        return service.list_notifications(
            current_user(), unread_only=args["unread"], cursor=args["cursor"], limit=args["limit"]
        )


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int):
        """Mark one notification read"""
        return service.mark_read(current_user(), notification_id)


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark all my notifications read"""
        return {"marked": service.mark_all_read(current_user())}
