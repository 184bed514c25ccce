"""What is done with the bytes of an uploaded PDF: checking it, rendering a page, reading
its text. Each function runs in a sandboxed child process (backend.core.sandbox), takes
a path and returns plain data: a hostile file can exhaust the child, never the server.
"""

from __future__ import annotations

import io
import logging
import math
import os
import unicodedata
from typing import Any

logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_CONTENT_BYTES = 128 * 1024 * 1024  # all page content streams of a file, inflated
MAX_PAGE_PIXELS = 9_000_000  # a page image: an A4 page 2,400 px wide is 8.1 million
MAX_IMAGE_SIDE = 16_383  # the largest side WebP can encode
WEBP_QUALITY = 72
TEXT_MAX_PAGES = 300
TEXT_MAX_CHARS = 200_000


def _problem(code: str, detail: str) -> dict[str, Any]:
    return {"problem": code, "detail": detail}


def _content_streams(page: Any) -> list[Any]:
    """The content streams of a pypdf page (one stream, or an array of them)."""
    from pypdf.generic import ArrayObject, NullObject

    if "/Contents" not in page:
        return []
    contents = page["/Contents"]
    resolved = contents.get_object() if contents is not None else None
    if resolved is None or isinstance(resolved, NullObject):
        raise ValueError("its content stream is missing")
    if isinstance(resolved, ArrayObject):
        streams = [item.get_object() for item in resolved]
        if any(s is None or isinstance(s, NullObject) for s in streams):
            raise ValueError("part of its content is missing")
        return streams
    return [resolved]


class _TooLarge(Exception):
    pass


def _inflated_size(stream: Any, budget: int) -> int:
    """The decoded size of a content stream, counted without keeping it, stopping past
    ``budget``. Flate is inflated strictly here (pypdf's lenient recovery would accept a
    damaged stream that then draws nothing); other filters go through pypdf."""
    import zlib

    from pypdf.generic import ArrayObject

    filters = stream.get("/Filter")
    if isinstance(filters, ArrayObject) and len(filters) == 1:
        filters = filters[0]
    if filters != "/FlateDecode" or stream.get("/DecodeParms"):
        size = len(stream.get_data())
        if size > budget:
            raise _TooLarge
        return size
    inflater = zlib.decompressobj()
    size = 0
    data = stream._data  # the raw, still compressed bytes
    while data:
        chunk = inflater.decompress(data, 1024 * 1024)
        size += len(chunk)
        if size > budget:
            raise _TooLarge
        data = inflater.unconsumed_tail
    size += len(inflater.flush())
    if not inflater.eof:
        raise ValueError("a compressed content stream ends early")
    return size


def inspect_pdf(path: str) -> dict[str, Any]:
    """{"pages": n} for a complete, readable, unencrypted PDF; else {"problem", "detail"}.

    Complete: the end-of-file marker is there (a truncated upload loses it), every page's
    content stream exists and inflates without error, within MAX_CONTENT_BYTES for the
    whole file (a decompression bomb stops here, not in the renderer)."""
    import zlib

    import pypdfium2 as pdfium
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if b"%%EOF" not in tail:
        return _problem(
            "pdf-broken",
            "The PDF is incomplete (its end-of-file marker is missing): the upload or the "
            "file was cut short. Export or download it again.",
        )
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return _problem(
                "pdf-encrypted", "The PDF is encrypted or password-protected; upload it unlocked."
            )
        if "/Root" not in reader.trailer:
            return _problem("pdf-broken", "The PDF has no document catalogue.")
        pages = len(reader.pages)
        if pages < 1:
            return _problem("pdf-broken", "The PDF has no pages.")
        inflated = 0
        for number, page in enumerate(reader.pages, start=1):
            try:
                for stream in _content_streams(page):
                    inflated += _inflated_size(stream, MAX_CONTENT_BYTES - inflated)
            except (LimitReachedError, _TooLarge):
                return _too_complex(number)
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
                return _problem("pdf-broken", f"Page {number} of the PDF is damaged: {exc}.")
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        return _problem("pdf-broken", f"The PDF cannot be read: {exc}")
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        return _problem("pdf-broken", f"The PDF cannot be opened for display: {exc}")
    try:
        if len(document) != pages:
            return _problem(
                "pdf-broken", "The PDF's page tree is damaged (its pages cannot be counted)."
            )
    finally:
        document.close()
    return {"pages": pages}


def _too_complex(page: int) -> dict[str, Any]:
    return _problem(
        "pdf-too-complex",
        f"Page {page} of the PDF expands to more than {MAX_CONTENT_BYTES // (1024 * 1024)} MB "
        "of drawing instructions, more than a phone can show. Print it to a new PDF and "
        "upload that.",
    )


def page_scale(width_pt: float, height_pt: float, pixels: int) -> float:
    """The render scale for a page ``pixels`` wide, reduced so that the image stays within
    MAX_PAGE_PIXELS and MAX_IMAGE_SIDE (a very tall page comes out narrower)."""
    scale = pixels / width_pt
    scale = min(scale, MAX_IMAGE_SIDE / height_pt, MAX_IMAGE_SIDE / width_pt)
    if width_pt * height_pt * scale * scale > MAX_PAGE_PIXELS:
        scale = math.sqrt(MAX_PAGE_PIXELS / (width_pt * height_pt))
    return scale


def render_page(path: str, page: int, pixels: int) -> bytes:
    """Page ``page`` (1-based) as WebP, ``pixels`` wide unless that would exceed the caps."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        # form fields drawn too: the signatures, the seal, the number and the date are
        # widgets, and a signed document must not look unsigned on the phone
        document.init_forms()
        pdf_page = document[page - 1]
        width, height = pdf_page.get_size()
        scale = page_scale(width, height, pixels)
        image = pdf_page.render(scale=scale, may_draw_forms=True).to_pil()
        target = max(1, min(pixels, round(width * scale)))
        if image.width > target:  # pdfium rounds up: trim the extra pixel column
            image = image.crop((0, 0, target, image.height))
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


def extract_text(path: str) -> str:
    """The text of a PDF (NFC), pages separated by blank lines, at most TEXT_MAX_PAGES
    pages and TEXT_MAX_CHARS characters; "" when it has none or cannot be read."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return ""
    parts: list[str] = []
    size = 0
    try:
        for index in range(min(len(pdf), TEXT_MAX_PAGES)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    chunk = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            parts.append(chunk)
            size += len(chunk)
            if size >= TEXT_MAX_CHARS:
                break
    except pdfium.PdfiumError:
        pass  # the pages read so far
    finally:
        pdf.close()
    text = "\n\n".join(parts).replace("\r\n", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text)[:TEXT_MAX_CHARS]
