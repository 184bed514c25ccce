"""What every API blueprint shares: the request parser (text that can be stored, one
multipart body), the bounded integer in URLs, and the checks on a JSON body made before
anything parses it.

Hostile input gets a 4xx here, once, for every endpoint: integers the database cannot
hold, JSON nested deep enough to exhaust the parser's recursion, strings with lone
surrogates, NUL or control characters (PostgreSQL refuses NUL; SQLite would store them),
and form fields that were not valid UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import request
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict
from werkzeug.routing import IntegerConverter, PathConverter

from backend.core.errors import ApiError, ValidationFailed
from backend.core.schemas import INT_MAX

MAX_JSON_DEPTH = 32  # our deepest body (a route's steps and actors) is 4 levels deep
MAX_JSON_BYTES = 1024 * 1024  # files travel as multipart, never inside JSON

# C0 controls except tab, line feed and carriage return; DEL; lone surrogates (JSON's
# "\ud800" decodes to one); U+FFFD, which is what an invalid UTF-8 byte in a form field
# or a query string becomes when werkzeug decodes it.
_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd"
_UNSTORABLE = re.compile(rf"[{_CONTROLS}\ud800-\udfff]")
# What the OpenAPI document says of every text field (surrogates cannot be written in a
# JSON Schema pattern: they are not characters).
TEXT_PATTERN = rf"^[^{_CONTROLS}]*$"
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BodyTooDeep(ApiError):
    status, code, title = 400, "json-too-deep", "JSON nested too deeply"


class BodyTooLarge(ApiError):
    status, code, title = 413, "payload-too-large", "Payload too large"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\ufffd":
        return "Not valid UTF-8 text (or holds U+FFFD, the mark of text damaged on the way)."
    if "\ud800" <= char <= "\udfff":
        return f"Holds a lone surrogate (U+{ord(char):04X}), which is not a character."
    return f"Holds a control character (U+{ord(char):04X}); only tab and line breaks are allowed."


def _nested(path: str) -> str:
    return f"{path}." if path else ""


def check_text(data: Any) -> None:
    """422 naming every field (as a dotted path) whose text cannot be stored."""
    errors: dict[str, list[str]] = {}
    _walk(data, "", errors)
    if errors:
        raise ma.ValidationError(errors)


def _walk(value: Any, path: str, errors: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            errors[path or "_schema"] = [problem]
    elif isinstance(value, FileStorage):
        return  # file contents are checked by what stores them
    elif isinstance(value, MultiDict | Mapping):  # a form or query (repeated keys), JSON
        items = value.items(multi=True) if isinstance(value, MultiDict) else value.items()
        for key, item in items:
            child = f"{_nested(path)}{key}"
            problem = text_problem(key) if isinstance(key, str) else None
            if problem:
                errors[child] = [f"Field name: {problem}"]
            _walk(item, child, errors)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{_nested(path)}{index}", errors)


class RequestParser(FlaskParser):
    """webargs' Flask parser, plus: every string checked before the schema sees it, and a
    ``multipart`` location (form fields and files together, one OpenAPI request body)."""

    __location_map__ = dict(multipart="load_multipart", **FlaskParser.__location_map__)
    # An unknown query parameter is a mistake the client should hear about (a typo in a
    # filter would otherwise silently list everything).
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def load_multipart(self, req: Any, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def pre_load(
        self, location_data: Mapping, *, schema: ma.Schema, req: Any, location: str
    ) -> Mapping:
        if location in {"querystring", "query", "json", "form", "multipart", "files"}:
            raw = getattr(location_data, "data", location_data)  # webargs' MultiDictProxy
            check_text(raw)
        return location_data


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with our parser. A JSON body is required (422 without
    one) when its schema has a required field or the endpoint says ``required=True``."""

    ARGUMENTS_PARSER = RequestParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def arguments(  # type: ignore[override]
        self, schema: Any, *, location: str = "json", required: bool | None = None, **kw: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        instance = schema() if isinstance(schema, type) else schema
        if required is None:
            required = any(f.required for f in instance.fields.values())
        decorate = super().arguments(schema, location=location, required=required, **kw)
        if location != "json" or not required:
            return decorate

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            parsed = decorate(func)

            @wraps(parsed)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if not request.get_data(cache=True).strip():
                    raise ValidationFailed(
                        "This request needs a JSON body.",
                        {"json": ["Send a JSON object (Content-Type: application/json)."]},
                        code="body-required",
                    )
                return parsed(*args, **kwargs)

            return wrapper

        return decorator


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in every URL: an id beyond what the database holds matches no route (404),
    instead of reaching the database (SQLite raises OverflowError past 2**63 - 1)."""

    def __init__(
        self,
        map: Any,  # noqa: A002 - werkzeug's signature
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = INT_MAX,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class AppPathConverter(PathConverter):
    """The app shell's catch-all, which never claims an /api/ path: there a wrong method
    is a 405 with Allow and an unknown path a 404, both Problem Details."""

    regex = r"(?!api/)[^/].*?"


def check_json_body() -> None:
    """Before anything parses a JSON body (the login's rate limit reads it): refuse one that
    is too large or nested too deeply for the parser's recursion."""
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"} or not request.is_json:
        return
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise BodyTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KB.")
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise BodyTooLarge(f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KB.")
    depth = 0
    for token in _JSON_TOKENS.finditer(data):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise BodyTooDeep(
                    f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
                )
        elif mark in (b"]", b"}"):
            depth -= 1


def text_field_pattern(self: Any, field: ma.fields.Field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: every free-text field documents TEXT_PATTERN."""
    if ret.get("type") != "string" or {"pattern", "enum", "format"} & set(ret):
        return {}
    return {"pattern": TEXT_PATTERN}


def int_converter_schema(converter: BoundedIntConverter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if converter.min is not None or not converter.signed:
        schema["minimum"] = converter.min if converter.min is not None else 0
    if converter.max is not None:
        schema["maximum"] = converter.max
    return schema
