from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime

from .models import EVENTS


class EndpointCreateSchema(Schema):
    organisation_id = Integer(required=True)
    url = fields.Url(
        required=True,
        schemes={"https", "http"},
        require_tld=False,
        validate=validate.Length(max=1000),
    )
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True)
    description = fields.String(load_default="", validate=validate.Length(max=255))


class EndpointUpdateSchema(Schema):
    url = fields.Url(
        schemes={"https", "http"}, require_tld=False, validate=validate.Length(max=1000)
    )
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)))
    active = fields.Boolean()


class EndpointSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String()
    active = fields.Boolean()
    consecutive_failures = Integer()
    disabled_at = VNDateTime(allow_none=True)
    disabled_reason = fields.String()
    created_at = VNDateTime()


class EndpointCreatedSchema(EndpointSchema):
    secret = fields.String(metadata={"description": "shown once: keep it to verify signatures"})


class EndpointListArgsSchema(Schema):
    organisation_id = Integer(required=True)


class DeliverySchema(Schema):
    id = Integer()
    event = fields.String()
    status = fields.String()
    attempts = Integer()
    last_status = Integer(allow_none=True)
    last_error = fields.String()
    next_attempt_at = VNDateTime(allow_none=True)
    created_at = VNDateTime()
    delivered_at = VNDateTime(allow_none=True)
    payload = fields.Function(lambda d: json.loads(d.payload))


class DeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(DeliverySchema))


DeliveryListArgsSchema = PageArgsSchema
