"""Marshmallow pieces shared by every domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from backend.core.timeutil import iso_vn

# What an integer column holds on both databases (PostgreSQL's ``integer``; SQLite's are
# wider): every integer the API accepts is bounded by it, so a larger one is a 422 naming
# the field, never an OverflowError from the driver.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class Integer(fields.Integer):
    """The API's integer: bounded to what the database stores (also in the OpenAPI
    document, as minimum/maximum). Use it for every integer field, never fields.Integer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=INT_MIN, max=INT_MAX))


class File(Upload):
    """A file part of a multipart body; a text field sent under its name is a 422 naming
    the field (flask-smorest merges form fields and files into one location)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError("Send a file here, not text.")
        return super()._deserialize(value, attr, data, **kw)


class VNDateTime(fields.DateTime):
    """Dumped in Asia/Ho_Chi_Minh with an explicit offset (``+07:00``)."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kw: Any) -> Any:
        return iso_vn(value)


class ProblemSchema(Schema):
    """RFC 9457 Problem Details, as every error of the API is answered."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)
    request_id = fields.String()
    errors = fields.Dict(metadata={"description": "for 422: field → messages"})


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True)
