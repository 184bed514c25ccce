"""Checking uploaded files before anything is stored: real PDFs, not encrypted, within the
size limit; the main file may also be a Word/OpenDocument text and attachments office
documents, which must pass backend.conversion.checks (the worker converts them)."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from backend.conversion.checks import CONTENT_TYPES, MACRO_EXTENSIONS, WORD, OfficeProblem
from backend.conversion.checks import check_office as _check_office

logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF = "application/pdf"
# Office files are checked by backend.conversion.checks (package, macros, password, bombs).
OFFICE_TYPES = CONTENT_TYPES


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
    """Return the page count of a real, unencrypted PDF, or raise FileProblem."""
    if b"%PDF-" not in head[:1024]:
        raise FileProblem("not-pdf", "The file is not a PDF (no %PDF- header).")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise FileProblem(
                "pdf-encrypted", "The PDF is encrypted or password-protected; upload it unlocked."
            )
        if "/Root" not in reader.trailer:
            raise FileProblem("pdf-broken", "The PDF has no document catalogue.")
        pages = len(reader.pages)
    except FileProblem:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise FileProblem("pdf-broken", f"The PDF cannot be read: {exc}") from exc
    if pages < 1:
        raise FileProblem("pdf-broken", "The PDF has no pages.")
    return pages


def check_file(
    path: Path,
    head: bytes,
    filename: str,
    *,
    pdf_only: bool,
    word_only: bool = False,
    max_unzipped: int = 200 * 1024 * 1024,
) -> CheckedFile:
    """A PDF, or an office file that passed its checks. ``word_only``: the main file of a
    draft, which may be a Word/OpenDocument text converted to PDF by the worker."""
    if not head:
        raise FileProblem("empty-file", "The file is empty.")
    if pdf_only or b"%PDF-" in head[:1024] or filename.lower().endswith(".pdf"):
        return CheckedFile(PDF, check_pdf(path, head))
    suffix = Path(filename).suffix.lower()
    if word_only and suffix not in WORD | MACRO_EXTENSIONS:
        raise FileProblem(
            "file-type-not-allowed",
            "The main file must be a PDF or a Word/OpenDocument text (.docx, .odt).",
        )
    try:
        return CheckedFile(_check_office(path, filename, max_unzipped=max_unzipped), None)
    except OfficeProblem as problem:
        raise FileProblem(problem.code, problem.detail) from problem
