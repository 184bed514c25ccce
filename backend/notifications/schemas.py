from __future__ import annotations

from marshmallow import Schema, fields

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import PageSchema, VNDateTime


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    document_id = fields.Integer(allow_none=True)
    urgent = fields.Boolean()
    created_at = VNDateTime()
    read_at = VNDateTime(allow_none=True)


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))


class ReadAllSchema(Schema):
    marked = fields.Integer()
