"""The slow part of receiving, with no database and no Flask: read a package, store its
files, count pages, extract the text for search, and check every PDF's signatures
(PAdES, TT 41). It runs in the worker, or in a pool of processes when many packages
wait (bulk ingest), and returns plain data the worker commits in one short transaction.

A PDF whose signature is broken — altered after signing, or modified in a way the
signature does not allow — refuses the package; a signature that is merely not trusted
or revoked is reported, and the clerk decides (registering it then needs their
confirmation, as for any incoming document)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from backend.core.storage import BlobStore
from backend.documents.files import FileProblem, check_pdf, clean_filename
from backend.search.text import extract_pdf_text
from signing.errors import SigningError
from signing.validation import validate

from . import edxml

PDF = "application/pdf"
FETCHER_TTL = 300.0  # seconds an OCSP response or CRL fetched for one check serves others
_local = threading.local()


@dataclass
class Refusal:
    code: str
    reason_vi: str
    reason_en: str
    sender: str = ""
    document_id: str = ""

    @classmethod
    def of(cls, exc: edxml.PackageError) -> Refusal:
        return cls(exc.code, exc.reason_vi, exc.reason_en, exc.sender, exc.document_id)


@dataclass
class PreparedFile:
    kind: str  # main | attachment
    filename: str
    content_type: str
    sha256: str
    size: int
    page_count: int | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "size": self.size,
            "page_count": self.page_count,
        }


@dataclass
class Prepared:
    """What a package turned out to be: a document (``edoc``, its files stored and
    checked), a status packet, or a refusal."""

    edoc: edxml.Edoc | None = None
    status: edxml.Status | None = None
    refusal: Refusal | None = None
    files: list[PreparedFile] = field(default_factory=list)
    validation: list[dict[str, Any]] = field(default_factory=list)
    signatures_ok: bool | None = None


@dataclass(frozen=True)
class Job:
    """One package to prepare; everything a separate process needs."""

    package_path: str
    blob_dir: str
    limits: edxml.Limits
    trust_roots: tuple[bytes, ...]  # DER


def fetchers() -> Fetchers:
    """Revocation fetchers shared by the checks of this thread for a few minutes: the
    OCSP response of a signer seen in one document serves the next (bulk ingest)."""
    now = time.monotonic()
    cached = getattr(_local, "fetchers", None)
    if cached is None or now - cached[0] > FETCHER_TTL:
        cached = (now, RequestsFetcherBackend(per_request_timeout=10).get_fetchers())
        _local.fetchers = cached
    return cached[1]


def _roots(der: tuple[bytes, ...]) -> list[x509.Certificate]:
    key = hash(der)
    cached = getattr(_local, "roots", None)
    if cached is None or cached[0] != key:
        cached = (key, [x509.Certificate.load(d) for d in der])
        _local.roots = cached
    return cached[1]


def is_broken(report: dict[str, Any]) -> bool:
    """Altered or modified after signing (not: untrusted, revoked)."""
    for sig in report.get("signatures", []):
        if not sig["intact"] or not sig["valid"]:
            return True
        if sig["trusted"] and not sig["revoked"] and not sig["bottom_line"]:
            return True
    return False


def check_signatures(
    data: bytes, name: str, roots: list[x509.Certificate]
) -> tuple[dict[str, Any], Refusal | None]:
    try:
        report = validate(data, roots, fetchers=fetchers()).to_dict()
    except SigningError as exc:
        return {}, Refusal(
            "pdf-broken",
            f"Tệp {name} không đọc được: {exc}",
            f"File {name} cannot be read: {exc}",
        )
    if is_broken(report):
        return report, Refusal(
            "signature-invalid",
            f"Chữ ký số trên tệp {name} không hợp lệ: {report['verdict_vi']}",
            f"The digital signature of {name} is not valid: {report['verdict_en']}",
        )
    return report, None


def prepare_files(
    attachments: list[edxml.Attachment],
    store: BlobStore,
    roots: list[x509.Certificate],
) -> tuple[list[PreparedFile], list[dict[str, Any]], Refusal | None]:
    files: list[PreparedFile] = []
    validation: list[dict[str, Any]] = []
    main_taken = False
    for attachment in attachments:
        data = attachment.data
        name = clean_filename(attachment.name, "tep-dinh-kem")
        sha = store.put_bytes(data)
        is_pdf = data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]
        if not is_pdf:
            files.append(PreparedFile("attachment", name, attachment.content_type, sha, len(data)))
            continue
        path = store.path(sha)
        try:
            pages = check_pdf(path, data[:1024])
        except FileProblem as problem:
            return (
                files,
                validation,
                Refusal(
                    problem.code,
                    f"Tệp {name} không phải PDF đọc được: {problem.detail}",
                    f"File {name} is not a readable PDF: {problem.detail}",
                ),
            )
        report, refusal = check_signatures(data, name, roots)
        if refusal is not None:
            return files, validation, refusal
        validation.append({"file": name, "sha256": sha, **report})
        files.append(
            PreparedFile(
                "attachment" if main_taken else "main",
                name,
                PDF,
                sha,
                len(data),
                page_count=pages,
                text=extract_pdf_text(path),
            )
        )
        main_taken = True
    if not main_taken:
        return (
            files,
            validation,
            Refusal(
                "no-pdf",
                "Gói tin không có văn bản PDF (văn bản điện tử phải là tệp PDF có chữ ký số).",
                "The package carries no PDF (an electronic document is a signed PDF).",
            ),
        )
    return files, validation, None


def signatures_ok(validation: list[dict[str, Any]]) -> bool | None:
    signed = [v for v in validation if v.get("signatures")]
    if not signed:
        return None
    return all(v["ok"] for v in signed)


def prepare(job: Job) -> Prepared:
    """Read, store and check one package (safe to run in another process)."""
    raw = Path(job.package_path).read_bytes()
    try:
        package = edxml.parse(raw, job.limits)
    except edxml.PackageError as exc:
        return Prepared(refusal=Refusal.of(exc))
    if isinstance(package, edxml.Status):
        return Prepared(status=package)
    store = BlobStore(job.blob_dir)
    files, validation, refusal = prepare_files(package.attachments, store, _roots(job.trust_roots))
    package.attachments = []  # stored: only their references travel back
    if refusal is not None:
        refusal.sender = package.sender.organ_id
        refusal.document_id = package.document_id
        return Prepared(edoc=package, refusal=refusal, files=files, validation=validation)
    return Prepared(
        edoc=package, files=files, validation=validation, signatures_ok=signatures_ok(validation)
    )
