from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.schemas import Integer, VNDateTime
from backend.org.schemas import UserSchema


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    device_name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120),
        metadata={"description": "e.g. 'iPhone của anh Thắng'"},
    )


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class DeviceSchema(Schema):
    id = Integer()
    name = fields.String()
    user_agent = fields.String()
    last_ip = fields.String()
    created_at = VNDateTime()
    last_seen_at = VNDateTime()
    revoked_at = VNDateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
    active = fields.Boolean()
    current = fields.Boolean()


class TokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = Integer(metadata={"description": "seconds"})
    device = fields.Nested(DeviceSchema)
    user = fields.Nested(UserSchema)


class MeSchema(UserSchema):
    device = fields.Nested(DeviceSchema)
