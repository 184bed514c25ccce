from __future__ import annotations

from marshmallow import fields, validate

from backend.core.pagination import PageArgsSchema
from backend.core.schemas import Integer, PageSchema
from backend.documents.schemas import DocumentSchema


class SearchArgsSchema(PageArgsSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "words to find, with or without diacritics"},
    )
    document_type_id = Integer(load_default=None)
    direction = fields.String(load_default=None, validate=validate.OneOf(["incoming", "outgoing"]))
    year = Integer(
        load_default=None,
        validate=validate.Range(min=2000, max=2100),
        metadata={"description": "the year the document entered the system (Vietnam time)"},
    )
    unit_id = Integer(load_default=None, metadata={"description": "the drafting unit"})


class SearchHitSchema(DocumentSchema):
    """The document summary, and where the words were found."""

    matched_in = fields.List(
        fields.String(),
        metadata={"description": "number_symbol, subject, sender, body (the PDF text)"},
    )
    snippet = fields.String(
        allow_none=True, metadata={"description": "the PDF text around the first word found"}
    )
    sender = fields.String(metadata={"description": "drafting unit, or the incoming sender"})


class SearchPageSchema(PageSchema):
    items = fields.List(fields.Nested(SearchHitSchema))
