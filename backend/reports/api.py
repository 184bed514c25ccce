from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint

from . import service
from .schemas import (
    DashboardSchema,
    DrillDownArgsSchema,
    DrillDownPageSchema,
    ReportArgsSchema,
    ReportSchema,
)

blp = Blueprint(
    "reports", __name__, url_prefix="/api", description="Processing reports and the dashboard"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(args: dict, extension: str) -> str:
    start, end, _, _ = service.period_bounds(args["start"], args["end"])
    return f"tinh-hinh-giai-quyet-{start:%Y%m%d}-{end:%Y%m%d}.{extension}"


@blp.route("/reports/processing")
class Processing(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args: dict):
        """Tình hình giải quyết: per unit (or person), what was received in the period and
        how it stands — completed on time / late, in progress within / past the deadline"""
        return service.processing(current_user(), **args)


@blp.route("/reports/processing/documents")
class ProcessingDocuments(MethodView):
    @blp.arguments(DrillDownArgsSchema, location="query")
    @blp.response(200, DrillDownPageSchema)
    def get(self, args: dict):
        """The assignments (and documents) behind one figure of the report"""
        return service.documents_in_bucket(current_user(), **args)


@blp.route("/reports/processing/export.csv")
class ProcessingCsv(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict):
        """The report as CSV (UTF-8 with BOM; Vietnamese column headers)"""
        body = service.export_csv(current_user(), **args)
        return Response(
            body,
            headers={
                "Content-Disposition": f'attachment; filename="{_filename(args, "csv")}"',
                "Content-Type": "text/csv; charset=utf-8",
            },
        )


@blp.route("/reports/processing/export.xlsx")
class ProcessingXlsx(MethodView):
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args: dict):
        """The report as an Excel workbook (Vietnamese column headers)"""
        body = service.export_xlsx(current_user(), **args)
        return Response(
            body,
            headers={
                "Content-Disposition": f'attachment; filename="{_filename(args, "xlsx")}"',
                "Content-Type": XLSX,
            },
        )


@blp.route("/dashboard")
class Dashboard(MethodView):
    @blp.response(200, DashboardSchema)
    def get(self):
        """My home screen's figures: assignments due soon / overdue for me and my units,
        late documents I assigned, and for leaders the five latest units"""
        return service.dashboard(current_user())
