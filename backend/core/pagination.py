"""Cursor pagination: a stable order and an opaque cursor holding the last row's sort key."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_

from backend.core.db import session
from backend.core.errors import ValidationFailed
from backend.core.schemas import Integer

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgsSchema(Schema):
    cursor = fields.String(
        load_default=None, metadata={"description": "next_cursor of the previous page"}
    )
    limit = Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


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


def newest_first(
    query: Select, model: Any, cursor: str | None, limit: int
) -> tuple[list, str | None]:
    """One page of ``query``'s rows, newest first by (created_at, id), after the cursor;
    and the cursor of the next page (None on the last)."""
    after = decode_cursor(cursor, 2)
    if after:
        try:
            created_at, last_id = datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(
                "The cursor is not valid.", {"cursor": ["Invalid cursor."]}
            ) from exc
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < last_id),
            )
        )
    order = (model.created_at.desc(), model.id.desc())
    rows = list(session().scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id]) if more and rows else None
    )
    return rows, next_cursor
