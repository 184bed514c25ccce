from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime
from backend.documents.schemas import URGENCIES, DocumentSchema

from .models import SigningPrefix, StepKind, StepMode

KINDS = [k.value for k in StepKind]
MODES = [m.value for m in StepMode]
PREFIXES = [p.value for p in SigningPrefix]


class ActorSpecSchema(Schema):
    user_id = Integer(load_default=None, allow_none=True)
    unit_id = Integer(
        load_default=None, allow_none=True, metadata={"description": "the head(s) of this unit"}
    )


class StepSpecSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    mode = fields.String(load_default=StepMode.ALL.value, validate=validate.OneOf(MODES))
    blocking = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "consult steps: wait for the answers (default: no)"},
    )
    signing_prefix = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(PREFIXES)
    )
    label = fields.String(load_default="", validate=validate.Length(max=200))
    actors = fields.List(fields.Nested(ActorSpecSchema), required=True)


def steps_for_storage(steps: list[dict]) -> list[dict]:
    """Drop unset optional fields so templates store what the user meant."""
    out = []
    for step in steps:
        clean = {k: v for k, v in step.items() if v not in (None, "") or k == "actors"}
        clean["actors"] = [{k: v for k, v in a.items() if v is not None} for a in step["actors"]]
        out.append(clean)
    return out


class RouteSetSchema(Schema):
    steps = fields.List(fields.Nested(StepSpecSchema), load_default=None)
    template_id = Integer(load_default=None)


class PersonSchema(Schema):
    id = Integer()
    full_name = fields.String()
    position_title = fields.String()


class StepActorSchema(Schema):
    user_id = Integer(allow_none=True)
    unit_id = Integer(allow_none=True)
    user_name = fields.Function(lambda a: a.user.full_name if a.user else None)


class AssignmentSchema(Schema):
    id = Integer()
    user_id = Integer()
    user_name = fields.Function(lambda a: a.user.full_name)
    status = fields.String()
    created_at = VNDateTime()
    acted_at = VNDateTime(allow_none=True)


class RouteStepSchema(Schema):
    id = Integer()
    position = Integer()
    kind = fields.String()
    mode = fields.String()
    blocking = fields.Boolean()
    signing_prefix = fields.String(allow_none=True)
    label = fields.String()
    status = fields.String()
    activated_at = VNDateTime(allow_none=True)
    completed_at = VNDateTime(allow_none=True)
    actors = fields.List(fields.Nested(StepActorSchema))
    assignments = fields.List(fields.Nested(AssignmentSchema))


class RouteSchema(Schema):
    document_id = Integer()
    status = fields.String()
    etag = fields.String()
    steps = fields.List(fields.Nested(RouteStepSchema))


class RouteTemplateSchema(Schema):
    id = Integer(dump_only=True)
    organisation_id = Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    document_type_id = Integer(load_default=None, allow_none=True)
    unit_id = Integer(load_default=None, allow_none=True)
    steps = fields.List(fields.Nested(StepSpecSchema), required=True)
    created_at = VNDateTime(dump_only=True)


class TemplateArgsSchema(Schema):
    document_type_id = Integer(load_default=None)
    unit_id = Integer(load_default=None)


class CommentSchema(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=4000))


class ReplySchema(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ReturnSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ForwardSchema(Schema):
    to_user_id = Integer(required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=4000))


class EmailRecipientSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    email = fields.Email(required=True, validate=validate.Length(max=254))


class SendToSchema(Schema):
    """A recipient picked from the directory: an organisation (reached in this installation
    or over the axis) or an internal unit."""

    directory_id = Integer(load_default=None, allow_none=True)
    unit_id = Integer(load_default=None, allow_none=True)


class IssueSchema(Schema):
    recipients = fields.String(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "nơi nhận reached on paper (free text)"},
    )
    email_recipients = fields.List(
        fields.Nested(EmailRecipientSchema),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "recipients without an exchange endpoint, reached by official "
            "e-mail: the signed PDFs attached (or an expiring download link)"
        },
    )
    copies = Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    send_to = fields.List(
        fields.Nested(SendToSchema),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={
            "description": "recipients from the directory (GET /api/exchange/directory): "
            "one delivery each, sent by the worker after the commit"
        },
    )


class IssuePreviewSchema(Schema):
    number = Integer(metadata={"description": "the next number of the series (not taken)"})
    number_symbol = fields.String(metadata={"description": "số, ký hiệu it would get"})
    date = fields.Date(metadata={"description": "today, Vietnam time"})
    year = Integer()
    series = fields.String(metadata={"description": "normal | secret"})
    signer_name = fields.String(metadata={"description": "người ký, for the register"})
    seal = fields.Boolean(metadata={"description": "the agency seal signature is applied"})


class IncomingRegistrationSchema(Schema):
    sender_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    sender_code = fields.String(load_default="", validate=validate.Length(max=13))
    number_symbol = fields.String(required=True, validate=validate.Length(min=1, max=60))
    document_date = fields.Date(required=True)
    recipients = fields.String(load_default="", validate=validate.Length(max=2000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    accept_duplicate = fields.Boolean(load_default=False)
    send_to_user_id = Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "the leader (or chief of office) who gives the instruction"},
    )
    accept_invalid_signature = fields.Boolean(
        load_default=False,
        metadata={"description": "register even though a signature does not validate"},
    )


class IncomingRegisteredSchema(Schema):
    document = fields.Nested(DocumentSchema)
    incoming_number = Integer(metadata={"description": "số đến"})
    year = Integer()
    signatures = fields.Dict(metadata={"description": "the validation report of the file"})


class RefuseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InstructionCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class InstructionSchema(Schema):
    id = Integer()
    document_id = Integer()
    author = fields.Function(
        lambda i: {
            "id": i.author.id,
            "full_name": i.author.full_name,
            "position_title": i.author_position,
        }
    )
    text = fields.String()
    version_number = Integer()
    created_at = VNDateTime()


class QuickPhraseSchema(Schema):
    id = Integer(dump_only=True, allow_none=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class QuickPhraseOrderSchema(Schema):
    texts = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "the phrases in the order the leader wants them"},
    )


class InboxArgsSchema(PageArgsSchema):
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    document_type_id = Integer()
    unit_id = Integer()
    overdue = fields.Boolean()
    q = fields.String(validate=validate.Length(max=200))
    step_kind = fields.String(
        validate=validate.OneOf(["review", "consult", "sign", "issue"]),
        metadata={"description": "waiting list only: e.g. sign for “Chờ ký”"},
    )


class StepRefSchema(Schema):
    position = Integer(allow_none=True)
    kind = fields.String(
        metadata={
            "description": "review | consult | sign | issue; in the waiting list also "
            "instruct (an incoming document sent to you for an instruction)"
        }
    )
    label = fields.String()


class PositionSchema(Schema):
    step = fields.Nested(StepRefSchema)
    holders = fields.List(fields.String(), metadata={"description": "who it waits for"})
    since = VNDateTime(metadata={"description": "when the step started"})


class ReturnedSchema(Schema):
    reason = fields.String()
    by = fields.Nested(PersonSchema)
    at = VNDateTime()


class InboxItemSchema(Schema):
    document = fields.Nested(DocumentSchema)
    overdue = fields.Boolean()
    assignment_id = Integer(allow_none=True)
    step = fields.Nested(StepRefSchema)
    arrived_at = VNDateTime()
    on_behalf_of = fields.Dict(
        allow_none=True, metadata={"description": "set when the item is delegated to you (TUQ.)"}
    )
    sender = fields.String(
        metadata={
            "description": "who it comes from: the drafter and the drafting unit, or the "
            "sender agency of an incoming document"
        }
    )
    position = fields.Nested(
        PositionSchema,
        allow_none=True,
        metadata={"description": "submitted list: where the document is now"},
    )
    returned = fields.Nested(
        ReturnedSchema,
        allow_none=True,
        metadata={"description": "submitted list: why a returned document came back"},
    )


class InboxPageSchema(PageSchema):
    items = fields.List(fields.Nested(InboxItemSchema))


class CountsSchema(Schema):
    waiting = Integer()
    waiting_urgent = Integer()
    waiting_overdue = Integer()
    waiting_sign = Integer(metadata={"description": "Chờ ký: waiting at sign steps"})
    waiting_instruct = Integer(
        metadata={"description": "incoming documents waiting for my instruction (in waiting)"}
    )
    returned_to_me = Integer()
    submitted_in_progress = Integer()
    following = Integer()
    notifications_unread = Integer()


class TimelineEventSchema(Schema):
    kind = fields.String(metadata={"description": "version | action | instruction | exchange"})
    action = fields.String()
    at = VNDateTime()
    actor = fields.Nested(PersonSchema)
    on_behalf_of = fields.Nested(PersonSchema, allow_none=True)
    signing_prefix = fields.String(allow_none=True)
    target = fields.Nested(PersonSchema, allow_none=True)
    step = fields.Nested(StepRefSchema, allow_none=True)
    device = fields.Dict(allow_none=True)
    version_number = Integer()
    text = fields.String()
    registration = fields.Dict(
        allow_none=True,
        metadata={
            "description": "register and issue events: the register entry (number = số or "
            "số đến, number_symbol, document_date, sender_name, sender_code, recipients, copies)"
        },
    )
    recipient = fields.Dict(
        metadata={"description": "exchange: the recipient {name, code, channel}"}
    )
    status_code = fields.String(
        allow_none=True, metadata={"description": "exchange: edXML status (01–06, 13, 15, 16)"}
    )
