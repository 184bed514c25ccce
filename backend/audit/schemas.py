from __future__ import annotations

import json

from marshmallow import Schema, fields

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime


class AuditEventSchema(Schema):
    seq = Integer()
    occurred_at = VNDateTime()
    actor_id = Integer(allow_none=True)
    device_id = Integer(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    data = fields.Function(lambda e: json.loads(e.data))
    hash = fields.String()


class AuditArgsSchema(PageArgsSchema):
    organisation_id = Integer(required=True)


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))


class OrganisationArgsSchema(Schema):
    organisation_id = Integer(required=True)


class VerifyResultSchema(Schema):
    ok = fields.Boolean(metadata={"description": "every link of the chain holds"})
    checked = Integer(metadata={"description": "events checked before a break (or all)"})
    broken_at = Integer(
        allow_none=True, metadata={"description": "sequence number of the first broken event"}
    )
    reason = fields.String(metadata={"description": "what is wrong there (English)"})
    breaks = fields.List(
        fields.String(), metadata={"description": "every break found (runs on one line)"}
    )
    anchors = Integer(metadata={"description": "TSA anchors the chain was held against"})
    timestamped_anchors = Integer(metadata={"description": "of them, with a valid timestamp"})
    verified_at = VNDateTime()
