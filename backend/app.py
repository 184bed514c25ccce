"""The application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from backend.config import Settings
from backend.core import db, headers
from backend.core.api import (
    BoundedIntConverter,
    check_json_body,
    int_converter_schema,
    text_field_pattern,
)
from backend.core.errors import (
    PROBLEM_MEDIA_TYPE,
    UnsupportedMediaType,
    http_exception_problem,
    register_error_handlers,
)
from backend.core.logging import configure_logging, init_request_logging
from backend.core.ratelimit import init_app as init_ratelimit
from backend.core.schemas import ProblemSchema

log = logging.getLogger("trinhky")
BODY_MEDIA_TYPES = {"application/json", "multipart/form-data"}


class ProblemApi(Api):
    """flask-smorest, answering its own errors (404, 405, 422 …) as Problem Details."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return http_exception_problem(error)

    def _register_responses(self) -> None:
        """Error responses are documented as what they are: application/problem+json."""
        content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    configure_logging(settings.log_json)

    app = Flask(__name__, static_folder=None)
    # Before any route is added: ids beyond what the database holds match no route.
    app.url_map.converters["int"] = BoundedIntConverter
    app.extensions["settings"] = settings
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Per-file limits are checked while storing; this bounds the whole request.
        MAX_CONTENT_LENGTH=settings.max_document_bytes + 1024 * 1024,
        MAX_FORM_PARTS=settings.max_attachments + 50,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        API_TITLE="Trình Ký API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearer": []}],
        },
    )

    db.init_app(app, settings.database_url, settings.sqlite_busy_timeout)
    from backend import tasks
    from backend.core.queue import queue_for

    app.extensions["queue"] = queue_for(settings)
    app.extensions["tasks"] = tasks.register(app.extensions["queue"])
    init_request_logging(app)
    # Before the rate limits: the login's reads the body.
    app.before_request(check_json_body)
    init_ratelimit(app, settings.redis_url)
    register_error_handlers(app)

    from backend.auth import guard

    guard.init_app(app)

    @app.before_request
    def _media_type() -> None:
        if request.method in {"POST", "PUT", "PATCH"} and request.path.startswith("/api/"):
            has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding")
            if has_body and request.mimetype not in BODY_MEDIA_TYPES:
                raise UnsupportedMediaType(
                    f"Send application/json (or multipart/form-data for uploads), "
                    f"not {request.mimetype or 'an unnamed type'}."
                )

    api = ProblemApi(app)
    api.register_converter(BoundedIntConverter, int_converter_schema)
    api.ma_plugin.converter.add_attribute_function(text_field_pattern)
    from backend.assignments.api import blp as assignments_blp
    from backend.audit.api import blp as audit_blp
    from backend.auth.api import blp as auth_blp
    from backend.calendar.api import blp as calendar_blp
    from backend.documents.api import blp as documents_blp
    from backend.exchange.api import blp as exchange_blp
    from backend.mail.api import blp as mail_blp
    from backend.notifications.api import blp as notifications_blp
    from backend.org.api import blp as org_blp
    from backend.registers.api import blp as registers_blp
    from backend.reports.api import blp as reports_blp
    from backend.search.api import blp as search_blp
    from backend.signatures.api import blp as signatures_blp
    from backend.webhooks.api import blp as webhooks_blp
    from backend.workflow.api import blp as workflow_blp

    for blueprint in (
        auth_blp,
        org_blp,
        documents_blp,
        workflow_blp,
        registers_blp,
        signatures_blp,
        notifications_blp,
        webhooks_blp,
        audit_blp,
        search_blp,
        calendar_blp,
        assignments_blp,
        reports_blp,
        mail_blp,
        exchange_blp,
    ):
        api.register_blueprint(blueprint)

    from backend.exchange import subscriptions

    subscriptions.connect()

    from backend import health, web

    health.init_app(app)
    web.init_app(app, settings)
    headers.init_app(app, settings)

    from backend import cli

    cli.init_app(app)
    return app
