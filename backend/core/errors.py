"""RFC 9457 Problem Details for every error the API returns.

Each problem has a stable ``code`` (also in ``type`` as ``urn:trinhky:problem:<code>``), a
human ``detail`` and, for 422, ``errors``: field → messages. Stack traces never leave
the server.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
DATABASE_RETRY_AFTER = 5  # seconds: a restarting PostgreSQL, a locked SQLite file
log = logging.getLogger("trinhky.errors")

# Stable codes for the HTTP statuses werkzeug/flask-smorest raise on their own.
STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error a service raises on purpose; the API turns it into Problem Details."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # The changes made before the error must be committed all the same (a wrong
        # signing code still counts towards the lockout), also when an outer transaction
        # (an idempotent request) would otherwise roll them back.
        self.keep_changes = keep_changes
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}
        self.extra = extra


def wait_minutes(seconds: int) -> int:
    """A lockout's wait as people read it: whole minutes, rounded up, so the message and
    ``Retry-After`` (seconds) always say the same."""
    return max(1, -(-seconds // 60))


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(ApiError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(ApiError):
    status, code, title = 412, "precondition-failed", "The resource has changed"


class PreconditionRequired(ApiError):
    status, code, title = 428, "precondition-required", "If-Match header required"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(ApiError):
    status, code, title = 422, "validation-error", "Invalid input"

    def __init__(self, detail: str, errors: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        if errors:
            self.extra["errors"] = errors


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:trinhky:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    request_id = g.get("request_id") if g else None
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs_messages(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location ({"json": {...}}); clients want field → messages."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [m for v in value.values() for m in _as_list(v)]
    return [value]


def http_exception_problem(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = STATUS_CODES.get(status, "error")
    title = exc.name
    detail = exc.description or title
    extra: dict[str, Any] = {}
    data = getattr(exc, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    messages = data.get("messages")
    if messages:
        extra["errors"] = _flatten_webargs_messages(messages)
        if status == 422:
            detail = "The request has invalid fields: " + ", ".join(sorted(extra["errors"]))
        elif status == 400:
            detail = "The request body could not be read: " + "; ".join(
                str(m) for msgs in extra["errors"].values() for m in _as_list(msgs)
            )
    elif data.get("message"):
        detail = data["message"]
    if status == 429:
        detail = f"Too many requests: limit {exc.description}. Try again later."
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
    return problem(status, code, title, detail, headers=headers, **extra)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        headers = dict(exc.headers)
        if exc.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="trinhky"')
        return problem(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return http_exception_problem(exc)

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _database_error(exc: Exception) -> Response:
        # The database went away (restart, failover, admin shutdown), is locked, or the pool
        # is exhausted: nothing was committed, and the same request will work shortly.
        transient = isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError) or getattr(
            exc, "connection_invalidated", False
        )
        if not transient:
            return _unhandled(exc)
        log.error("database unavailable: %s", getattr(exc, "orig", None) or exc)
        return problem(
            503,
            "database-unavailable",
            "Service unavailable",
            "The database is unavailable for a moment; nothing was changed. Try again.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(
            500,
            "internal-error",
            "Internal server error",
            "Something went wrong on our side; nothing was changed. Quote the request id.",
        )
