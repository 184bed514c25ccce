from __future__ import annotations

from pathlib import Path

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.auth.guard import current_user, public
from backend.core.errors import Forbidden, NotFound
from backend.core.http import send_stored_file
from backend.core.idempotency import idempotent
from backend.documents import service as documents
from backend.org.models import Role

from . import fallback, issuing, service, sink
from .schemas import (
    DocumentMailDeliverySchema,
    MailDeliveryListArgsSchema,
    MailDeliveryPageSchema,
    MailDeliverySchema,
    MailPreferencesSchema,
    SinkListArgsSchema,
    SinkMessageDetailSchema,
    SinkMessageSchema,
    SinkReadArgsSchema,
)

blp = Blueprint("mail", __name__, url_prefix="/api", description="Official e-mail")


@blp.route("/mail/deliveries")
class Deliveries(MethodView):
    @blp.arguments(MailDeliveryListArgsSchema, location="query")
    @blp.response(200, MailDeliveryPageSchema)
    def get(self, args: dict):
        """The organisation's outgoing e-mail, newest first; `state=failed` for what keeps
        failing (admins)"""
        return service.list_deliveries(
            current_user(), args["organisation_id"], args["state"], args["cursor"], args["limit"]
        )


@blp.route("/mail/deliveries/<int:delivery_id>/retry")
class Retry(MethodView):
    @idempotent
    @blp.response(200, MailDeliverySchema)
    def post(self, delivery_id: int):
        """Send a failed delivery again (admins)"""
        return service.retry(current_user(), delivery_id)


@blp.route("/documents/<int:document_id>/mail-deliveries")
class DocumentDeliveries(MethodView):
    @blp.response(200, DocumentMailDeliverySchema(many=True))
    def get(self, document_id: int):
        """The issued document's recipients reached by e-mail, one status line each"""
        documents.get_document(current_user(), document_id)  # 404 unless visible
        return service.document_deliveries(document_id)


@blp.route("/me/mail-preferences")
class Preferences(MethodView):
    @blp.response(200, MailPreferencesSchema)
    def get(self):
        """My e-mail address, the notification kinds I always want by e-mail, the digest"""
        user = current_user()
        prefs = fallback.preferences(user)
        return {"email": user.email, "always_kinds": prefs.always_kinds, "digest": prefs.digest}

    @blp.arguments(MailPreferencesSchema)
    @blp.response(200, MailPreferencesSchema)
    def put(self, data: dict):
        user = current_user()
        prefs = fallback.update_preferences(user, data)
        return {"email": user.email, "always_kinds": prefs.always_kinds, "digest": prefs.digest}


@blp.route("/mail/links/<string:token>/files/<int:file_id>")
class LinkedFile(MethodView):
    @public
    @blp.response(200, content_type="application/pdf")
    def get(self, token: str, file_id: int):
        """An issued document's file, for a recipient holding an e-mailed link (no account;
        410 once the link expired)"""
        file, path = issuing.linked_file(token, file_id)
        return send_stored_file(path, file.content_type, file.filename, file.blob_sha256)


def _sink_dir() -> Path:
    settings = service.settings()
    user = current_user()
    if not any(m.role == Role.ADMIN for m in user.memberships):
        raise Forbidden("The development mail sink is for administrators.")
    if not settings.mail_sink:
        raise NotFound("No development mail sink on this installation.", code="no-mail-sink")
    return settings.mail_dir


@blp.route("/mail/sink")
class Sink(MethodView):
    @blp.arguments(SinkListArgsSchema, location="query")
    @blp.response(200, SinkMessageSchema(many=True))
    def get(self, args: dict):
        """Development: the messages the local mail sink received, newest first (admins)"""
        return sink.listing(_sink_dir(), args["limit"])


@blp.route("/mail/sink/<string:name>")
class SinkMessage(MethodView):
    @blp.arguments(SinkReadArgsSchema, location="query")
    @blp.response(200, SinkMessageDetailSchema)
    def get(self, args: dict, name: str):
        """Development: one received message — headers, text, HTML, attachments; `raw=1`
        for the .eml (admins)"""
        path = sink.path_of(_sink_dir(), name)
        if path is None:
            raise NotFound("No such message.")
        if args["raw"]:
            return send_file(path, mimetype="message/rfc822", download_name=name)
        return sink.read(path)
