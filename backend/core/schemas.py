"""Marshmallow pieces shared by every domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from backend.core.timeutil import iso_vn


class VNDateTime(fields.DateTime):
    """Dumped in Asia/Ho_Chi_Minh with an explicit offset (``+07:00``)."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kw: Any) -> Any:
        return iso_vn(value)


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    request_id = fields.String()
    errors = fields.Dict()


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True)
