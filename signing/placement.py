"""Automatic placement: find the signer's printed full name on the last page (then the
pages before it) and put the signature between the title line above it and the name.
Explicit coordinates are the fallback and the override."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

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


def _occurrence(textpage: pdfium.PdfTextPage, needle: str, *, last: bool) -> Found | None:
    searcher = textpage.search(needle, match_case=False, match_whole_word=False)
    hit = None
    while (occurrence := searcher.get_next()) is not None:
        hit = occurrence
        if not last:
            break
    if hit is None:
        return None
    start, count = hit
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    return Found(
        0,
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _open(pdf: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise NotAPdf("The PDF cannot be read.") from exc


def find_name(pdf: bytes, full_name: str) -> Found | None:
    """The last occurrence of ``full_name`` (case-insensitive), last page first."""
    document = _open(pdf)
    try:
        return _find_name(document, full_name)
    finally:
        document.close()


def _find_name(document: pdfium.PdfDocument, full_name: str) -> Found | None:
    for index in range(len(document) - 1, -1, -1):
        found = _occurrence(document[index].get_textpage(), full_name, last=True)
        if found is not None:
            return replace(found, page=index + 1)
    return None


def page_size(pdf: bytes, page: int = 1) -> tuple[float, float]:
    document = _open(pdf)
    try:
        width, height = document[page - 1].get_size()
        return width, height
    finally:
        document.close()


# The blanks a draft leaves in its header for the clerk (Nghị định 30, Phụ lục I):
# "Số:      /QĐ-UBND" and "Nghệ An, ngày      tháng      năm 2026".
NUMBER_BLANK = re.compile(r"Số\s*:[\s._…]*/")
DATE_BLANK = re.compile(r"ngày[\s._…]*tháng[\s._…]*năm", re.IGNORECASE)
HEADER_SHARE = 0.4  # the header is the top 40 % of page 1


def _header_blank(
    textpage: pdfium.PdfTextPage, text: str, pattern: re.Pattern[str], header_bottom: float
) -> Found | None:
    """The first match of ``pattern`` in the header; for the date, one that follows a
    place name and its comma on the same line is preferred (the body never has it)."""
    candidates: list[tuple[bool, Found]] = []
    for match in pattern.finditer(text):
        first_word = match.group(0).split()[0].rstrip(":")
        boxes = [
            textpage.get_charbox(i) for i in range(match.start(), match.start() + len(first_word))
        ]
        found = Found(
            1,
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        if found.bottom < header_bottom:
            continue
        line_start = max(text.rfind("\n", 0, match.start()), text.rfind("\r", 0, match.start()))
        candidates.append(("," in text[line_start + 1 : match.start()], found))
    if not candidates:
        return None
    with_place = [found for has_comma, found in candidates if has_comma]
    return with_place[0] if with_place else candidates[0][1]


def _line_right(textpage: pdfium.PdfTextPage, found: Found, before_x: float) -> float:
    """The right end of the text on ``found``'s line, from it up to ``before_x``."""
    right = found.right
    middle = (found.bottom + found.top) / 2
    for i in range(textpage.count_rects()):
        _left, bottom, rect_right, top = textpage.get_rect(i)
        on_line = bottom <= middle <= top
        if on_line and rect_right > found.left and rect_right <= before_x:
            right = max(right, rect_right)
    return right


def issue_boxes(pdf: bytes) -> tuple[Box | None, Box | None]:
    """Where the clerk's number ("Số:") and issue date ("ngày … tháng … năm …") go: over
    the blanks the draft left for them in the header of page 1, covering the whole
    printed blank (the place name and its comma stay as printed). None where the draft
    has no such blank — then nothing of the page is covered."""
    document = _open(pdf)
    try:
        page = document[0]
        width, height = page.get_size()
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        header_bottom = height * (1 - HEADER_SHARE)
        number = _header_blank(textpage, text, NUMBER_BLANK, header_bottom)
        day = _header_blank(textpage, text, DATE_BLANK, header_bottom)
        number_box = date_box = None
        if number is not None:
            limit = day.left if day is not None and day.left > number.right else width
            right = max(_line_right(textpage, number, limit), number.left + 150)
            number_box = Box(1, number.left - 1, number.bottom - 6, right + 3, number.top + 5)
        if day is not None:
            right = max(_line_right(textpage, day, width), day.left + 150)
            date_box = Box(1, day.left - 0.5, day.bottom - 6, min(right + 3, width), day.top + 5)
        return number_box, date_box
    finally:
        document.close()


def _title_bottom(document: pdfium.PdfDocument, found: Found) -> float | None:
    """The bottom of the nearest text line above the name that overlaps it sideways."""
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


def signature_box(pdf: bytes, full_name: str, override: Box | None = None) -> Box:
    """Where the signer's image goes."""
    if override is not None:
        return override
    document = _open(pdf)  # opened once: placement runs for every document of a batch
    try:
        found = _find_name(document, full_name)
        if found is None:
            raise PlacementError(
                f"“{full_name}” is not printed in the document; give the signature's position.",
                code="signer-name-not-found",
            )
        title = _title_bottom(document, found)
    finally:
        document.close()
    gap = title - found.top if title is not None else None
    if gap is None or not MIN_GAP <= gap <= MAX_GAP:
        gap = DEFAULT_GAP
    bottom = found.top + 2
    top = found.top + gap - 2
    height = top - bottom
    width = height * IMAGE_RATIO
    centre = (found.left + found.right) / 2
    return Box(found.page, centre - width / 2, bottom, centre + width / 2, top)
