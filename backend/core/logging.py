"""Structured logs: one JSON object per line, each carrying the request id."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "msg": record.getMessage(),
        }
        for key in ("method", "path", "status", "duration_ms", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _install_record_factory() -> None:
    """Every log record, whichever handler gets it, carries the current request id."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_trinhky", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        return record

    factory._trinhky = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure_logging(json_lines: bool = True, level: int = logging.INFO) -> None:
    _install_record_factory()
    root = logging.getLogger()
    if any(getattr(h, "_trinhky", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._trinhky = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    # fontTools logs every glyph subset (each visible signature) at INFO
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def init_request_logging(app: Flask) -> None:
    access = logging.getLogger("trinhky.access")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
        g.request_started = time.perf_counter()
        g.request_id_token = request_id_var.set(rid)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        started = g.get("request_started")
        if started is not None:
            user = g.get("current_user")
            access.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": getattr(user, "id", None),
                },
            )
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
