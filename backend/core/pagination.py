"""Cursor pagination: a stable order and an opaque cursor holding the last row's sort key."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from backend.core.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgsSchema(Schema):
    cursor = fields.String(
        load_default=None, metadata={"description": "next_cursor of the previous page"}
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("The cursor is not valid.", {"cursor": ["Invalid cursor."]}) from exc
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationFailed("The cursor is not valid.", {"cursor": ["Invalid cursor."]})
    return values


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
