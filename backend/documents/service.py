"""Documents: create with files, list what the caller may see, read, update metadata,
add versions, add participants, serve files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError

from backend.audit import service as audit
from backend.core import sandbox
from backend.core.db import atomic, on_commit, session
from backend.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from backend.core.http import check_if_match
from backend.core.pagination import Page, newest_first
from backend.core.storage import BlobStore, FileTooLarge, StoredFile
from backend.core.timeutil import utcnow
from backend.org import service as org_service
from backend.org.models import Membership, Role, User
from backend.search.index import store_blob_text
from backend.search.models import BlobText

from . import conversions, pages
from .files import FileProblem, ServerBusy, check_file, clean_filename
from .models import (
    URGENCY_RANK,
    Blob,
    Direction,
    Document,
    DocumentFile,
    DocumentParticipant,
    DocumentVersion,
    ParticipantRole,
    Secrecy,
    Urgency,
)

DRAFTING_ROLES = {Role.LEADER, Role.HEAD, Role.SPECIALIST, Role.CLERK}
EDITABLE_STATUSES = {"draft", "returned"}


@dataclass
class Upload:
    """A file as the API received it."""

    field: str
    filename: str | None
    stream: BinaryIO


@dataclass
class _Staged:
    field: str
    filename: str
    kind: str
    staged: StoredFile
    content_type: str
    page_count: int | None


def blob_store() -> BlobStore:
    ext = current_app.extensions
    if "blob_store" not in ext:
        ext["blob_store"] = BlobStore(ext["settings"].blob_dir)
    return ext["blob_store"]


# -- visibility ------------------------------------------------------------------------


def visibility_clause(user: User) -> ColumnElement[bool]:
    """Who sees a document: its participants; for non-secret documents, also the heads
    of the drafting unit. Secret ones (Mật and above) only their named participants."""
    participant = exists().where(
        DocumentParticipant.document_id == Document.id, DocumentParticipant.user_id == user.id
    )
    head_units = [m.unit_id for m in user.memberships if m.role == Role.HEAD and m.unit_id]
    unit_lead = (
        and_(Document.secrecy == Secrecy.NORMAL, Document.unit_id.in_(head_units))
        if head_units
        else false()
    )
    return or_(participant, unit_lead, *_delegated_clauses(user))


def _delegated_clauses(user: User) -> list[ColumnElement[bool]]:
    """A deputy sees what waits for the person who delegated to them, within the
    delegation's scope, for as long as it is active (ủy quyền); never secret documents."""
    from backend.workflow.models import AssignmentStatus, RouteStep, StepAssignment, StepKind

    clauses = []
    for delegation in org_service.active_delegations_to(user):
        kinds = [StepKind.REVIEW, StepKind.CONSULT] if delegation.can_approve else []
        kinds += [StepKind.SIGN] if delegation.can_sign else []
        conditions = [
            StepAssignment.document_id == Document.id,
            StepAssignment.step_id.in_(select(RouteStep.id).where(RouteStep.kind.in_(kinds))),
            StepAssignment.user_id == delegation.delegator_id,
            StepAssignment.status == AssignmentStatus.WAITING,
            Document.secrecy == Secrecy.NORMAL,  # secret documents: named people only
        ]
        if delegation.document_type_ids is not None:
            conditions.append(Document.document_type_id.in_(delegation.document_type_ids))
        if delegation.unit_ids is not None:
            conditions.append(Document.unit_id.in_(delegation.unit_ids))
        clauses.append(exists().where(*conditions))
    return clauses


def summary_load_options() -> list[Any]:
    """For lists of documents: what a summary shows, nothing more (no participants, no
    memberships of the people named)."""
    return [
        lazyload(Document.participants),
        joinedload(Document.created_by).lazyload(User.memberships),
    ]


def get_document(actor: User, document_id: int, *, for_update: bool = False) -> Document:
    query = select(Document).where(Document.id == document_id, visibility_clause(actor))
    if for_update:
        query = query.with_for_update(of=Document)
    document = session().scalar(query)
    if document is None:
        raise NotFound("No such document, or you may not see it.")
    return document


def roles_of(actor: User, document: Document) -> set[str]:
    return {p.role for p in document.participants if p.user_id == actor.id}


def _require_drafter(actor: User, document: Document) -> None:
    if ParticipantRole.DRAFTER not in roles_of(actor, document):
        raise Forbidden("Only the drafter may change this document.")
    if document.status not in EDITABLE_STATUSES:
        raise Conflict(
            f"The document is {document.status!r} and can no longer be edited.",
            code="invalid-state",
            current_state=document.status,
        )


# -- files -----------------------------------------------------------------------------


def _stage_files(
    main: Upload | None, attachments: list[Upload], *, images: bool = False
) -> list[_Staged]:
    """Store the uploads in staging and check each one (in a sandboxed child for PDFs).
    Limits: MAX_UPLOAD_MB per file, MAX_ATTACHMENTS attachments, MAX_DOCUMENT_MB for all
    files together. Nothing slow happens here beyond the checks: the text of PDFs is read
    by the worker after the commit (see enqueue_text_extraction)."""
    store = blob_store()
    settings = current_app.extensions["settings"]
    if len(attachments) > settings.max_attachments:
        raise ValidationFailed(
            f"At most {settings.max_attachments} attachments per document.",
            {"attachments": [f"{len(attachments)} sent; at most {settings.max_attachments}."]},
            code="too-many-files",
        )
    staged: list[_Staged] = []
    items = ([(main, "main")] if main else []) + [(a, "attachment") for a in attachments]
    field = "file"
    total = 0
    try:
        for upload, kind in items:
            field = upload.field
            filename = clean_filename(upload.filename)
            room = min(settings.max_upload_bytes, settings.max_document_bytes - total)
            try:
                stored = store.stage(upload.stream, room)
            except FileTooLarge as exc:
                if exc.limit < settings.max_upload_bytes:
                    raise FileProblem(
                        "files-too-large",
                        f"The files of one upload may total at most {settings.max_document_mb} "
                        f"MB; {filename} goes past that.",
                    ) from exc
                raise FileProblem(
                    "file-too-large",
                    f"{filename} is larger than the limit of {exc.limit // (1024 * 1024)} MB.",
                ) from exc
            total += stored.size
            entry = _Staged(upload.field, filename, kind, stored, "", None)
            staged.append(entry)
            checked = check_file(
                stored.temp_path,
                stored.head(),
                filename,
                pdf_only=False,
                word_only=(kind == "main"),
                images=images,
                max_unzipped=current_app.extensions["settings"].conversion_max_unzipped_mb
                * 1024
                * 1024,
            )
            entry.content_type, entry.page_count = checked.content_type, checked.page_count
            if kind == "main" and checked.content_type != "application/pdf":
                entry.kind = "source"  # a Word draft: the worker makes its PDF (conversions)
    except BaseException as exc:
        for entry in staged:
            entry.staged.discard()
        if isinstance(exc, FileProblem):
            raise ValidationFailed(exc.detail, {field: [exc.detail]}, code=exc.code) from exc
        raise
    return staged


def enqueue_text_extraction(staged: list[_Staged]) -> None:
    """After the commit: the worker reads the text of the new PDFs for search."""
    shas = sorted({e.staged.sha256 for e in staged if e.content_type == "application/pdf"})
    if shas:
        on_commit(lambda: current_app.extensions["tasks"].extract_texts(shas))


def _insert_blob_if_missing(sha256: str, size: int) -> None:
    s = session()
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    s.execute(
        insert(Blob)
        .values(sha256=sha256, size=size, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def _write_version(
    document: Document, number: int, actor: User, staged: list[_Staged], note: str
) -> DocumentVersion:
    s = session()
    version = DocumentVersion(
        document_id=document.id, number=number, note=note, created_by_id=actor.id
    )
    s.add(version)
    s.flush()
    for position, entry in enumerate(staged):
        # Published before commit: if the commit fails the file is an unreferenced orphan,
        # never a row pointing at nothing.
        entry.staged.publish()
        _insert_blob_if_missing(entry.staged.sha256, entry.staged.size)
        s.add(
            DocumentFile(
                version_id=version.id,
                kind=entry.kind,
                position=position,
                filename=entry.filename,
                content_type=entry.content_type,
                blob_sha256=entry.staged.sha256,
                size=entry.staged.size,
                page_count=entry.page_count,
            )
        )
    s.flush()
    s.refresh(version)
    enqueue_text_extraction(staged)
    conversions.request_for(document, version, version.files)
    return version


# -- operations ------------------------------------------------------------------------


def _membership_for(
    actor: User, organisation_id: int | None, unit_id: int | None = None
) -> Membership:
    candidates = [
        m
        for m in actor.memberships
        if (organisation_id is None or m.organisation_id == organisation_id)
        and m.role in DRAFTING_ROLES
    ]
    if not candidates:
        if organisation_id is not None and organisation_id not in actor.organisation_ids:
            raise NotFound("No such organisation.")
        raise Forbidden("Your role does not allow creating documents.")
    if unit_id is not None:
        # the drafting unit is one the drafter belongs to (a person in two units picks)
        chosen = [m for m in candidates if m.unit_id == unit_id]
        if not chosen:
            raise ValidationFailed(
                "Draft for a unit you belong to.", {"unit_id": ["Not one of your units."]}
            )
        return chosen[0]
    return candidates[0]


def create_document(
    actor: User, meta: dict[str, Any], main: Upload, attachments: list[Upload]
) -> Document:
    membership = _membership_for(actor, meta.get("organisation_id"), meta.get("unit_id"))
    direction = meta.get("direction", Direction.OUTGOING)
    if direction == Direction.INCOMING and membership.role != Role.CLERK:
        raise Forbidden("Only the clerk (văn thư) registers incoming documents.")
    doc_type = org_service.get_document_type(meta["document_type_id"])
    staged = _stage_files(main, attachments)
    if direction == Direction.INCOMING and staged[0].kind == "source":
        for entry in staged:
            entry.staged.discard()
        detail = "An incoming document is registered as the PDF it arrived as, not a Word file."
        raise ValidationFailed(detail, {"file": [detail]}, code="not-pdf")
    with atomic() as s:
        document = Document(
            organisation_id=membership.organisation_id,
            unit_id=membership.unit_id,
            direction=direction,
            document_type_id=doc_type.id,
            subject=meta["subject"],
            urgency=meta.get("urgency", Urgency.NORMAL),
            urgency_rank=URGENCY_RANK[Urgency(meta.get("urgency", Urgency.NORMAL))],
            secrecy=meta.get("secrecy", "normal"),
            due_date=meta.get("due_date"),
            created_by_id=actor.id,
        )
        s.add(document)
        s.flush()
        s.add(
            DocumentParticipant(
                document_id=document.id, user_id=actor.id, role=ParticipantRole.DRAFTER
            )
        )
        version = _write_version(document, 1, actor, staged, meta.get("note", ""))
        audit.record(
            "document.created",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={
                "subject": document.subject,
                "version": 1,
                "files": [f.blob_sha256 for f in version.files],
            },
        )
        s.refresh(document)
    return document


def list_documents(
    actor: User,
    *,
    filters: dict[str, Any],
    cursor: str | None,
    limit: int,
) -> Page:
    query = select(Document).where(visibility_clause(actor))
    for name in ("direction", "status", "urgency", "secrecy", "document_type_id", "unit_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(Document, name) == filters[name])
    if filters.get("q"):
        query = query.where(Document.subject.ilike(f"%{filters['q']}%"))
    if filters.get("mine"):
        query = query.where(
            exists().where(
                DocumentParticipant.document_id == Document.id,
                DocumentParticipant.user_id == actor.id,
                DocumentParticipant.role == ParticipantRole.DRAFTER,
            )
        )
    rows, next_cursor = newest_first(
        query.options(*summary_load_options()), Document, cursor, limit
    )
    return Page(rows, next_cursor)


def touch(document: Document) -> None:
    """Mark a change to the document (new ETag); 412 if someone changed it meanwhile."""
    document.updated_at = utcnow()
    _save(document)


def ensure_participant(document: Document, user_id: int, role: str) -> None:
    """Give someone a role in the document (idempotent; inside the caller's transaction)."""
    if any(p.user_id == user_id and p.role == role for p in document.participants):
        return
    participant = DocumentParticipant(document_id=document.id, user_id=user_id, role=role)
    session().add(participant)
    document.participants.append(participant)


def _save(document: Document) -> None:
    try:
        session().flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The document was changed by someone else; reload it and try again."
        ) from exc


def update_document(
    actor: User, document_id: int, if_match: str | None, changes: dict[str, Any]
) -> Document:
    with atomic():
        document = get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        _require_drafter(actor, document)
        if "document_type_id" in changes:
            changes["document_type_id"] = org_service.get_document_type(
                changes["document_type_id"]
            ).id
        if "unit_id" in changes:
            _membership_for(actor, document.organisation_id, changes["unit_id"])
        before = {k: _plain(getattr(document, k)) for k in changes}
        for key, value in changes.items():
            setattr(document, key, value)
        if "urgency" in changes:
            document.set_urgency(changes["urgency"])
        document.updated_at = utcnow()
        _save(document)
        if "unit_id" in changes:
            session().expire(document, ["unit"])  # loaded again for the answer
        audit.record(
            "document.updated",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"before": before, "after": {k: _plain(v) for k, v in changes.items()}},
        )
    return document


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def add_version(
    actor: User,
    document_id: int,
    if_match: str | None,
    main: Upload,
    attachments: list[Upload],
    note: str,
) -> DocumentVersion:
    # Checks before the (slow) file handling, and again under the lock.
    document = get_document(actor, document_id)
    check_if_match(if_match, document.etag)
    _require_drafter(actor, document)
    staged = _stage_files(main, attachments)
    with atomic():
        document = get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        _require_drafter(actor, document)
        number = document.current_version + 1
        version = _write_version(document, number, actor, staged, note)
        document.current_version = number
        document.updated_at = utcnow()
        _save(document)
        audit.record(
            "document.version_added",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"version": number, "files": [f.blob_sha256 for f in version.files]},
        )
    return version


@dataclass(frozen=True)
class StoredBytes:
    """Bytes already written to the blob store (a signing worker's thread writes each
    signed PDF while the next one is being finished)."""

    sha256: str
    size: int

    @classmethod
    def put(cls, store: BlobStore, data: bytes) -> StoredBytes:
        return cls(store.put_bytes(data), len(data))


def add_signed_version(
    document: Document,
    actor: User | None,
    main_pdf: bytes | StoredBytes,
    note: str,
    page_count: int | None,
    attachments: dict[int, bytes | StoredBytes] | None = None,
) -> DocumentVersion:
    """A new version whose main file is ``main_pdf`` (the signed PDF) and whose
    attachments are those of the current version — except those in ``attachments``
    (file id → signed bytes), signed at issuing; ``actor`` None for the system's own
    versions (archive timestamp renewal). The caller holds the document's lock inside
    ``atomic()``."""
    s = session()
    current = current_files(document)
    signed = {f.id: main_pdf for f in current if f.kind == "main"} | (attachments or {})
    stored: dict[int, StoredBytes] = {}
    for file_id, data in signed.items():
        ref = data if isinstance(data, StoredBytes) else StoredBytes.put(blob_store(), data)
        _insert_blob_if_missing(ref.sha256, ref.size)
        stored[file_id] = ref
    # Signatures add no page text: the search index keeps the unsigned files' text.
    texts = dict(
        s.execute(
            select(BlobText.blob_sha256, BlobText.text).where(
                BlobText.blob_sha256.in_([f.blob_sha256 for f in current if f.id in signed])
            )
        ).all()
    )
    number = document.current_version + 1
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        note=note,
        created_by_id=actor.id if actor else None,
    )
    s.add(version)
    s.flush()
    copies: dict[int, DocumentFile] = {}
    for f in current:
        ref = stored.get(f.id)
        if ref is not None and f.blob_sha256 in texts:
            store_blob_text(s, ref.sha256, texts[f.blob_sha256])
        copies[f.id] = DocumentFile(
            version_id=version.id,
            kind=f.kind,
            position=f.position,
            filename=f.filename,
            content_type=f.content_type,
            blob_sha256=ref.sha256 if ref else f.blob_sha256,
            size=ref.size if ref else f.size,
            page_count=(page_count or f.page_count) if f.kind == "main" else f.page_count,
        )
        s.add(copies[f.id])
    s.flush()
    for f in current:  # a converted PDF still names its original, in the new version
        if f.source_file_id in copies:
            copies[f.id].source_file_id = copies[f.source_file_id].id
    document.current_version = number
    document.updated_at = utcnow()
    s.flush()
    s.expire(version, ["files"])  # loaded on demand; signing never reads them
    audit.record(
        "document.version_added",
        "document",
        document.id,
        actor=actor,
        organisation_id=document.organisation_id,
        data={
            "version": number,
            "files": sorted(ref.sha256 for ref in stored.values()),
            "note": note,
        },
    )
    return version


def main_file(document: Document) -> tuple[DocumentFile, Path]:
    """The current main PDF of a document and where its bytes are."""
    file = next((f for f in current_files(document) if f.kind == "main"), None)
    if file is None:
        raise NotFound("The document has no main file.", code="no-main-file")
    return file, blob_store().path(file.blob_sha256)


def list_versions(actor: User, document_id: int) -> list[DocumentVersion]:
    document = get_document(actor, document_id)
    return list(
        session().scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number)
        )
    )


def current_files(document: Document) -> list[DocumentFile]:
    version = session().scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.current_version,
        )
    )
    return list(version.files) if version else []


def add_participant(
    actor: User, document_id: int, if_match: str | None, user_id: int, role: str
) -> DocumentParticipant:
    with atomic() as s:
        document = get_document(actor, document_id, for_update=True)
        check_if_match(if_match, document.etag)
        if ParticipantRole.DRAFTER not in roles_of(actor, document):
            raise Forbidden("Only the drafter may add people to this document.")
        target = s.get(User, user_id)
        if target is None or document.organisation_id not in target.organisation_ids:
            raise ValidationFailed(
                "The person must belong to the document's organisation.",
                {"user_id": ["Not a member of this organisation."]},
            )
        existing = next(
            (p for p in document.participants if p.user_id == user_id and p.role == role), None
        )
        if existing is not None:
            return existing
        participant = DocumentParticipant(document_id=document.id, user_id=user_id, role=role)
        s.add(participant)
        document.updated_at = utcnow()
        _save(document)
        audit.record(
            "document.participant_added",
            "document",
            document.id,
            actor=actor,
            organisation_id=document.organisation_id,
            data={"user_id": user_id, "role": role},
        )
    return participant


def get_file(actor: User, document_id: int, file_id: int) -> tuple[DocumentFile, Path]:
    document = get_document(actor, document_id)
    file = session().scalar(
        select(DocumentFile)
        .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
        .where(DocumentFile.id == file_id, DocumentVersion.document_id == document.id)
    )
    if file is None:
        raise NotFound("No such file in this document.")
    path = blob_store().path(file.blob_sha256)
    if not path.exists():
        raise NotFound("The file's content is missing from storage.", code="blob-missing")
    return file, path


def page_image(
    actor: User, document_id: int, file_id: int, page: int, css_width: int, dpr: float
) -> tuple[Path, str]:
    """A page of a PDF file as a WebP image for the phone: (path, etag)."""
    file, path = get_file(actor, document_id, file_id)
    if file.content_type != "application/pdf" or not file.page_count:
        raise ValidationFailed(
            "Only PDF files have page images.", {"file_id": ["Not a PDF."]}, code="not-pdf"
        )
    if not 1 <= page <= file.page_count:
        raise NotFound(f"The file has {file.page_count} pages.", code="no-such-page")
    pixels = pages.pixel_width(css_width, dpr)
    cache_dir = Path(current_app.extensions["settings"].var_dir) / "cache" / "pages"
    try:
        image = pages.render_page(path, cache_dir, file.blob_sha256, page, pixels)
    except pages.PageTooComplex as exc:
        raise ValidationFailed(
            str(exc), {"page": [str(exc)]}, code="page-too-complex", page=page
        ) from exc
    except sandbox.Busy as exc:
        raise ServerBusy(
            "Too many pages are being drawn right now; try again in a moment.",
            headers={"Retry-After": "2"},
        ) from exc
    return image, f"{file.blob_sha256[:16]}-{page}-{pixels}"


# -- documents that arrive from elsewhere (the exchange) -----------------------------------


@dataclass
class StoredFileRef:
    """A file already in the blob store (received from another agency, or shared with
    another organisation of this installation)."""

    kind: str  # main | attachment
    filename: str
    content_type: str
    sha256: str
    size: int
    page_count: int | None = None
    text: str | None = None  # of a PDF, for the search index


def _write_stored_version(
    document: Document, number: int, created_by_id: int, files: list[StoredFileRef], note: str
) -> DocumentVersion:
    s = session()
    version = DocumentVersion(
        document_id=document.id, number=number, note=note, created_by_id=created_by_id
    )
    s.add(version)
    s.flush()
    for position, f in enumerate(files):
        _insert_blob_if_missing(f.sha256, f.size)
        if f.text is not None:
            store_blob_text(s, f.sha256, f.text)
        s.add(
            DocumentFile(
                version_id=version.id,
                kind=f.kind,
                position=position,
                filename=clean_filename(f.filename),
                content_type=f.content_type,
                blob_sha256=f.sha256,
                size=f.size,
                page_count=f.page_count,
            )
        )
    s.flush()
    return version


def create_received(
    organisation_id: int,
    *,
    created_by_id: int,
    document_type_id: int,
    subject: str,
    urgency: str,
    secrecy: str,
    due_date: date | None,
    files: list[StoredFileRef],
    readers: list[tuple[int, str]],
    note: str,
) -> Document:
    """An incoming document (not yet registered) made from stored files, readable by
    ``readers`` (user id, participant role). Inside the caller's transaction."""
    s = session()
    document = Document(
        organisation_id=organisation_id,
        unit_id=None,
        direction=Direction.INCOMING,
        document_type_id=document_type_id,
        subject=subject[:500],
        urgency=urgency,
        urgency_rank=URGENCY_RANK[Urgency(urgency)],
        secrecy=secrecy,
        due_date=due_date,
        created_by_id=created_by_id,
    )
    s.add(document)
    s.flush()
    for user_id, role in dict.fromkeys(readers):
        ensure_participant(document, user_id, role)
    version = _write_stored_version(document, 1, created_by_id, files, note)
    audit.record(
        "document.received",
        "document",
        document.id,
        organisation_id=organisation_id,
        data={"subject": document.subject, "files": [f.blob_sha256 for f in version.files]},
    )
    return document


def add_received_version(
    document: Document, created_by_id: int, files: list[StoredFileRef], note: str
) -> DocumentVersion:
    """The sender's update of a received document, as its next version (inside the
    caller's transaction, the document locked)."""
    number = document.current_version + 1
    version = _write_stored_version(document, number, created_by_id, files, note)
    document.current_version = number
    document.updated_at = utcnow()
    _save(document)
    audit.record(
        "document.version_added",
        "document",
        document.id,
        organisation_id=document.organisation_id,
        data={"version": number, "files": [f.blob_sha256 for f in version.files], "note": note},
    )
    return version
