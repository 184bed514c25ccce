from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime

STATES = ["pending", "sending", "sent", "failed"]


class MailDeliveryListArgsSchema(PageArgsSchema):
    organisation_id = Integer(required=True)
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))


class MailDeliverySchema(Schema):
    id = Integer()
    kind = fields.String(attribute="message.kind")
    subject = fields.String(attribute="message.subject")
    document_id = Integer(attribute="message.document_id", allow_none=True)
    address = fields.String()
    display_name = fields.String()
    state = fields.String(metadata={"description": "pending | sending | sent | failed"})
    attempts = Integer()
    next_attempt_at = VNDateTime(allow_none=True)
    last_error = fields.String(metadata={"description": "the server's last answer"})
    created_at = VNDateTime()
    sent_at = VNDateTime(allow_none=True)


class MailDeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(MailDeliverySchema))


class DocumentMailDeliverySchema(Schema):
    """One recipient of an issued document reached by e-mail (its status line)."""

    id = Integer()
    channel = fields.Constant("email")
    recipient = fields.String(attribute="display_name")
    address = fields.String()
    state = fields.String(metadata={"description": "pending | sending | sent | failed"})
    attempts = Integer()
    last_error = fields.String()
    sent_at = VNDateTime(allow_none=True)
    delivered_as = fields.Function(
        lambda d: "attachment" if d.message.attachments else "link",
        metadata={"description": "attachment | link (an expiring download link)"},
    )


class MailPreferencesSchema(Schema):
    email = fields.String(dump_only=True, allow_none=True)
    always_kinds = fields.List(
        fields.String(), metadata={"description": "notification kinds always sent by e-mail"}
    )
    digest = fields.Boolean(metadata={"description": "the morning digest (leaders and heads)"})


class SinkListArgsSchema(Schema):
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=500))


class SinkMessageSchema(Schema):
    name = fields.String()
    delivered_to = fields.String()
    sender = fields.String(data_key="from", attribute="from")
    to = fields.String()
    subject = fields.String()
    date = fields.String()
    size = Integer()


class SinkAttachmentSchema(Schema):
    filename = fields.String(allow_none=True)
    content_type = fields.String()
    size = Integer()


class SinkMessageDetailSchema(SinkMessageSchema):
    message_id = fields.String()
    text = fields.String()
    html = fields.String()
    attachments = fields.List(fields.Nested(SinkAttachmentSchema))


class SinkReadArgsSchema(Schema):
    raw = fields.Boolean(load_default=False, metadata={"description": "the .eml itself"})
