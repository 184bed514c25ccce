from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema, VNDateTime

from .models import Series


class RegisterArgsSchema(PageArgsSchema):
    organisation_id = Integer(required=True)
    year = Integer(required=True, validate=validate.Range(min=2000, max=2100))
    series = fields.String(
        load_default=Series.NORMAL.value, validate=validate.OneOf([s.value for s in Series])
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "in số ký hiệu, trích yếu, tác giả (sender) or nơi nhận"},
    )


class ExportArgsSchema(Schema):
    organisation_id = Integer(required=True)
    year = Integer(required=True, validate=validate.Range(min=2000, max=2100))
    series = fields.String(
        load_default=Series.NORMAL.value, validate=validate.OneOf([s.value for s in Series])
    )


class RegisterRowSchema(Schema):
    id = Integer()
    document_id = Integer()
    number = Integer(metadata={"description": "số (outgoing) or số đến (incoming)"})
    number_symbol = fields.String(metadata={"description": "số, ký hiệu"})
    document_date = fields.Date(metadata={"description": "ngày tháng văn bản"})
    registered_at = VNDateTime(metadata={"description": "ngày đến / ngày đăng ký"})
    type_and_subject = fields.String(metadata={"description": "tên loại và trích yếu"})
    signer_name = fields.String(metadata={"description": "người ký"})
    recipients = fields.String(metadata={"description": "nơi nhận / đơn vị nhận"})
    archive_unit = fields.String(metadata={"description": "đơn vị, người nhận bản lưu"})
    copies = Integer(allow_none=True, metadata={"description": "số lượng bản"})
    transferred_at = VNDateTime(allow_none=True, metadata={"description": "ngày chuyển"})
    sender_name = fields.String(metadata={"description": "tác giả (incoming)"})
    sender_code = fields.String()
    note = fields.String()


class RegisterPageSchema(PageSchema):
    items = fields.List(fields.Nested(RegisterRowSchema))
