"""Word drafts become PDFs: a conversion job per office file of a version (the draft's
main .docx/.odt, and office attachments), run by the worker's converters. The original
stays in the version as the editable source (downloadable); the PDF made from it joins
the same version — as its ``main`` file, which is what is reviewed, signed and issued, or
as the PDF copy of an attachment, which the agency signs at issuing.

A version whose main PDF is still being made cannot be submitted (409
``conversion-pending``); one whose conversion failed says why (409 ``conversion-failed``)
and the drafter uploads a new version.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.conversion.converter import ConversionError, ConverterPool, ConverterUnavailable
from backend.conversion.models import ConversionState, FileConversion
from backend.core.db import atomic, on_commit, session
from backend.core.errors import Conflict
from backend.core.timeutil import utcnow
from backend.search.index import reindex, store_blob_text
from backend.search.text import extract_pdf_text

from .files import PDF, FileProblem, check_pdf
from .models import Document, DocumentFile, DocumentParticipant, DocumentVersion, ParticipantRole

log = logging.getLogger("trinhky.conversion")
HOLDER = f"{socket.gethostname()[:40]}:{os.getpid()}"
WARM_UP_AFTER = 20.0  # seconds after the worker starts, its converters start
MAX_ATTEMPTS = 3  # a converter that crashes (or a worker killed) this often: give up
SOURCE = "source"
LABELS_VI = {
    "conversion-timeout": "Chuyển đổi quá thời gian cho phép",
    "conversion-failed": "LibreOffice không mở được tệp",
    "converter-crashed": "Bộ chuyển đổi bị dừng khi xử lý tệp",
    "conversion-empty": "Tệp chuyển đổi không có trang nào",
}


def pool() -> ConverterPool:
    """The converters of this process, started on first use (the worker starts them at
    once; tests start one for the session)."""
    ext = current_app.extensions
    if "converter_pool" not in ext:
        settings = ext["settings"]
        ext["converter_pool"] = ConverterPool(
            settings.converters,
            Path(settings.var_dir) / "convert",
            uno_python=settings.uno_python,
            soffice=settings.soffice_path,
            time_limit=settings.conversion_timeout,
        )
    return ext["converter_pool"]


# -- requesting (inside the upload's transaction) ------------------------------------------


def request_for(document: Document, version: DocumentVersion, files: Iterable[DocumentFile]) -> int:
    """A job for every office file of a new version; their conversion is handed to the
    worker once the upload has committed."""
    s = session()
    jobs = [
        FileConversion(
            document_id=document.id,
            version_id=version.id,
            source_file_id=f.id,
            target_kind="main" if f.kind == SOURCE else "attachment",
            state=ConversionState.PENDING,
            code="",
            reason="",
            attempts=0,
        )
        for f in files
        if f.content_type != PDF and f.source_file_id is None
    ]
    if jobs:
        s.add_all(jobs)
        s.flush()
        on_commit(enqueue)
    return len(jobs)


def enqueue() -> None:
    current_app.extensions["tasks"].convert_documents()


# -- reading -------------------------------------------------------------------------------


def jobs_for(files: list[DocumentFile]) -> dict[int, FileConversion]:
    """The conversion job of each of these office files: its own, or — for a file a later
    version copied (signing makes new versions) — the newest job of the same bytes in the
    same document: the PDF of the same content is the same, and so is a failure."""
    office = [f for f in files if f.content_type != PDF]
    if not office:
        return {}
    source = aliased(DocumentFile)
    rows = (
        session()
        .execute(
            select(FileConversion, source.blob_sha256)
            .join(source, source.id == FileConversion.source_file_id)
            .where(
                FileConversion.document_id.in_(
                    select(DocumentVersion.document_id).where(
                        DocumentVersion.id.in_({f.version_id for f in office})
                    )
                ),
                source.blob_sha256.in_({f.blob_sha256 for f in office}),
            )
            .order_by(FileConversion.id)
        )
        .all()
    )
    own = {job.source_file_id: job for job, _ in rows}
    by_content = {sha: job for job, sha in rows}  # the newest wins
    found: dict[int, FileConversion] = {}
    for f in office:
        job = own.get(f.id) or by_content.get(f.blob_sha256)
        if job is not None:
            found[f.id] = job
    return found


def view(job: FileConversion | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "state": job.state,
        "code": job.code or None,
        "reason": job.reason or None,
        "reason_vi": LABELS_VI.get(job.code) if job.code else None,
        "pdf_file_id": job.pdf_file_id,
    }


def main_state(files: list[DocumentFile], jobs: dict[int, FileConversion]) -> dict | None:
    """Where the version's main PDF stands when it is made from a Word file: None for a
    PDF draft; else the job's view ("pending"/"running" = đang chuyển đổi)."""
    source = next((f for f in files if f.kind == SOURCE), None)
    if source is None:
        return None
    return view(jobs.get(source.id))


def require_main_pdf(document: Document, files: list[DocumentFile]) -> None:
    """409 while the draft's PDF is being made, or when it could not be made."""
    if any(f.kind == "main" for f in files):
        return
    source = next((f for f in files if f.kind == SOURCE), None)
    job = jobs_for([source]).get(source.id) if source else None
    if job is not None and job.state == ConversionState.FAILED:
        raise Conflict(
            f"“{source.filename}” could not be converted to PDF: {job.reason} Upload a new "  # type: ignore[union-attr]
            "version (a .docx saved again from Word, or a PDF).",
            code="conversion-failed",
            current_state=document.status,
            reason_code=job.code,
        )
    raise Conflict(
        "The draft is still being converted to PDF (đang chuyển đổi); try again in a moment.",
        code="conversion-pending",
        current_state=document.status,
    )


def attachment_pdfs(files: list[DocumentFile]) -> tuple[list[DocumentFile], dict[int, Any]]:
    """At issuing: the PDF attachments to sign (PDF copies of office files included), and
    the office attachments whose PDF copy is missing, with their jobs (None: no job)."""
    office = [f for f in files if f.kind == "attachment" and f.content_type != PDF]
    converted = {f.source_file_id for f in files if f.source_file_id is not None}
    missing = [f for f in office if f.id not in converted]
    jobs = jobs_for(missing)
    pdfs = [f for f in files if f.kind == "attachment" and f.content_type == PDF]
    return pdfs, {f.id: (f, jobs.get(f.id)) for f in missing}


def require_attachment_pdfs(document: Document, files: list[DocumentFile]) -> list[DocumentFile]:
    """The attachments the agency signs at issuing. An office attachment is signed through
    its PDF copy (the original stays attached); while a copy is being made the issue
    answers 409 ``conversion-pending``, and when it cannot be made 409
    ``attachment-conversion-failed`` names the files and why. Attachments stored before
    conversion existed get their job now."""
    pdfs, missing = attachment_pdfs(files)
    if not missing:
        return pdfs
    failed = [(f, job) for f, job in missing.values() if job and job.state == "failed"]
    if failed:
        names = "; ".join(f"“{f.filename}”: {job.reason}" for f, job in failed)
        raise Conflict(
            f"Office attachment(s) could not be converted to PDF, so the agency cannot sign "
            f"them: {names} Return the document so the drafter replaces them (with PDF "
            "files, or documents saved again), then issue it again.",
            code="attachment-conversion-failed",
            current_state=document.status,
            files=[{"id": f.id, "filename": f.filename, "code": job.code} for f, job in failed],
        )
    raise Conflict(
        "The office attachment(s) "
        + ", ".join(f"“{f.filename}”" for f, _ in missing.values())
        + " are being converted to PDF so they can be signed; issue again in a moment.",
        code="conversion-pending",
        current_state=document.status,
    )


def backfill(batch: int = 100) -> int:
    """Jobs for office files of documents on their way to issuing that have none (stored
    before conversion existed): the minute's sweep finds them, the converters follow."""
    from .models import DocumentStatus

    s = session()
    derived, source = aliased(DocumentFile), aliased(DocumentFile)
    rows = s.execute(
        select(DocumentFile.id, DocumentFile.kind, DocumentVersion.id, Document.id)
        .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
        .join(
            Document,
            (Document.id == DocumentVersion.document_id)
            & (Document.current_version == DocumentVersion.number),
        )
        .where(
            ~select(FileConversion.id)
            .join(source, source.id == FileConversion.source_file_id)
            .where(
                FileConversion.document_id == Document.id,
                source.blob_sha256 == DocumentFile.blob_sha256,
            )
            .exists(),
            DocumentFile.content_type != PDF,
            DocumentFile.kind.in_((SOURCE, "attachment")),
            Document.status.in_(
                (DocumentStatus.DRAFT, DocumentStatus.IN_REVIEW, DocumentStatus.SIGNED)
            ),
            ~select(derived.id).where(derived.source_file_id == DocumentFile.id).exists(),
        )
        .limit(batch)
    ).all()
    s.rollback()
    if not rows:
        return 0
    with atomic() as s:
        for file_id, kind, version_id, document_id in rows:
            s.add(
                FileConversion(
                    document_id=document_id,
                    version_id=version_id,
                    source_file_id=file_id,
                    target_kind="main" if kind == SOURCE else "attachment",
                    state=ConversionState.PENDING,
                    code="",
                    reason="",
                    attempts=0,
                )
            )
        on_commit(enqueue)
    return len(rows)


# -- running (the worker) ------------------------------------------------------------------


def _lease(settings: Any) -> timedelta:
    return timedelta(seconds=settings.conversion_timeout * 2 + 30)


def claim() -> int | None:
    """Take the oldest waiting job (or one whose worker died: its lease ran out)."""
    settings = current_app.extensions["settings"]
    now = utcnow()
    with atomic() as s:
        query = (
            select(FileConversion)
            .where(
                or_(
                    FileConversion.state == ConversionState.PENDING,
                    (FileConversion.state == ConversionState.RUNNING)
                    & (FileConversion.lease_until < now),
                )
            )
            .order_by(FileConversion.id)
            .limit(1)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        while (job := s.scalar(query)) is not None and job.attempts >= MAX_ATTEMPTS:
            _fail(job, "converter-crashed", "The converter stopped on this file repeatedly.")
            s.flush()
        if job is None:
            return None
        job.state = ConversionState.RUNNING
        job.attempts += 1
        job.holder = HOLDER
        job.started_at = now
        job.lease_until = now + _lease(settings)
        return job.id


def run_one(converters: ConverterPool | None = None) -> bool:
    """Convert one waiting file; False when nothing waits."""
    job_id = claim()
    if job_id is None:
        return False
    s = session()
    job = s.get(FileConversion, job_id)
    source = s.get(DocumentFile, job.source_file_id) if job else None
    if job is None or source is None:
        return True
    from .service import blob_store

    blob_sha256, suffix = source.blob_sha256, Path(source.filename).suffix.lower()

    store = blob_store()
    settings = current_app.extensions["settings"]
    work = Path(settings.var_dir) / "convert" / "jobs"
    work.mkdir(parents=True, exist_ok=True)
    # LibreOffice picks its import filter by the name: keep the original's extension
    src = work / f"{job_id}{suffix or '.docx'}"
    dst = work / f"{job_id}.pdf"
    session().rollback()  # no transaction is held while LibreOffice works
    started = time.monotonic()
    try:
        src.unlink(missing_ok=True)
        src.symlink_to(store.path(blob_sha256))
        dst.unlink(missing_ok=True)
        (converters or pool()).convert(src, dst)
        try:
            pages = check_pdf(dst, dst.read_bytes()[:1024])
        except FileProblem as problem:
            raise ConversionError("conversion-empty", problem.detail) from problem
        text = extract_pdf_text(dst)
        with open(dst, "rb") as fh:
            staged = store.stage(fh, max_size=settings.max_upload_bytes * 4)
        _finish(job_id, staged, pages, text, int((time.monotonic() - started) * 1000))
    except ConversionError as exc:
        _record_failure(job_id, exc.code, exc.detail)
    except ConverterUnavailable as exc:
        # not the document's fault: it waits for a converter (the lease brings it back)
        log.error("conversion %s waits: %s", job_id, exc)
        with atomic() as s:
            s.execute(
                update(FileConversion)
                .where(FileConversion.id == job_id)
                .values(state=ConversionState.PENDING, attempts=FileConversion.attempts - 1)
            )
        return False
    finally:
        src.unlink(missing_ok=True)
        dst.unlink(missing_ok=True)
    return True


def _finish(job_id: int, staged: Any, pages: int, text: str, duration_ms: int) -> None:
    from .service import _insert_blob_if_missing

    with atomic() as s:
        job = s.get(FileConversion, job_id, with_for_update={"of": FileConversion})
        if job is None or job.state != ConversionState.RUNNING or job.holder != HOLDER:
            staged.discard()  # another worker took it over meanwhile
            return
        source = s.get(DocumentFile, job.source_file_id)
        assert source is not None
        staged.publish()
        _insert_blob_if_missing(staged.sha256, staged.size)
        store_blob_text(s, staged.sha256, text)
        position = (
            max(
                s.scalars(
                    select(DocumentFile.position).where(DocumentFile.version_id == job.version_id)
                ),
                default=0,
            )
            + 1
        )
        pdf = DocumentFile(
            version_id=job.version_id,
            kind="main" if job.target_kind == "main" else "attachment",
            # the main PDF comes first in the version; an attachment's copy follows it
            position=-1 if job.target_kind == "main" else position,
            filename=Path(source.filename).stem + ".pdf",
            content_type=PDF,
            blob_sha256=staged.sha256,
            size=staged.size,
            page_count=pages,
            source_file_id=source.id,
        )
        s.add(pdf)
        _copy_into_current(job, source, pdf)
        s.flush()
        job.state = ConversionState.DONE
        job.pdf_file_id = pdf.id
        job.finished_at = utcnow()
        job.lease_until = None
        job.duration_ms = duration_ms
        audit.record(
            "document.converted",
            "document",
            job.document_id,
            actor=None,
            organisation_id=_organisation(job.document_id),
            data={"source": source.blob_sha256, "pdf": staged.sha256, "pages": pages},
        )
        reindex(s, [job.document_id])


def _copy_into_current(job: FileConversion, source: DocumentFile, pdf: DocumentFile) -> None:
    """A version made while the file was converting (a signature on the draft) holds a
    copy of the original: its PDF copy joins that version too."""
    s = session()
    document = s.get(Document, job.document_id)
    current = s.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == job.document_id,
            DocumentVersion.number == (document.current_version if document else -1),
        )
    )
    if current is None or current.id == job.version_id:
        return
    files = list(s.scalars(select(DocumentFile).where(DocumentFile.version_id == current.id)))
    derived = {f.source_file_id for f in files}
    for copy in files:
        if copy.blob_sha256 == source.blob_sha256 and copy.id not in derived:
            s.add(
                DocumentFile(
                    version_id=current.id,
                    kind=pdf.kind,
                    position=pdf.position,
                    filename=pdf.filename,
                    content_type=PDF,
                    blob_sha256=pdf.blob_sha256,
                    size=pdf.size,
                    page_count=pdf.page_count,
                    source_file_id=copy.id,
                )
            )


def _organisation(document_id: int) -> int | None:
    return session().scalar(select(Document.organisation_id).where(Document.id == document_id))


def _record_failure(job_id: int, code: str, reason: str) -> None:
    with atomic() as s:
        job = s.get(FileConversion, job_id, with_for_update={"of": FileConversion})
        if job is None or job.state != ConversionState.RUNNING:
            return
        if code == "converter-crashed" and job.attempts < MAX_ATTEMPTS:
            job.state = ConversionState.PENDING  # once more, with a fresh converter
            job.lease_until = None
            return
        _fail(job, code, reason)


def _fail(job: FileConversion, code: str, reason: str) -> None:
    """Inside atomic(): the job failed; the drafter hears why."""
    from backend.notifications import service as notifications

    job.state = ConversionState.FAILED
    job.code, job.reason = code, reason
    job.finished_at = utcnow()
    job.lease_until = None
    s = session()
    source = s.get(DocumentFile, job.source_file_id)
    document = s.get(Document, job.document_id)
    if source is None or document is None:
        return
    drafters = s.scalars(
        select(DocumentParticipant.user_id).where(
            DocumentParticipant.document_id == document.id,
            DocumentParticipant.role == ParticipantRole.DRAFTER,
        )
    )
    notifications.notify(
        list(drafters),
        "document.conversion_failed",
        f"Không chuyển được sang PDF: {source.filename}",
        f"{LABELS_VI.get(code, 'Lỗi chuyển đổi')}. {reason}",
        document_id=document.id,
        urgency=document.urgency,
    )
    audit.record(
        "document.conversion_failed",
        "document",
        document.id,
        actor=None,
        organisation_id=document.organisation_id,
        data={"file": source.blob_sha256, "code": code},
    )


def run_pending(converters: ConverterPool | None = None, limit: int = 1000) -> int:
    """Convert what waits, one file after another (tests, and a worker without threads)."""
    done = 0
    while done < limit and run_one(converters):
        done += 1
    return done


# -- the worker's converter threads ------------------------------------------------------------


class Runner:
    """One thread per converter in the worker process, each taking the next waiting job;
    the queue's task only wakes them, so no queue worker ever waits for LibreOffice."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, warm_up_after: float = WARM_UP_AFTER) -> None:
        with self.app.app_context():
            converters = pool()
            count = len(converters.converters)
        # LibreOffice starts at the first waiting conversion, or a little after the worker
        # started: a restarted worker resumes signing and deliveries first
        timer = threading.Timer(warm_up_after, converters.start, kwargs={"wait": False})
        timer.daemon = True
        timer.start()
        for i in range(count):
            thread = threading.Thread(target=self._loop, name=f"conversion-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _loop(self) -> None:
        while True:
            worked = False
            try:
                with self.app.app_context():
                    worked = run_one()
            except Exception:  # the database restarting: look again shortly
                log.exception("conversion runner")
            if not worked:
                self.wake.wait(2.0)
                self.wake.clear()
