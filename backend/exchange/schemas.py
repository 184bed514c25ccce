from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime

from .models import ChangeState, Reach, ReceivedState

REACHES = [r.value for r in Reach]
RECEIVED_STATES = [s.value for s in ReceivedState]


# -- directory ------------------------------------------------------------------------------


class DirectoryArgsSchema(PageArgsSchema):
    q = fields.String(load_default=None, metadata={"description": "name or code (either form)"})
    reach = fields.String(load_default=None, validate=validate.OneOf(REACHES))
    include_inactive = fields.Boolean(load_default=False)


class DirectoryEntrySchema(Schema):
    id = Integer(dump_only=True)
    code = fields.String(
        required=True,
        validate=validate.Length(equal=13),
        metadata={"description": "mã định danh, QCVN 102 form: 000.00.00.H41"},
    )
    code_qd20 = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=35),
        metadata={"description": "QĐ 20/2020 form, level-1 code on the left: H41.18"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    parent_id = Integer(load_default=None, allow_none=True)
    parent_name = fields.Function(lambda e: e.parent.name if e.parent else None, dump_only=True)
    reach = fields.String(
        required=True,
        validate=validate.OneOf(REACHES),
        metadata={"description": "installation (this database) | axis (national axis)"},
    )
    organisation_id = Integer(load_default=None, allow_none=True)
    place = fields.String(load_default="", validate=validate.Length(max=100))
    address = fields.String(load_default="", validate=validate.Length(max=255))
    email = fields.String(load_default="", validate=validate.Length(max=255))
    telephone = fields.String(load_default="", validate=validate.Length(max=50))
    fax = fields.String(load_default="", validate=validate.Length(max=50))
    website = fields.String(load_default="", validate=validate.Length(max=255))
    active = fields.Boolean(load_default=True)


class DirectoryUpdateSchema(Schema):
    code = fields.String(validate=validate.Length(equal=13))
    code_qd20 = fields.String(allow_none=True, validate=validate.Length(max=35))
    name = fields.String(validate=validate.Length(min=1, max=255))
    parent_id = Integer(allow_none=True)
    reach = fields.String(validate=validate.OneOf(REACHES))
    organisation_id = Integer(allow_none=True)
    place = fields.String(validate=validate.Length(max=100))
    address = fields.String(validate=validate.Length(max=255))
    email = fields.String(validate=validate.Length(max=255))
    telephone = fields.String(validate=validate.Length(max=50))
    fax = fields.String(validate=validate.Length(max=50))
    website = fields.String(validate=validate.Length(max=255))
    active = fields.Boolean()


class DirectoryPageSchema(PageSchema):
    items = fields.List(fields.Nested(DirectoryEntrySchema))


# -- sending ----------------------------------------------------------------------------------


class HistorySchema(Schema):
    kind = fields.String(metadata={"description": "sent | failed | requested | status"})
    status_code = fields.String(allow_none=True)
    description = fields.String()
    staff = fields.String()
    at = VNDateTime(metadata={"description": "the recipient's time for a status"})
    recorded_at = VNDateTime()


class RecipientSchema(Schema):
    directory_id = Integer(allow_none=True)
    unit_id = Integer(allow_none=True)
    code = fields.String()
    name = fields.String()


class ExchangeDeliverySchema(Schema):
    id = Integer()
    document_id = Integer()
    channel = fields.String(metadata={"description": "installation | axis | unit"})
    recipient = fields.Nested(RecipientSchema)
    transport_state = fields.String(metadata={"description": "pending | sent | failed"})
    last_error = fields.String()
    status_code = fields.String(
        allow_none=True, metadata={"description": "the latest edXML status: 01–06, 13, 15, 16"}
    )
    status_label_vi = fields.String()
    status_label_en = fields.String()
    status_description = fields.String()
    status_at = VNDateTime(allow_none=True)
    history = fields.List(fields.Nested(HistorySchema))


class PickDeliveriesSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    delivery_ids = fields.List(
        Integer(),
        load_default=None,
        allow_none=True,
        metadata={"description": "some recipients only (default: all)"},
    )


class ReplaceSchema(Schema):
    replaces_document_id = Integer(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SentArgsSchema(PageArgsSchema):
    organisation_id = Integer(required=True)
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(["not_received", "refused", "failed"]),
        metadata={
            "description": "not_received: a recipient has not confirmed arrival (01); "
            "refused: a recipient refused it (02); failed: a delivery kept failing"
        },
    )


class SentDocumentSchema(Schema):
    document_id = Integer()
    number_symbol = fields.String(allow_none=True)
    subject = fields.String()
    issued_at = VNDateTime()
    urgency = fields.String()
    deliveries = fields.List(fields.Nested(ExchangeDeliverySchema))


class SentPageSchema(PageSchema):
    items = fields.List(fields.Nested(SentDocumentSchema))


# -- receiving --------------------------------------------------------------------------------


class ReceivedArgsSchema(PageArgsSchema):
    organisation_id = Integer(load_default=None)
    state = fields.String(
        load_default="waiting",
        validate=validate.OneOf(RECEIVED_STATES),
        metadata={
            "description": "waiting (chờ tiếp nhận, the default) | registered | "
            "refused | rejected (refused on arrival) | withdrawn | change"
        },
    )


class SenderSchema(Schema):
    code = fields.String()
    name = fields.String()


class ReceivedFileSchema(Schema):
    kind = fields.String()
    filename = fields.String()
    content_type = fields.String()
    sha256 = fields.String()
    size = Integer()
    page_count = Integer(allow_none=True)


class ChangeSchema(Schema):
    id = Integer()
    received_id = Integer()
    kind = fields.String(metadata={"description": "recall | update | replace"})
    package_id = Integer(allow_none=True)
    reason = fields.String()
    state = fields.String()
    decision_note = fields.String()
    decided_at = VNDateTime(allow_none=True)
    created_at = VNDateTime()


class ReceivedSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    channel = fields.String()
    state = fields.String()
    business_type = Integer(metadata={"description": "0 new, 1 recall, 2 update, 3 replacement"})
    document_id = Integer(
        allow_none=True, metadata={"description": "the incoming document (files, timeline)"}
    )
    sender = fields.Nested(SenderSchema)
    sender_document_id = fields.String()
    number_symbol = fields.String()
    document_date = fields.Date(allow_none=True)
    type_name = fields.String()
    subject = fields.String()
    urgency = fields.String()
    due_date = fields.Date(allow_none=True)
    signer = fields.Dict()
    signatures_ok = fields.Boolean(
        allow_none=True, metadata={"description": "null: no signature at all"}
    )
    duplicate_of_id = Integer(allow_none=True)
    duplicate_reasons = fields.List(fields.String())
    reason = fields.String(metadata={"description": "why it was refused or rejected"})
    received_at = VNDateTime()
    files = fields.List(fields.Nested(ReceivedFileSchema))
    validation = fields.List(fields.Dict(), metadata={"description": "per PDF: the report"})
    metadata = fields.Dict()
    statuses_sent = fields.List(fields.String())
    changes = fields.List(fields.Nested(ChangeSchema))


class ReceivedPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReceivedSchema))


class ReceivedRegisterSchema(Schema):
    sender_name = fields.String(validate=validate.Length(min=1, max=255))
    number_symbol = fields.String(validate=validate.Length(min=1, max=60))
    document_date = fields.Date()
    recipients = fields.String(load_default="", validate=validate.Length(max=2000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    accept_duplicate = fields.Boolean(load_default=False)
    accept_invalid_signature = fields.Boolean(load_default=False)
    send_to_user_id = Integer(load_default=None, allow_none=True)


class ReceivedRefuseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ChangeArgsSchema(Schema):
    organisation_id = Integer(load_default=None)
    state = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in ChangeState])
    )


class ChangeListSchema(ChangeSchema):
    received = fields.Nested(ReceivedSchema)
    package = fields.Nested(ReceivedSchema, allow_none=True)


class DecideSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "refuse"]))
    note = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "required to refuse (16)"},
    )


class ReceivedCountsArgsSchema(Schema):
    organisation_id = Integer(load_default=None)


class ReceivedCountsSchema(Schema):
    waiting = Integer()
    rejected = Integer()
    changes_pending = Integer()


class PollSchema(Schema):
    queued = fields.Boolean()
