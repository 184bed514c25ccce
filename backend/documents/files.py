"""Checking uploaded files before anything is stored: real PDFs — complete, not damaged,
not encrypted, not a decompression bomb — within the size limit; the main file may also
be a Word/OpenDocument text and attachments office documents, which must pass
backend.conversion.checks (the worker converts them); progress reports may be photos."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from backend.conversion.checks import CONTENT_TYPES, MACRO_EXTENSIONS, WORD, OfficeProblem
from backend.conversion.checks import check_office as _check_office
from backend.core import sandbox
from backend.core.errors import ApiError

from . import pdfwork

PDF = "application/pdf"
CHECK_MEMORY_MB = 400
CHECK_SECONDS = 10.0
# Office files are checked by backend.conversion.checks (package, macros, password, bombs).
OFFICE_TYPES = CONTENT_TYPES
# Photos (progress reports from the field): recognised by their magic bytes.
IMAGE_TYPES = {
    "image/jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "image/png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/webp": lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP",
    "image/heic": lambda h: h[4:8] == b"ftyp" and h[8:12] in (b"heic", b"heix", b"mif1"),
}


class ServerBusy(ApiError):
    status, code, title = 503, "busy", "Busy"


@dataclass
class FileProblem(Exception):
    code: str
    detail: str


@dataclass
class CheckedFile:
    content_type: str
    page_count: int | None


def clean_filename(name: str | None, fallback: str = "document.pdf") -> str:
    """Keep Vietnamese letters (NFC) but no paths or control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return name[:255] or fallback


def check_pdf(path: Path, head: bytes) -> int:
    """Return the page count of a complete, readable, unencrypted PDF, or raise
    FileProblem. The file is parsed in a sandboxed child (backend.documents.pdfwork):
    a hostile file costs that child its memory or time, never the server's."""
    if b"%PDF-" not in head[:1024]:
        raise FileProblem("not-pdf", "The file is not a PDF (no %PDF- header).")
    try:
        result = sandbox.run(
            pdfwork.inspect_pdf, str(path), memory_mb=CHECK_MEMORY_MB, seconds=CHECK_SECONDS
        )
    except sandbox.Busy as exc:
        raise ServerBusy(
            "Too many files are being checked right now; send it again in a moment.",
            headers={"Retry-After": "5"},
        ) from exc
    except sandbox.LimitExceeded as exc:
        limit = f"{CHECK_SECONDS:g} s" if exc.reason in {"time", "cpu"} else f"{CHECK_MEMORY_MB} MB"
        raise FileProblem(
            "pdf-too-complex",
            f"Reading the PDF takes more than {limit}; it cannot be shown on a phone. "
            "Print it to a new PDF and upload that.",
        ) from exc
    except sandbox.JobFailed as exc:
        raise FileProblem("pdf-broken", f"The PDF cannot be read: {exc}") from exc
    if "problem" in result:
        raise FileProblem(result["problem"], result["detail"])
    return int(result["pages"])


def check_file(
    path: Path,
    head: bytes,
    filename: str,
    *,
    pdf_only: bool,
    word_only: bool = False,
    images: bool = False,
    max_unzipped: int = 200 * 1024 * 1024,
) -> CheckedFile:
    """A PDF, an office file that passed its checks, or (``images``: progress reports) a
    photo. ``word_only``: the main file of a draft, which may be a Word/OpenDocument text
    converted to PDF by the worker."""
    if not head:
        raise FileProblem("empty-file", "The file is empty.")
    if pdf_only or b"%PDF-" in head[:1024] or filename.lower().endswith(".pdf"):
        return CheckedFile(PDF, check_pdf(path, head))
    if images:
        for content_type, matches in IMAGE_TYPES.items():
            if matches(head):
                return CheckedFile(content_type, None)
    suffix = Path(filename).suffix.lower()
    if word_only and suffix not in WORD | MACRO_EXTENSIONS:
        raise FileProblem(
            "file-type-not-allowed",
            "The main file must be a PDF or a Word/OpenDocument text (.docx, .odt).",
        )
    try:
        return CheckedFile(_check_office(path, filename, max_unzipped=max_unzipped), None)
    except OfficeProblem as problem:
        detail = problem.detail
        if images and problem.code == "file-type-not-allowed":
            detail = detail.rstrip(".") + " or photos (JPEG, PNG, WebP, HEIC)."
        raise FileProblem(problem.code, detail) from problem
