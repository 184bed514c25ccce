"""Automatic placement: find the signer's printed full name on the last page (then the
pages before it) and put the signature between the title line above it and the name.
Explicit coordinates are the fallback and the override."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

from .appearance import MM, Box
from .errors import NotAPdf, PlacementError

DEFAULT_GAP = 26 * MM  # the usual room for a signature when no title line is found
MIN_GAP, MAX_GAP = 12 * MM, 60 * MM
IMAGE_RATIO = 2.5  # width / height of a signature image


@dataclass(frozen=True)
class Found:
    page: int  # 1-based
    left: float
    bottom: float
    right: float
    top: float


def find_name(pdf: bytes, full_name: str) -> Found | None:
    """The last occurrence of ``full_name`` (case-insensitive), last page first."""
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise NotAPdf("The PDF cannot be read.") from exc
    try:
        for index in range(len(document) - 1, -1, -1):
            textpage = document[index].get_textpage()
            searcher = textpage.search(full_name, match_case=False, match_whole_word=False)
            last = None
            while (occurrence := searcher.get_next()) is not None:
                last = occurrence
            if last is None:
                continue
            start, count = last
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
            return Found(
                index + 1,
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
        return None
    finally:
        document.close()


def _title_bottom(pdf: bytes, found: Found) -> float | None:
    """The bottom of the nearest text line above the name that overlaps it sideways."""
    document = pdfium.PdfDocument(pdf)
    try:
        textpage = document[found.page - 1].get_textpage()
        centre = (found.left + found.right) / 2
        best = None
        for i in range(textpage.count_rects()):
            left, bottom, right, _top = textpage.get_rect(i)
            if bottom <= found.top + 1 or not left - 40 <= centre <= right + 40:
                continue
            if best is None or bottom < best:
                best = bottom
        return best
    finally:
        document.close()


def signature_box(pdf: bytes, full_name: str, override: Box | None = None) -> Box:
    """Where the signer's image goes."""
    if override is not None:
        return override
    found = find_name(pdf, full_name)
    if found is None:
        raise PlacementError(
            f"“{full_name}” is not printed in the document; give the signature's position.",
            code="signer-name-not-found",
        )
    title = _title_bottom(pdf, found)
    gap = title - found.top if title is not None else None
    if gap is None or not MIN_GAP <= gap <= MAX_GAP:
        gap = DEFAULT_GAP
    bottom = found.top + 2
    top = found.top + gap - 2
    height = top - bottom
    width = height * IMAGE_RATIO
    centre = (found.left + found.right) / 2
    return Box(found.page, centre - width / 2, bottom, centre + width / 2, top)
