from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import File, Integer, PageSchema, VNDateTime

from .models import Direction, ParticipantRole, Secrecy, Urgency

URGENCIES = [u.value for u in Urgency]
SECRECIES = [s.value for s in Secrecy]
DIRECTIONS = [d.value for d in Direction]


class DocumentMetaSchema(Schema):
    """Metadata sent with the upload (multipart form fields)."""

    document_type_id = Integer(required=True)
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "trích yếu"},
    )
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    secrecy = fields.String(load_default="normal", validate=validate.OneOf(SECRECIES))
    due_date = fields.Date(load_default=None, allow_none=True)
    direction = fields.String(load_default="outgoing", validate=validate.OneOf(DIRECTIONS))
    organisation_id = Integer(load_default=None)
    unit_id = Integer(
        load_default=None,
        metadata={"description": "drafting unit: one of yours (default: your first)"},
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DocumentFilesSchema(Schema):
    file = File(
        required=True, metadata={"description": "the main PDF, or a Word draft (.docx, .odt)"}
    )
    attachments = fields.List(File(), load_default=list)


class DocumentUploadSchema(DocumentMetaSchema, DocumentFilesSchema):
    """A new document: its metadata and files in one multipart/form-data body."""


class VersionUploadSchema(DocumentFilesSchema):
    """A new version: its files and a note in one multipart/form-data body."""

    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DocumentUpdateSchema(Schema):
    document_type_id = Integer()
    unit_id = Integer(metadata={"description": "drafting unit: one of yours"})
    subject = fields.String(validate=validate.Length(min=1, max=500))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    secrecy = fields.String(validate=validate.OneOf(SECRECIES))
    due_date = fields.Date(allow_none=True)


class ParticipantCreateSchema(Schema):
    user_id = Integer(required=True)
    role = fields.String(
        load_default=ParticipantRole.WATCHER.value,
        validate=validate.OneOf([ParticipantRole.WATCHER.value]),
    )


class ParticipantSchema(Schema):
    user_id = Integer()
    role = fields.String()
    created_at = VNDateTime()


class ConversionSchema(Schema):
    state = fields.String(
        metadata={"description": "pending | running (đang chuyển đổi) | done | failed"}
    )
    code = fields.String(allow_none=True, metadata={"description": "why it failed"})
    reason = fields.String(allow_none=True)
    reason_vi = fields.String(allow_none=True)
    pdf_file_id = Integer(allow_none=True, metadata={"description": "the PDF made"})


class FileSchema(Schema):
    id = Integer()
    kind = fields.String(
        metadata={
            "description": "main (the PDF reviewed and signed) | attachment | source (the "
            "Word/ODF original a main PDF is converted from)"
        }
    )
    filename = fields.String()
    content_type = fields.String()
    size = Integer()
    sha256 = fields.String(attribute="blob_sha256")
    page_count = Integer(allow_none=True)
    source_file_id = Integer(
        allow_none=True, metadata={"description": "this PDF was converted from that file"}
    )
    conversion = fields.Nested(
        ConversionSchema,
        allow_none=True,
        dump_default=None,
        metadata={"description": "office files"},
    )


class VersionSchema(Schema):
    id = Integer()
    number = Integer()
    note = fields.String()
    created_by_id = Integer()
    created_at = VNDateTime()
    files = fields.List(fields.Nested(FileSchema))


class DocumentTypeRefSchema(Schema):
    id = Integer()
    name = fields.String()
    abbreviation = fields.String(allow_none=True)


class UnitRefSchema(Schema):
    id = Integer()
    name = fields.String()
    abbreviation = fields.String()


class DocumentSchema(Schema):
    id = Integer()
    organisation_id = Integer()
    unit_id = Integer(allow_none=True)
    unit = fields.Nested(
        UnitRefSchema, allow_none=True, metadata={"description": "the drafting unit"}
    )
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
    current_version = Integer()
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
    document_type_id = Integer()
    unit_id = Integer()
    q = fields.String(validate=validate.Length(max=200))
    mine = fields.Boolean(metadata={"description": "only the documents I drafted (uploaded)"})


class DocumentPageSchema(PageSchema):
    items = fields.List(fields.Nested(DocumentSchema))


class PageImageArgsSchema(Schema):
    width = Integer(
        load_default=390,
        validate=validate.Range(min=100, max=4000),
        metadata={"description": "CSS pixels the page is shown at"},
    )
    dpr = fields.Float(
        load_default=2.0,
        validate=validate.Range(min=1, max=4),
        metadata={"description": "device pixel ratio"},
    )
