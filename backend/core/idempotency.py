"""``Idempotency-Key`` on state-changing POSTs: the same key with the same body gets the
same answer and no second effect. The record is written in the same transaction as the
effect, so a crash can never leave one without the other."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import atomic, session
from backend.core.errors import ApiError, ValidationFailed
from backend.core.models import IdempotencyRecord
from backend.core.timeutil import utcnow

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, e.g. a UUID
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body "
    "replays the first answer (Idempotent-Replayed: true) and changes nothing again.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
}
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "ETag", "Location")
RETENTION = timedelta(days=2)


def _request_hash() -> str:
    """What makes two requests "the same": method, path, and the body's content. A
    multipart body is hashed by its fields and file contents, because a retried upload
    comes with a new random boundary. Keyed with the app's secret (HMAC): a body may hold
    a signing PIN or a password, which a plain hash kept in the database would give away
    to a dictionary attack."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), digestmod=hashlib.sha256)
    for part in (request.method, request.full_path, request.mimetype):
        digest.update(part.encode() + b"\0")
    if request.mimetype == "multipart/form-data":
        for key in sorted(request.form):
            for value in request.form.getlist(key):
                digest.update(f"{key}={value}".encode() + b"\0")
        for key in sorted(request.files):
            for upload in request.files.getlist(key):
                digest.update(f"{key}:{upload.filename}".encode() + b"\0")
                while chunk := upload.stream.read(1024 * 1024):
                    digest.update(chunk)
                upload.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency-key-reused",
        )
    response = Response(record.response_body, status=record.status_code)
    for key, value in json.loads(record.response_headers).items():
        response.headers[key] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return session().scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _VALID_KEY.match(key):
            raise ValidationFailed(
                "Idempotency-Key must be 1 to 200 visible ASCII characters (a UUID will do).",
                {HEADER: ["1 to 200 visible ASCII characters."]},
                code="invalid-idempotency-key",
            )
        user = g.current_user
        request_hash = _request_hash()
        existing = _find(user.id, key)
        if existing is not None:
            return _replay(existing, request_hash)
        kept: ApiError | None = None
        try:
            with atomic() as s:
                # Claim the key first: a concurrent twin waits here (PostgreSQL) or fails
                # its claim (SQLite), then replays our answer instead of acting twice.
                record = IdempotencyRecord(
                    user_id=user.id,
                    key=key,
                    method=request.method,
                    path=request.path,
                    request_hash=request_hash,
                    status_code=0,
                    response_body=b"",
                )
                s.add(record)
                s.flush()
                try:
                    response = current_app.make_response(view(*args, **kwargs))
                except ApiError as error:
                    if not error.keep_changes:
                        raise
                    # Committed without the key (a retry runs again), then answered.
                    s.delete(record)
                    kept = error
                else:
                    if 200 <= response.status_code < 300:
                        record.status_code = response.status_code
                        record.response_body = response.get_data()
                        record.response_headers = json.dumps(
                            {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
                        )
                    else:
                        s.delete(record)
        except IntegrityError:
            # A concurrent request with the same key committed first: its answer is ours.
            session().rollback()
            existing = _find(user.id, key)
            if existing is None:
                raise
            return _replay(existing, request_hash)
        if kept is not None:
            raise kept
        return response

    wrapper._idempotent = True  # type: ignore[attr-defined]
    # Documented on the operation, so clients (and generated tests) know of it.
    apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual["parameters"] = [*manual.get("parameters", []), HEADER_DOC]
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper


def purge_expired() -> int:
    with atomic() as s:
        result = s.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
        )
        return result.rowcount or 0
