from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.documents.models import Direction

from . import service
from .schemas import ExportArgsSchema, RegisterArgsSchema, RegisterPageSchema

blp = Blueprint(
    "registers", __name__, url_prefix="/api", description="Outgoing and incoming registers"
)
DIRECTIONS = "<any(outgoing, incoming):direction>"


@blp.route(f"/registers/{DIRECTIONS}")
class Register(MethodView):
    @blp.arguments(RegisterArgsSchema, location="query")
    @blp.response(200, RegisterPageSchema)
    def get(self, args: dict, direction: str):
        """Sổ văn bản đi / đến for a year, in number order, with the legal columns"""
        cursor, limit = args.pop("cursor"), args.pop("limit")
        return service.list_entries(
            current_user(), direction=Direction(direction), cursor=cursor, limit=limit, **args
        )


@blp.route(f"/registers/{DIRECTIONS}/export.csv")
class RegisterExport(MethodView):
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict, direction: str):
        """The register as CSV (UTF-8 with BOM; Vietnamese column headers)"""
        body = service.export_csv(current_user(), direction=Direction(direction), **args)
        filename = f"so-van-ban-{'di' if direction == 'outgoing' else 'den'}-{args['year']}.csv"
        return Response(
            body,
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Type": "text/csv; charset=utf-8",
            },
        )
