from __future__ import annotations

from flask import request
from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.http import if_match_header, send_stored_file
from backend.core.idempotency import idempotent
from backend.documents import service as documents

from . import service
from .schemas import (
    AssignCreateSchema,
    AssignmentArgsSchema,
    AssignmentPageSchema,
    AssignmentTreeSchema,
    CompleteSchema,
    DocumentAssignmentsSchema,
    ExtensionCreateSchema,
    ExtensionDecisionSchema,
    ProgressCreateSchema,
    ProgressFilesSchema,
    SubAssignSchema,
)

blp = Blueprint(
    "assignments",
    __name__,
    url_prefix="/api",
    description="Phiếu giải quyết: assignments, sub-assignments, progress, deadlines",
)


def _with_etag(node: service.Node) -> tuple[service.Node, dict[str, str]]:
    return node, {"ETag": node.etag}


@blp.route("/documents/<int:document_id>/assignments")
class DocumentAssignments(MethodView):
    @blp.response(200, DocumentAssignmentsSchema)
    def get(self, document_id: int):
        """The document's processing: its assignments as a tree, with progress and
        extensions (for whoever may open the document)"""
        return service.document_assignments(current_user(), document_id)

    @idempotent
    @blp.arguments(AssignCreateSchema)
    @blp.response(201, DocumentAssignmentsSchema)
    def post(self, data: dict, document_id: int):
        """Giao xử lý: the instruction, one lead unit, cooperating units and units kept
        informed, with deadlines (a leader, or the head of the document's unit; If-Match)"""
        result = service.assign(current_user(), document_id, if_match_header(), data)
        return result, {"Location": f"/api/documents/{document_id}/assignments"}


@blp.route("/assignments")
class Assignments(MethodView):
    @blp.arguments(AssignmentArgsSchema, location="query")
    @blp.response(200, AssignmentPageSchema)
    def get(self, args: dict):
        """Assignments: mine, my units', or what I assigned; newest first"""
        return service.list_assignments(current_user(), **args)


@blp.route("/assignments/<int:assignment_id>")
class AssignmentView(MethodView):
    @blp.response(200, AssignmentTreeSchema)
    def get(self, assignment_id: int):
        """One assignment with its sub-assignments, progress and extension requests"""
        return _with_etag(service.get_assignment(current_user(), assignment_id))


@blp.route("/assignments/<int:assignment_id>/sub-assignments")
class SubAssignments(MethodView):
    @idempotent
    @blp.arguments(SubAssignSchema)
    @blp.response(201, AssignmentTreeSchema(many=True))
    def post(self, data: dict, assignment_id: int):
        """The unit's head gives parts of the unit's assignment to its people, each with a
        deadline no later than the unit's"""
        return service.sub_assign(current_user(), assignment_id, data["items"])


@blp.route("/assignments/<int:assignment_id>/progress")
class Progress(MethodView):
    @idempotent
    @blp.arguments(ProgressCreateSchema)
    @blp.response(201, AssignmentTreeSchema)
    def post(self, data: dict, assignment_id: int):
        """Báo cáo tiến độ: percent done and a note (the assignee or the unit's heads)"""
        return _with_etag(
            service.report_progress(current_user(), assignment_id, data["percent"], data["note"])
        )


@blp.route("/assignments/<int:assignment_id>/progress/<int:progress_id>/files")
class ProgressFiles(MethodView):
    @idempotent
    @blp.arguments(ProgressFilesSchema, location="files")
    @blp.response(201, AssignmentTreeSchema)
    def post(self, files: dict, assignment_id: int, progress_id: int):
        """Attach files to a progress report (multipart `files`, PDF or office files)"""
        uploads = [
            documents.Upload(f"files[{i}]", f.filename, f.stream)
            for i, f in enumerate(request.files.getlist("files"))
        ]
        return _with_etag(
            service.attach_progress_files(current_user(), assignment_id, progress_id, uploads)
        )


@blp.route("/assignments/<int:assignment_id>/progress-files/<int:file_id>")
class ProgressFileView(MethodView):
    def get(self, assignment_id: int, file_id: int):
        """Download a progress report's file"""
        file, path = service.progress_file(current_user(), assignment_id, file_id)
        return send_stored_file(path, file.content_type, file.filename, file.blob_sha256)


@blp.route("/assignments/<int:assignment_id>/extensions")
class Extensions(MethodView):
    @idempotent
    @blp.arguments(ExtensionCreateSchema)
    @blp.response(201, AssignmentTreeSchema)
    def post(self, data: dict, assignment_id: int):
        """Xin gia hạn: ask the assigner for a later deadline, with the reason"""
        return _with_etag(
            service.request_extension(
                current_user(), assignment_id, data["deadline"], data["reason"]
            )
        )


@blp.route("/assignments/<int:assignment_id>/extensions/<int:extension_id>/decide")
class ExtensionDecision(MethodView):
    @idempotent
    @blp.arguments(ExtensionDecisionSchema)
    @blp.response(200, AssignmentTreeSchema)
    def post(self, data: dict, assignment_id: int, extension_id: int):
        """Accept (the deadline moves; the old one is kept in the request) or refuse an
        extension request (the assigner; If-Match)"""
        return _with_etag(
            service.decide_extension(
                current_user(),
                assignment_id,
                extension_id,
                if_match_header(),
                data["decision"] == "accept",
                data["note"],
            )
        )


@blp.route("/assignments/<int:assignment_id>/complete")
class Complete(MethodView):
    @idempotent
    @blp.arguments(CompleteSchema)
    @blp.response(200, AssignmentTreeSchema)
    def post(self, data: dict, assignment_id: int):
        """Hoàn thành, with the result and optionally the reply draft (If-Match); the lead
        unit's completion completes the document's processing"""
        return _with_etag(
            service.complete(
                current_user(),
                assignment_id,
                if_match_header(),
                data["result"],
                data["reply_document_id"],
            )
        )


@blp.route("/assignments/<int:assignment_id>/acknowledge")
class Acknowledge(MethodView):
    @idempotent
    @blp.response(200, AssignmentTreeSchema)
    def post(self, assignment_id: int):
        """Đã xem: a unit kept informed has read the document (completes its assignment)"""
        return _with_etag(service.acknowledge(current_user(), assignment_id))
