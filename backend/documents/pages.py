"""Pages of a PDF as images for the phone (pypdfium2 → WebP), sized to the device's
width and pixel density, cached on disk by content hash: a page image never changes."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pypdfium2 as pdfium

MIN_WIDTH, MAX_WIDTH = 200, 1600  # CSS pixels
MAX_PIXELS = 2400  # wide enough for a tablet at 2x, small enough for a bad network
BUCKET = 50  # pixel widths are rounded up to a multiple of this, to share the cache
WEBP_QUALITY = 72
_render_lock = threading.Lock()  # pdfium is not thread-safe


def pixel_width(css_width: int, dpr: float) -> int:
    width = min(max(css_width, MIN_WIDTH), MAX_WIDTH)
    pixels = min(int(width * dpr), MAX_PIXELS)
    return -(-pixels // BUCKET) * BUCKET


def render_page(pdf_path: Path, cache_dir: Path, sha256: str, page: int, pixels: int) -> Path:
    """Return the cached WebP of page ``page`` (1-based) at ``pixels`` wide."""
    target = cache_dir / sha256[:2] / sha256 / f"{page}-{pixels}.webp"
    if target.exists():
        return target
    with _render_lock:
        if target.exists():
            return target
        document = pdfium.PdfDocument(str(pdf_path))
        try:
            # form fields drawn too: the signatures, the seal, the number and the date
            # are widgets, and a signed document must not look unsigned on the phone
            document.init_forms()
            pdf_page = document[page - 1]
            scale = pixels / pdf_page.get_width()
            image = pdf_page.render(scale=scale, may_draw_forms=True).to_pil()
            if image.width > pixels:  # pdfium rounds up: trim the extra pixel column
                image = image.crop((0, 0, pixels, image.height))
        finally:
            document.close()
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(f".{os.getpid()}.tmp")
        temp.write_bytes(buffer.getvalue())
        temp.replace(target)  # atomic: readers never see half a file
    return target
