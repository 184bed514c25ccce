from __future__ import annotations

from typing import Any

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.errors import ValidationFailed
from backend.core.http import if_match_header
from backend.core.idempotency import idempotent
from backend.documents.models import Document
from backend.documents.schemas import DocumentSchema
from backend.registers.service import IncomingDetails
from backend.signatures import service as signatures

from . import inbox, service
from .schemas import (
    CommentSchema,
    CountsSchema,
    ForwardSchema,
    InboxArgsSchema,
    InboxPageSchema,
    IncomingRegisteredSchema,
    IncomingRegistrationSchema,
    InstructionCreateSchema,
    InstructionSchema,
    IssuePreviewSchema,
    IssueSchema,
    QuickPhraseOrderSchema,
    QuickPhraseSchema,
    RefuseSchema,
    ReplySchema,
    ReturnSchema,
    RouteSchema,
    RouteSetSchema,
    RouteTemplateSchema,
    TemplateArgsSchema,
    TimelineEventSchema,
    steps_for_storage,
)

blp = Blueprint(
    "workflow",
    __name__,
    url_prefix="/api",
    description="Approval routes, actions, instructions, inboxes and timelines",
)


def _route(document: Document) -> dict[str, Any]:
    steps = service.route_steps(document.id)
    assignments = service.step_assignments(document.id)
    for step in steps:
        step.assignments = [a for a in assignments if a.step_id == step.id]
    return {
        "document_id": document.id,
        "status": document.status,
        "etag": document.etag,
        "steps": steps,
    }


def _changed(document: Document) -> tuple[Document, dict[str, str]]:
    return document, {"ETag": document.etag}


@blp.route("/documents/<int:document_id>/route")
class Route(MethodView):
    @blp.response(200, RouteSchema)
    def get(self, document_id: int):
        """The document's route: steps, actors, who is waiting and who acted"""
        document, _ = service.get_route(current_user(), document_id)
        return _route(document), {"ETag": document.etag}

    @blp.arguments(RouteSetSchema)
    @blp.response(200, RouteSchema)
    def put(self, data: dict, document_id: int):
        """Attach or replace the route of a draft (drafter, If-Match), from steps or a template"""
        if (data["steps"] is None) == (data["template_id"] is None):
            raise ValidationFailed(
                "Send either steps or template_id.", {"steps": ["Give steps or a template."]}
            )
        steps = steps_for_storage(data["steps"]) if data["steps"] is not None else None
        service.set_route(
            current_user(),
            document_id,
            if_match_header(),
            steps=steps,
            template_id=data["template_id"],
        )
        document, _ = service.get_route(current_user(), document_id)
        return _route(document), {"ETag": document.etag}


@blp.route("/documents/<int:document_id>/submit")
class Submit(MethodView):
    @idempotent
    @blp.arguments(CommentSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Trình: send the draft along its route, or resubmit after a return (drafter)"""
        return _changed(
            service.submit(current_user(), document_id, if_match_header(), data["comment"])
        )


@blp.route("/documents/<int:document_id>/approve")
class Approve(MethodView):
    @idempotent
    @blp.arguments(CommentSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Đồng ý: approve my step (review, or the decision to sign), comment optional"""
        return _changed(
            service.approve(current_user(), document_id, if_match_header(), data["comment"])
        )


@blp.route("/documents/<int:document_id>/return")
class Return(MethodView):
    @idempotent
    @blp.arguments(ReturnSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Trả lại: send the draft back to the drafter with a reason"""
        return _changed(
            service.return_document(current_user(), document_id, if_match_header(), data["reason"])
        )


@blp.route("/documents/<int:document_id>/forward")
class Forward(MethodView):
    @idempotent
    @blp.arguments(ForwardSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Chuyển: hand my step to someone else"""
        return _changed(
            service.forward(
                current_user(), document_id, if_match_header(), data["to_user_id"], data["comment"]
            )
        )


@blp.route("/documents/<int:document_id>/withdraw")
class Withdraw(MethodView):
    @idempotent
    @blp.arguments(CommentSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Rút lại: take the draft back before anyone acted (drafter)"""
        return _changed(
            service.withdraw(current_user(), document_id, if_match_header(), data["comment"])
        )


@blp.route("/documents/<int:document_id>/reply")
class Reply(MethodView):
    @idempotent
    @blp.arguments(ReplySchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Cho ý kiến: answer a consultation"""
        return _changed(
            service.reply(current_user(), document_id, if_match_header(), data["comment"])
        )


@blp.route("/documents/<int:document_id>/issue")
class Issue(MethodView):
    @idempotent
    @blp.arguments(IssueSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Ban hành: number, date and register the signed document (clerk)"""
        details = service.IssueDetails(
            data["recipients"],
            data["copies"],
            data["note"],
            data["email_recipients"],
            data["send_to"],
        )
        return _changed(service.issue(current_user(), document_id, if_match_header(), details))


@blp.route("/documents/<int:document_id>/issue-preview")
class IssuePreview(MethodView):
    @blp.response(200, IssuePreviewSchema)
    def get(self, document_id: int):
        """What issuing would give now: the number (not taken), date, signer, seal (the
        clerk whose issue step waits)"""
        return service.issue_preview(current_user(), document_id)


@blp.route("/documents/<int:document_id>/register-incoming")
class RegisterIncoming(MethodView):
    @idempotent
    @blp.arguments(IncomingRegistrationSchema)
    @blp.response(200, IncomingRegisteredSchema)
    def post(self, data: dict, document_id: int):
        """Vào sổ đến: give an incoming document its số đến (clerk); 409 on a duplicate"""
        accept = data.pop("accept_duplicate")
        accept_invalid = data.pop("accept_invalid_signature")
        send_to = data.pop("send_to_user_id")
        document, entry = service.register_incoming(
            current_user(),
            document_id,
            if_match_header(),
            IncomingDetails(**data),
            accept_duplicate=accept,
            accept_invalid_signature=accept_invalid,
            send_to_user_id=send_to,
        )
        report = signatures.latest_validation(current_user(), document.id).report
        return {
            "document": document,
            "incoming_number": entry.number,
            "year": entry.year,
            "signatures": report,
        }, {"ETag": document.etag}


@blp.route("/documents/<int:document_id>/refuse")
class RefuseIncoming(MethodView):
    @idempotent
    @blp.arguments(RefuseSchema)
    @blp.response(200, DocumentSchema)
    def post(self, data: dict, document_id: int):
        """Từ chối: refuse an incoming document with the reason (clerk)"""
        document = service.refuse_incoming(
            current_user(), document_id, if_match_header(), data["reason"]
        )
        return document, {"ETag": document.etag}


@blp.route("/documents/<int:document_id>/instructions")
class Instructions(MethodView):
    @idempotent
    @blp.arguments(InstructionCreateSchema)
    @blp.response(201, InstructionSchema)
    def post(self, data: dict, document_id: int):
        """Ý kiến chỉ đạo: a leader's instruction on a document they can see"""
        return service.add_instruction(current_user(), document_id, data["text"])


@blp.route("/documents/<int:document_id>/timeline")
class Timeline(MethodView):
    @blp.response(200, TimelineEventSchema(many=True))
    def get(self, document_id: int):
        """Everything that happened to the document, oldest first"""
        return inbox.timeline(current_user(), document_id)


@blp.route("/route-templates")
class RouteTemplates(MethodView):
    @blp.arguments(TemplateArgsSchema, location="query")
    @blp.response(200, RouteTemplateSchema(many=True))
    def get(self, args: dict):
        """Route templates; with a type/unit, the best matches first"""
        return service.list_templates(current_user(), **args)

    @idempotent
    @blp.arguments(RouteTemplateSchema)
    @blp.response(201, RouteTemplateSchema)
    def post(self, data: dict):
        """Create a route template (admins, leaders, heads)"""
        data["steps"] = steps_for_storage(data["steps"])
        return service.create_template(current_user(), data)


@blp.route("/route-templates/<int:template_id>")
class RouteTemplateView(MethodView):
    @blp.response(204)
    def delete(self, template_id: int):
        service.delete_template(current_user(), template_id)


@blp.route("/me/quick-phrases")
class QuickPhrases(MethodView):
    @blp.response(200, QuickPhraseSchema(many=True))
    def get(self):
        """My quick phrases (the defaults until I add my own)"""
        return service.list_quick_phrases(current_user())

    @idempotent
    @blp.arguments(QuickPhraseSchema)
    @blp.response(201, QuickPhraseSchema)
    def post(self, data: dict):
        return service.add_quick_phrase(current_user(), data["text"])

    @blp.arguments(QuickPhraseOrderSchema)
    @blp.response(200, QuickPhraseSchema(many=True))
    def put(self, data: dict):
        """My phrases become exactly these, in this order (reorder, or drop defaults)"""
        return service.set_quick_phrases(current_user(), data["texts"])


@blp.route("/me/quick-phrases/<int:phrase_id>")
class QuickPhraseView(MethodView):
    @blp.response(204)
    def delete(self, phrase_id: int):
        service.delete_quick_phrase(current_user(), phrase_id)


def _inbox_view(name: str, reader: Any, doc: str) -> None:
    class InboxView(MethodView):
        @blp.arguments(InboxArgsSchema, location="query")
        @blp.response(200, InboxPageSchema)
        def get(self, args: dict):
            cursor, limit = args.pop("cursor"), args.pop("limit")
            return reader(current_user(), args, cursor, limit)

    InboxView.get.__doc__ = doc
    InboxView.__name__ = f"Inbox{name.title()}"
    blp.route(f"/inbox/{name}", endpoint=f"inbox_{name}")(InboxView)


_inbox_view("waiting", inbox.waiting, "Chờ xử lý: waiting for me (and delegated to me)")
_inbox_view("submitted", inbox.submitted, "Tôi trình: my drafts on their route")
_inbox_view("done", inbox.done, "Đã xử lý: documents I acted on")
_inbox_view("following", inbox.following, "Theo dõi: documents I follow")


@blp.route("/inbox/counts")
class InboxCounts(MethodView):
    @blp.response(200, CountsSchema)
    def get(self):
        """Badge counts for the four inboxes and notifications, in one call"""
        return inbox.counts(current_user())
