from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint

from . import service
from .schemas import (
    AuditArgsSchema,
    AuditPageSchema,
    OrganisationArgsSchema,
    VerifyResultSchema,
)

blp = Blueprint("audit", __name__, url_prefix="/api", description="Audit trail")


@blp.route("/audit-events")
class AuditEvents(MethodView):
    @blp.arguments(AuditArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict):
        """The organisation's audit trail, newest first (admins)"""
        return service.list_events(
            current_user(), args["organisation_id"], cursor=args["cursor"], limit=args["limit"]
        )


@blp.route("/audit-events/verify")
class AuditVerify(MethodView):
    @blp.arguments(OrganisationArgsSchema, location="query")
    @blp.response(200, VerifyResultSchema)
    def get(self, args: dict):
        """Walk the whole hash chain now and report the first broken link (admins)"""
        return service.verify_for(current_user(), args["organisation_id"])
