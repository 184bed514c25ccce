from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime


class NotificationSchema(Schema):
    id = Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    document_id = Integer(allow_none=True)
    urgent = fields.Boolean()
    created_at = VNDateTime()
    read_at = VNDateTime(allow_none=True)


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))


class ReadAllSchema(Schema):
    marked = Integer()


class SubscriptionKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=20, max=200))
    auth = fields.String(required=True, validate=validate.Length(min=8, max=100))


class SubscriptionCreateSchema(Schema):
    """The browser's PushSubscription.toJSON()."""

    endpoint = fields.Url(
        required=True,
        schemes={"https", "http"},
        require_tld=False,
        validate=validate.Length(max=1000),
    )
    keys = fields.Nested(SubscriptionKeysSchema, required=True)
    expirationTime = fields.Raw(load_default=None, allow_none=True)  # noqa: N815 - browser's name


class SubscriptionSchema(Schema):
    id = Integer()
    endpoint = fields.String()
    device_id = Integer()
    created_at = VNDateTime()
    last_success_at = VNDateTime(allow_none=True)


class VapidKeySchema(Schema):
    public_key = fields.String(metadata={"description": "applicationServerKey, base64url"})


class PreferencesSchema(Schema):
    muted_kinds = fields.List(fields.String(), load_default=list)
    quiet_start = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")
    )
    quiet_end = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")
    )
