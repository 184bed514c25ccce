from __future__ import annotations

from typing import Any

from flask import send_file
from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint
from backend.core.http import if_match_header, send_stored_file
from backend.core.idempotency import idempotent

from . import conversions, service
from .models import Document
from .schemas import (
    DocumentDetailSchema,
    DocumentListArgsSchema,
    DocumentPageSchema,
    DocumentUpdateSchema,
    DocumentUploadSchema,
    PageImageArgsSchema,
    ParticipantCreateSchema,
    ParticipantSchema,
    VersionSchema,
    VersionUploadSchema,
)

blp = Blueprint("documents", __name__, url_prefix="/api", description="Documents and files")


class _File:
    """A file and, for an office file, where its conversion to PDF stands."""

    def __init__(self, file: Any, job: Any) -> None:
        self._file = file
        self.conversion = conversions.view(job)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class _Detail:
    """A document with the files of its current version, for DocumentDetailSchema."""

    def __init__(self, document: Document) -> None:
        self._document = document
        files = service.current_files(document)
        jobs = conversions.jobs_for(files)
        self.files = [_File(f, jobs.get(f.id)) for f in files]
        self.conversion = conversions.main_state(files, jobs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._document, name)


def _uploads(form: dict) -> tuple[service.Upload, list[service.Upload]]:
    main = form.pop("file")
    attachments = form.pop("attachments")
    return (
        service.Upload("file", main.filename, main.stream),
        [
            service.Upload(f"attachments[{i}]", a.filename, a.stream)
            for i, a in enumerate(attachments)
        ],
    )


@blp.route("/documents")
class Documents(MethodView):
    @blp.arguments(DocumentListArgsSchema, location="query")
    @blp.response(200, DocumentPageSchema)
    def get(self, args: dict):
        """Documents the caller may see, newest first (cursor pagination)"""
        cursor, limit = args.pop("cursor"), args.pop("limit")
        return service.list_documents(current_user(), filters=args, cursor=cursor, limit=limit)

    @idempotent
    @blp.arguments(DocumentUploadSchema, location="multipart")
    @blp.response(201, DocumentDetailSchema)
    def post(self, meta: dict):
        """Upload a document: main PDF (or a Word .docx/.odt, converted to PDF by the
        worker) + attachments + metadata (multipart)"""
        main, attachments = _uploads(meta)
        document = service.create_document(current_user(), meta, main, attachments)
        return _Detail(document), {
            "ETag": document.etag,
            "Location": f"/api/documents/{document.id}",
        }


@blp.route("/documents/<int:document_id>")
class DocumentView(MethodView):
    @blp.response(200, DocumentDetailSchema)
    def get(self, document_id: int):
        document = service.get_document(current_user(), document_id)
        return _Detail(document), {"ETag": document.etag}

    @blp.arguments(DocumentUpdateSchema)
    @blp.response(200, DocumentDetailSchema)
    def patch(self, changes: dict, document_id: int):
        """Change metadata (drafter, If-Match required)"""
        document = service.update_document(current_user(), document_id, if_match_header(), changes)
        return _Detail(document), {"ETag": document.etag}


@blp.route("/documents/<int:document_id>/versions")
class Versions(MethodView):
    @blp.response(200, VersionSchema(many=True))
    def get(self, document_id: int):
        return service.list_versions(current_user(), document_id)

    @idempotent
    @blp.arguments(VersionUploadSchema, location="multipart")
    @blp.response(201, VersionSchema)
    def post(self, form: dict, document_id: int):
        """Upload a new version (drafter, If-Match required); old versions are kept"""
        main, attachments = _uploads(form)
        version = service.add_version(
            current_user(), document_id, if_match_header(), main, attachments, form["note"]
        )
        return version, {"ETag": version.document.etag}


@blp.route("/documents/<int:document_id>/participants")
class Participants(MethodView):
    @idempotent
    @blp.arguments(ParticipantCreateSchema)
    @blp.response(201, ParticipantSchema)
    def post(self, data: dict, document_id: int):
        """Add a follower (drafter, If-Match required)"""
        participant = service.add_participant(
            current_user(), document_id, if_match_header(), data["user_id"], data["role"]
        )
        return participant, {"ETag": participant.document.etag}


@blp.route("/documents/<int:document_id>/files/<int:file_id>")
class FileContent(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, document_id: int, file_id: int):
        """Download a file (ETag and Range supported)"""
        file, path = service.get_file(current_user(), document_id, file_id)
        return send_stored_file(path, file.content_type, file.filename, file.blob_sha256)


@blp.route("/documents/<int:document_id>/files/<int:file_id>/pages/<int:page>")
class PageImage(MethodView):
    @blp.arguments(PageImageArgsSchema, location="query")
    @blp.response(200, content_type="image/webp")
    def get(self, args: dict, document_id: int, file_id: int, page: int):
        """A page as a WebP image at the device's width (CSS px) and pixel density"""
        path, etag = service.page_image(
            current_user(), document_id, file_id, page, args["width"], args["dpr"]
        )
        response = send_file(path, mimetype="image/webp", conditional=True, etag=etag)
        # the image of a given file, page and size never changes
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        return response
