"""/healthz: the process answers. /readyz: the database and the task queue answer."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy import text

from backend.core.db import session
from backend.core.errors import problem

log = logging.getLogger("trinhky.health")


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks: dict[str, str] = {}
        try:
            session().execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            log.warning("database not ready: %s", exc)
            checks["database"] = "unavailable"
        try:
            from backend.core.queue import queue_for

            queue_for(app.extensions["settings"]).storage.queue_size()
            checks["queue"] = "ok"
        except Exception as exc:  # noqa: BLE001
            log.warning("queue not ready: %s", exc)
            checks["queue"] = "unavailable"
        if all(v == "ok" for v in checks.values()):
            return jsonify(status="ready", checks=checks)
        return problem(
            503, "unavailable", "Not ready", "A dependency is unavailable.", checks=checks
        )
