from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from backend.auth.guard import current_user
from backend.core.http import if_match_header, send_stored_file
from backend.core.idempotency import idempotent
from backend.documents.schemas import DocumentSchema

from . import directory, receiving, sending
from .schemas import (
    ChangeArgsSchema,
    ChangeListSchema,
    ChangeSchema,
    DecideSchema,
    DirectoryArgsSchema,
    DirectoryEntrySchema,
    DirectoryPageSchema,
    DirectoryUpdateSchema,
    ExchangeDeliverySchema,
    PickDeliveriesSchema,
    PollSchema,
    ReceivedArgsSchema,
    ReceivedCountsArgsSchema,
    ReceivedCountsSchema,
    ReceivedPageSchema,
    ReceivedRefuseSchema,
    ReceivedRegisterSchema,
    ReceivedSchema,
    ReplaceSchema,
    SentArgsSchema,
    SentPageSchema,
)

blp = Blueprint(
    "exchange",
    __name__,
    url_prefix="/api",
    description="Liên thông văn bản: the directory, deliveries and their statuses, the "
    "queue of received documents (edXML, the national axis)",
)


# -- directory --------------------------------------------------------------------------


@blp.route("/exchange/directory")
class Directory(MethodView):
    @blp.arguments(DirectoryArgsSchema, location="query")
    @blp.response(200, DirectoryPageSchema)
    def get(self, args: dict):
        """The directory of organisations (for picking recipients); by name or code"""
        return directory.list_entries(**args)

    @idempotent
    @blp.arguments(DirectoryEntrySchema)
    @blp.response(201, DirectoryEntrySchema)
    def post(self, data: dict):
        """Add an organisation (administrators of the top-level organisations)"""
        return directory.create_entry(current_user(), data)


@blp.route("/exchange/directory/<int:entry_id>")
class DirectoryEntryView(MethodView):
    @blp.response(200, DirectoryEntrySchema)
    def get(self, entry_id: int):
        return directory.get_entry(entry_id)

    @blp.arguments(DirectoryUpdateSchema)
    @blp.response(200, DirectoryEntrySchema)
    def patch(self, data: dict, entry_id: int):
        """Change an organisation's codes, parent, reach or contact details (administrators)"""
        return directory.update_entry(current_user(), entry_id, data)


# -- what we send -------------------------------------------------------------------------


@blp.route("/documents/<int:document_id>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, ExchangeDeliverySchema(many=True))
    def get(self, document_id: int):
        """One line per recipient: how it travels, its latest status and time, its history"""
        return sending.deliveries_of(current_user(), document_id)


@blp.route("/exchange/deliveries/<int:delivery_id>/resend")
class Resend(MethodView):
    @idempotent
    @blp.response(202, ExchangeDeliverySchema)
    def post(self, delivery_id: int):
        """Send again, explicitly (the clerk); the worker sends it after the commit"""
        return sending.delivery_view(sending.resend(current_user(), delivery_id))


@blp.route("/documents/<int:document_id>/recall")
class Recall(MethodView):
    @idempotent
    @blp.arguments(PickDeliveriesSchema)
    @blp.response(202, ExchangeDeliverySchema(many=True))
    def post(self, data: dict, document_id: int):
        """Thu hồi: ask the recipients to give the issued document back (status 13; each
        answers 15 or 16)"""
        rows = sending.recall(current_user(), document_id, data["reason"], data["delivery_ids"])
        return [sending.delivery_view(d) for d in rows]


@blp.route("/documents/<int:document_id>/send-update")
class SendUpdate(MethodView):
    @idempotent
    @blp.arguments(PickDeliveriesSchema)
    @blp.response(202, ExchangeDeliverySchema(many=True))
    def post(self, data: dict, document_id: int):
        """Send the current version as an update (BussinessDocType 2)"""
        rows = sending.send_update(
            current_user(), document_id, data["reason"], data["delivery_ids"]
        )
        return [sending.delivery_view(d) for d in rows]


@blp.route("/documents/<int:document_id>/replace")
class Replace(MethodView):
    @idempotent
    @blp.arguments(ReplaceSchema)
    @blp.response(202, ExchangeDeliverySchema(many=True))
    def post(self, data: dict, document_id: int):
        """Send this issued document to an earlier one's recipients as its replacement
        (BussinessDocType 3)"""
        rows = sending.replace(
            current_user(), document_id, data["replaces_document_id"], data["reason"]
        )
        return [sending.delivery_view(d) for d in rows]


@blp.route("/exchange/sent")
class Sent(MethodView):
    @blp.arguments(SentArgsSchema, location="query")
    @blp.response(200, SentPageSchema)
    def get(self, args: dict):
        """Issued documents with their recipients' lines; filter not yet received, refused,
        failed (clerk, leaders, administrators)"""
        return sending.sent_report(current_user(), **args)


# -- what we receive ------------------------------------------------------------------------


@blp.route("/exchange/received")
class Received(MethodView):
    @blp.arguments(ReceivedArgsSchema, location="query")
    @blp.response(200, ReceivedPageSchema)
    def get(self, args: dict):
        """Văn bản đến chờ tiếp nhận (most urgent first), and what became of the others"""
        return receiving.list_received(current_user(), **args)


@blp.route("/exchange/received/counts")
class ReceivedCounts(MethodView):
    @blp.arguments(ReceivedCountsArgsSchema, location="query")
    @blp.response(200, ReceivedCountsSchema)
    def get(self, args: dict):
        """The clerk's badges: waiting, rejected on arrival, change requests pending"""
        return receiving.counts(current_user(), args["organisation_id"])


@blp.route("/exchange/received/<int:received_id>")
class ReceivedView(MethodView):
    @blp.response(200, ReceivedSchema)
    def get(self, received_id: int):
        """One received document: the sender's metadata, files, signature reports,
        duplicates, change requests (ETag: its document's, for register/refuse)"""
        view, etag = receiving.get_received(current_user(), received_id)
        return view, ({"ETag": etag} if etag else {})


@blp.route("/exchange/received/<int:received_id>/package")
class ReceivedPackage(MethodView):
    @blp.response(200)
    def get(self, received_id: int):
        """The package exactly as it came over the axis (also for rejected ones)"""
        path, sha = receiving.raw_package(current_user(), received_id)
        return send_stored_file(path, "application/xml", f"goi-tin-{received_id}.edxml", sha)


@blp.route("/exchange/received/<int:received_id>/register")
class ReceivedRegister(MethodView):
    @idempotent
    @blp.arguments(ReceivedRegisterSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, received_id: int):
        """Vào sổ đến with the sender's details (status 03 goes back); If-Match of the
        document; 409 duplicate-incoming / signature-invalid as for any registration"""
        document = receiving.register(current_user(), received_id, if_match_header(), data)
        return document, {"ETag": document.etag}


@blp.route("/exchange/received/<int:received_id>/refuse")
class ReceivedRefuse(MethodView):
    @idempotent
    @blp.arguments(ReceivedRefuseSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, received_id: int):
        """Từ chối tiếp nhận with the reason (status 02 goes back); If-Match"""
        document = receiving.refuse(current_user(), received_id, if_match_header(), data["reason"])
        return document, {"ETag": document.etag}


@blp.route("/exchange/changes")
class Changes(MethodView):
    @blp.arguments(ChangeArgsSchema, location="query")
    @blp.response(200, ChangeListSchema(many=True))
    def get(self, args: dict):
        """Senders' requests to recall, update or replace documents we received"""
        return receiving.list_changes(current_user(), **args)


@blp.route("/exchange/changes/<int:change_id>/decide")
class DecideChange(MethodView):
    @idempotent
    @blp.arguments(DecideSchema)
    @blp.response(200, ChangeSchema)
    def post(self, data: dict, change_id: int):
        """Accept (15: recalled/replaced documents are withdrawn, updates become a new
        version) or refuse with the reason (16)"""
        return receiving.decide_change(
            current_user(), change_id, data["decision"] == "accept", data["note"]
        )


@blp.route("/exchange/poll")
class Poll(MethodView):
    @idempotent
    @blp.response(202, PollSchema)
    def post(self):
        """Check the axis now (clerks, administrators): the worker polls after this answer"""
        receiving.poll_now(current_user())
        return {"queued": True}
