from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.assignments.schemas import person
from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime
from backend.documents.schemas import DocumentSchema

from .service import BUCKETS


class ReportArgsSchema(Schema):
    start = fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "first day (Vietnam time); the 1st of this month by default"},
    )
    end = fields.Date(
        data_key="to", load_default=None, metadata={"description": "last day; today by default"}
    )
    organisation_id = Integer(load_default=None)
    unit_id = Integer(load_default=None)
    by = fields.String(load_default="unit", validate=validate.OneOf(["unit", "person"]))


class DrillDownArgsSchema(PageArgsSchema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    organisation_id = Integer(load_default=None)
    unit_id = Integer(load_default=None)
    user_id = Integer(
        load_default=None, metadata={"description": "a person's sub-assignments (by=person)"}
    )
    bucket = fields.String(required=True, validate=validate.OneOf(["received", *BUCKETS]))


class FiguresSchema(Schema):
    received = Integer(metadata={"description": "Tiếp nhận"})
    completed_on_time = Integer(metadata={"description": "Hoàn thành đúng hạn"})
    completed_late = Integer(metadata={"description": "Hoàn thành quá hạn"})
    in_progress_on_time = Integer(metadata={"description": "Đang xử lý trong hạn"})
    in_progress_overdue = Integer(metadata={"description": "Đang xử lý quá hạn"})


class ReportRowSchema(FiguresSchema):
    unit_id = Integer()
    unit_name = fields.String()
    user_id = Integer(metadata={"description": "by=person"})
    full_name = fields.String(metadata={"description": "by=person"})


class ReportSchema(Schema):
    organisation_id = Integer()
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    by = fields.String()
    generated_at = VNDateTime()
    rows = fields.List(fields.Nested(ReportRowSchema))
    totals = fields.Nested(FiguresSchema)


class DrillDownItemSchema(Schema):
    assignment_id = Integer()
    document_id = Integer()
    document = fields.Nested(
        DocumentSchema,
        allow_none=True,
        metadata={"description": "when you may open the document"},
    )
    role = fields.String()
    unit_id = Integer()
    unit_name = fields.String()
    assignee = fields.Function(lambda i: person(i["assignee"]), allow_none=True)
    deadline = fields.Date(allow_none=True)
    state = fields.String()
    timeliness = fields.String()
    created_at = VNDateTime()
    completed_at = VNDateTime(allow_none=True)


class DrillDownPageSchema(PageSchema):
    items = fields.List(fields.Nested(DrillDownItemSchema))


class DashboardCountsSchema(Schema):
    open = Integer()
    due_soon = Integer(metadata={"description": "deadline within REMINDER_BEFORE_HOURS"})
    overdue = Integer()


class AssignedByMeSchema(Schema):
    open = Integer()
    late_documents = Integer(
        metadata={"description": "documents with an assignment of mine past its deadline"}
    )


class LateUnitSchema(Schema):
    unit_id = Integer()
    unit_name = fields.String()
    overdue = Integer()


class DashboardSchema(Schema):
    generated_at = VNDateTime()
    mine = fields.Nested(
        DashboardCountsSchema, metadata={"description": "given to me or a unit I head"}
    )
    unit = fields.Nested(DashboardCountsSchema, metadata={"description": "my units' assignments"})
    assigned_by_me = fields.Nested(AssignedByMeSchema)
    late_units = fields.List(
        fields.Nested(LateUnitSchema),
        allow_none=True,
        metadata={"description": "leaders: the five units with the most overdue work"},
    )
    issued_this_month = Integer(
        allow_none=True,
        metadata={"description": "leaders, admins: documents issued this month (Vietnam time)"},
    )
