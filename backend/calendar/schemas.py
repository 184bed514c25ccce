from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.schemas import Integer, VNDateTime
from backend.core.timeutil import VN_TZ


def _person(user: object | None) -> dict | None:
    return {"id": user.id, "full_name": user.full_name} if user is not None else None  # type: ignore[attr-defined]


def _when(**kw: object) -> fields.AwareDateTime:
    # A time without an offset is Vietnam time.
    return fields.AwareDateTime(default_timezone=VN_TZ, **kw)  # type: ignore[arg-type]


class EventCreateSchema(Schema):
    organisation_id = Integer(load_default=None)
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "nội dung"},
    )
    starts_at = _when(required=True)
    ends_at = _when(required=True)
    place = fields.String(load_default="", validate=validate.Length(max=255))
    chair_id = Integer(load_default=None, allow_none=True, metadata={"description": "chủ trì"})
    participant_ids = fields.List(Integer(), load_default=list, validate=validate.Length(max=200))
    document_ids = fields.List(
        Integer(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "documents to bring; ones the editor can open"},
    )
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class EventUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=500))
    starts_at = _when()
    ends_at = _when()
    place = fields.String(validate=validate.Length(max=255))
    chair_id = Integer(allow_none=True)
    participant_ids = fields.List(Integer(), validate=validate.Length(max=200))
    document_ids = fields.List(Integer(), validate=validate.Length(max=50))
    notes = fields.String(validate=validate.Length(max=4000))


class CancelSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class WeekArgsSchema(Schema):
    week = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{4}-W\d{2}$"),
        metadata={"description": "ISO week, e.g. 2026-W48; this week by default"},
    )
    organisation_id = Integer(load_default=None)
    leader_id = Integer(
        load_default=None, metadata={"description": "only events this person chairs or attends"}
    )


class EventDocumentSchema(Schema):
    id = Integer()
    subject = fields.String()
    number_symbol = fields.String(allow_none=True)


class EventSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    title = fields.String()
    starts_at = VNDateTime()
    ends_at = VNDateTime()
    place = fields.String()
    chair = fields.Function(lambda e: _person(e.chair), allow_none=True)
    participants = fields.Function(lambda e: [_person(p.user) for p in e.participants])
    documents = fields.List(
        fields.Nested(EventDocumentSchema),
        metadata={"description": "the attached documents you can open"},
    )
    notes = fields.String()
    status = fields.String(metadata={"description": "scheduled | cancelled"})
    cancel_reason = fields.String()
    cancelled_at = VNDateTime(allow_none=True)
    created_by = fields.Function(lambda e: _person(e.created_by))
    created_at = VNDateTime()
    updated_at = VNDateTime()
    etag = fields.String()


class WeekSchema(Schema):
    week = fields.String()
    starts_on = fields.Date(metadata={"description": "Monday"})
    ends_on = fields.Date(metadata={"description": "Sunday"})
    organisation_id = Integer()
    leader_id = Integer(allow_none=True)
    events = fields.List(fields.Nested(EventSchema))
