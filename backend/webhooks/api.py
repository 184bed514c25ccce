from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.idempotency import idempotent

from . import service
from .schemas import (
    DeliveryListArgsSchema,
    DeliveryPageSchema,
    DeliverySchema,
    EndpointCreatedSchema,
    EndpointCreateSchema,
    EndpointListArgsSchema,
    EndpointSchema,
    EndpointUpdateSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/api", description="Webhooks for other systems")


@blp.route("/webhooks")
class Endpoints(MethodView):
    @blp.arguments(EndpointListArgsSchema, location="query")
    @blp.response(200, EndpointSchema(many=True))
    def get(self, args: dict):
        """The organisation's webhook endpoints (admins)"""
        return service.list_endpoints(current_user(), args["organisation_id"])

    @idempotent
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, EndpointCreatedSchema)
    def post(self, data: dict):
        """Register an HTTPS endpoint for document events; the answer holds its secret once"""
        return service.create_endpoint(current_user(), data)


@blp.route("/webhooks/<int:endpoint_id>")
class EndpointView(MethodView):
    @blp.arguments(EndpointUpdateSchema)
    @blp.response(200, EndpointSchema)
    def patch(self, data: dict, endpoint_id: int):
        """Change the URL or events, or switch it back on after it was disabled"""
        return service.update_endpoint(current_user(), endpoint_id, data)

    @blp.response(204)
    def delete(self, endpoint_id: int):
        service.delete_endpoint(current_user(), endpoint_id)


@blp.route("/webhooks/<int:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryListArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict, endpoint_id: int):
        """The delivery log, newest first"""
        return service.list_deliveries(current_user(), endpoint_id, args["cursor"], args["limit"])


@blp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
class Resend(MethodView):
    @idempotent
    @blp.response(200, DeliverySchema)
    def post(self, endpoint_id: int, delivery_id: int):
        """Send a delivery again"""
        return service.resend(current_user(), endpoint_id, delivery_id)
