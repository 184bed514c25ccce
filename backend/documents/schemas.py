from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import PageSchema, VNDateTime

from .models import Direction, ParticipantRole, Secrecy, Urgency

URGENCIES = [u.value for u in Urgency]
SECRECIES = [s.value for s in Secrecy]
DIRECTIONS = [d.value for d in Direction]


class DocumentMetaSchema(Schema):
    """Metadata sent with the upload (multipart form fields)."""

    document_type_id = fields.Integer(required=True)
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "trích yếu"},
    )
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    secrecy = fields.String(load_default="normal", validate=validate.OneOf(SECRECIES))
    due_date = fields.Date(load_default=None, allow_none=True)
    direction = fields.String(load_default="outgoing", validate=validate.OneOf(DIRECTIONS))
    organisation_id = fields.Integer(load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DocumentFilesSchema(Schema):
    file = Upload(
        required=True, metadata={"description": "the main PDF, or a Word draft (.docx, .odt)"}
    )
    attachments = fields.List(Upload(), load_default=list)


class VersionFormSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DocumentUpdateSchema(Schema):
    document_type_id = fields.Integer()
    subject = fields.String(validate=validate.Length(min=1, max=500))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    secrecy = fields.String(validate=validate.OneOf(SECRECIES))
    due_date = fields.Date(allow_none=True)


class ParticipantCreateSchema(Schema):
    user_id = fields.Integer(required=True)
    role = fields.String(
        load_default=ParticipantRole.WATCHER.value,
        validate=validate.OneOf([ParticipantRole.WATCHER.value]),
    )


class ParticipantSchema(Schema):
    user_id = fields.Integer()
    role = fields.String()
    created_at = VNDateTime()


class ConversionSchema(Schema):
    state = fields.String(
        metadata={"description": "pending | running (đang chuyển đổi) | done | failed"}
    )
    code = fields.String(allow_none=True, metadata={"description": "why it failed"})
    reason = fields.String(allow_none=True)
    reason_vi = fields.String(allow_none=True)
    pdf_file_id = fields.Integer(allow_none=True, metadata={"description": "the PDF made"})


class FileSchema(Schema):
    id = fields.Integer()
    kind = fields.String(
        metadata={
            "description": "main (the PDF reviewed and signed) | attachment | source (the "
            "Word/ODF original a main PDF is converted from)"
        }
    )
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String(attribute="blob_sha256")
    page_count = fields.Integer(allow_none=True)
    source_file_id = fields.Integer(
        allow_none=True, metadata={"description": "this PDF was converted from that file"}
    )
    conversion = fields.Nested(
        ConversionSchema,
        allow_none=True,
        dump_default=None,
        metadata={"description": "office files"},
    )


class VersionSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    note = fields.String()
    created_by_id = fields.Integer()
    created_at = VNDateTime()
    files = fields.List(fields.Nested(FileSchema))


class DocumentTypeRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    abbreviation = fields.String(allow_none=True)


class DocumentSchema(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    direction = fields.String()
    document_type = fields.Nested(DocumentTypeRefSchema)
    subject = fields.String()
    urgency = fields.String()
    secrecy = fields.String()
    due_date = fields.Date(allow_none=True)
    status = fields.String()
    number_symbol = fields.String(allow_none=True, metadata={"description": "số, ký hiệu"})
    submitted_at = VNDateTime(allow_none=True)
    issued_at = VNDateTime(allow_none=True)
    current_version = fields.Integer()
    created_by = fields.Function(
        lambda d: {"id": d.created_by.id, "full_name": d.created_by.full_name}
    )
    created_at = VNDateTime()
    updated_at = VNDateTime()
    etag = fields.String()


class DocumentDetailSchema(DocumentSchema):
    files = fields.List(fields.Nested(FileSchema))
    conversion = fields.Nested(
        ConversionSchema,
        allow_none=True,
        metadata={"description": "a Word draft's PDF: being made, made, or why it failed"},
    )
    participants = fields.List(fields.Nested(ParticipantSchema))


class DocumentListArgsSchema(PageArgsSchema):
    direction = fields.String(validate=validate.OneOf(DIRECTIONS))
    status = fields.String()
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    secrecy = fields.String(validate=validate.OneOf(SECRECIES))
    document_type_id = fields.Integer()
    unit_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=200))


class DocumentPageSchema(PageSchema):
    items = fields.List(fields.Nested(DocumentSchema))


class PageImageArgsSchema(Schema):
    width = fields.Integer(
        load_default=390,
        validate=validate.Range(min=100, max=4000),
        metadata={"description": "CSS pixels the page is shown at"},
    )
    dpr = fields.Float(
        load_default=2.0,
        validate=validate.Range(min=1, max=4),
        metadata={"description": "device pixel ratio"},
    )
