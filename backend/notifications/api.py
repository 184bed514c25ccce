from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_device_id, current_user
from backend.core.api import Blueprint
from backend.core.idempotency import idempotent

from . import service
from .schemas import (
    NotificationListArgsSchema,
    NotificationPageSchema,
    NotificationSchema,
    PreferencesSchema,
    ReadAllSchema,
    SubscriptionCreateSchema,
    SubscriptionSchema,
    VapidKeySchema,
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
    @idempotent
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int):
        """Mark one notification read"""
        return service.mark_read(current_user(), notification_id)


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    @idempotent
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark all my notifications read"""
        return {"marked": service.mark_all_read(current_user())}


@blp.route("/push/vapid-public-key")
class VapidKey(MethodView):
    @blp.response(200, VapidKeySchema)
    def get(self):
        """The key the browser subscribes with (applicationServerKey)"""
        return {"public_key": service.vapid_public_key()}


@blp.route("/push/subscriptions")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionSchema(many=True))
    def get(self):
        """My push subscriptions, with the device each belongs to"""
        return service.list_subscriptions(current_user())

    @idempotent
    @blp.arguments(SubscriptionCreateSchema)
    @blp.response(201, SubscriptionSchema)
    def post(self, data: dict):
        """Subscribe this device to Web Push (replaces its earlier subscription)"""
        return service.subscribe(current_user(), current_device_id(), data)


@blp.route("/push/subscriptions/<int:subscription_id>")
class SubscriptionView(MethodView):
    @blp.response(204)
    def delete(self, subscription_id: int):
        service.unsubscribe(current_user(), subscription_id)


@blp.route("/me/notification-preferences")
class Preferences(MethodView):
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Which kinds I want pushed, and my quiet hours (Vietnam time)"""
        return service.get_preferences(current_user())

    @blp.arguments(PreferencesSchema, required=True)  # a PUT without a body is a mistake
    @blp.response(200, PreferencesSchema)
    def put(self, data: dict):
        return service.update_preferences(current_user(), data)
