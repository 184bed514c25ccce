from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime
from backend.documents.schemas import DocumentSchema

from .models import AssignmentState

STATES = [s.value for s in AssignmentState]


def person(user: Any) -> dict[str, Any] | None:
    return {"id": user.id, "full_name": user.full_name} if user is not None else None


def unit_ref(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.id, "name": unit.name, "abbreviation": unit.abbreviation} if unit else None


# -- input ------------------------------------------------------------------------------------


class UnitDeadlineSchema(Schema):
    unit_id = Integer(required=True)
    deadline = fields.Date(required=True, metadata={"description": "hạn xử lý (Vietnam date)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class UnitOnlySchema(Schema):
    unit_id = Integer(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class AssignCreateSchema(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "ý kiến chỉ đạo"},
    )
    lead = fields.Nested(UnitDeadlineSchema, required=True, metadata={"description": "chủ trì"})
    cooperating = fields.List(
        fields.Nested(UnitDeadlineSchema), load_default=list, metadata={"description": "phối hợp"}
    )
    fyi = fields.List(
        fields.Nested(UnitOnlySchema), load_default=list, metadata={"description": "để biết"}
    )


class SubAssignItemSchema(Schema):
    assignee_id = Integer(required=True)
    deadline = fields.Date(required=True)
    text = fields.String(load_default="", validate=validate.Length(max=2000))


class SubAssignSchema(Schema):
    items = fields.List(fields.Nested(SubAssignItemSchema), required=True)


class ProgressCreateSchema(Schema):
    percent = Integer(required=True, validate=validate.Range(min=0, max=100))
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class ExtensionCreateSchema(Schema):
    deadline = fields.Date(required=True, metadata={"description": "the date asked for"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ExtensionDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "refuse"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CompleteSchema(Schema):
    result = fields.String(required=True, validate=validate.Length(min=1, max=8000))
    reply_document_id = Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "an outgoing draft answering the document (văn bản trả lời)"},
    )


class AssignmentArgsSchema(PageArgsSchema):
    scope = fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "unit", "assigned_by_me"]),
        metadata={"description": "mine | unit (my units') | assigned_by_me (following)"},
    )
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    overdue = fields.Boolean(load_default=None)
    unit_id = Integer(load_default=None)


# -- output -----------------------------------------------------------------------------------


class ProgressFileSchema(Schema):
    id = Integer()
    filename = fields.String()
    content_type = fields.String()
    size = Integer()


class ProgressFilesSchema(Schema):
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        metadata={"description": "1–5 files"},
    )


class ProgressSchema(Schema):
    id = Integer()
    percent = Integer()
    note = fields.String()
    files = fields.List(fields.Nested(ProgressFileSchema))
    author = fields.Function(lambda p: person(p.author))
    created_at = VNDateTime()


class ExtensionSchema(Schema):
    id = Integer()
    old_deadline = fields.Date()
    requested_deadline = fields.Date()
    reason = fields.String()
    status = fields.String(metadata={"description": "pending | accepted | refused"})
    requested_by = fields.Function(lambda e: person(e.requested_by))
    decided_by = fields.Function(lambda e: person(e.decided_by), allow_none=True)
    decided_at = VNDateTime(allow_none=True)
    decision_note = fields.String()
    created_at = VNDateTime()


class ReplyDocumentSchema(Schema):
    id = Integer()
    subject = fields.String()
    status = fields.String()
    number_symbol = fields.String(allow_none=True)


class AssignmentDetailSchema(Schema):
    id = Integer()
    document_id = Integer()
    parent_id = Integer(allow_none=True)
    role = fields.String(metadata={"description": "lead | cooperate | fyi"})
    unit = fields.Function(lambda a: unit_ref(a.unit))
    assignee = fields.Function(lambda a: person(a.assignee), allow_none=True)
    assigner = fields.Function(lambda a: person(a.assigner))
    text = fields.String()
    deadline = fields.Date(allow_none=True)
    original_deadline = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "new | in_progress | completed"})
    timeliness = fields.String(
        metadata={"description": "on_time | late (completed after, or open past, the deadline)"}
    )
    overdue = fields.Boolean(metadata={"description": "open and past its deadline"})
    progress = Integer()
    result = fields.String()
    reply_document_id = Integer(allow_none=True)
    reply_document = fields.Nested(
        ReplyDocumentSchema,
        allow_none=True,
        metadata={"description": "shown when you may open the reply"},
    )
    created_at = VNDateTime()
    started_at = VNDateTime(allow_none=True)
    completed_at = VNDateTime(allow_none=True)
    progress_reports = fields.List(fields.Nested(ProgressSchema))
    extensions = fields.List(fields.Nested(ExtensionSchema))
    etag = fields.String()


class AssignmentTreeSchema(AssignmentDetailSchema):
    children = fields.List(
        fields.Nested(AssignmentDetailSchema), metadata={"description": "people"}
    )


class AssignmentListItemSchema(AssignmentDetailSchema):
    document = fields.Nested(DocumentSchema)


class AssignmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(AssignmentListItemSchema))


class ProcessingSchema(Schema):
    state = fields.String(metadata={"description": "the lead unit's: new, in_progress, completed"})
    timeliness = fields.String()
    deadline = fields.Date(allow_none=True)
    assigned_at = VNDateTime()
    assigned_by = fields.Function(lambda p: person(p["assigned_by"]))
    lead_unit = fields.Function(lambda p: unit_ref(p["lead_unit"]))
    completed_at = VNDateTime(allow_none=True)


class DocumentAssignmentsSchema(Schema):
    document_id = Integer()
    document_status = fields.String()
    processing = fields.Nested(ProcessingSchema, allow_none=True)
    assignments = fields.List(fields.Nested(AssignmentTreeSchema))
