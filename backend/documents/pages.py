"""Pages of a PDF as images for the phone (pypdfium2 → WebP), sized to the device's
width and pixel density, cached on disk by content hash: a page image never changes.

Rendering runs in a sandboxed child (memory and time capped) and the image is capped in
pixels (a very tall page comes out narrower, never as a gigabyte bitmap). A page that
cannot be drawn within the limits is refused with the reason, and the refusal is cached
like an image."""

from __future__ import annotations

import os
from pathlib import Path

from backend.core import sandbox

from . import pdfwork

MIN_WIDTH, MAX_WIDTH = 200, 1600  # CSS pixels
MAX_PIXELS = 2400  # wide enough for a tablet at 2x, small enough for a bad network
BUCKET = 50  # pixel widths are rounded up to a multiple of this, to share the cache
RENDER_MEMORY_MB = 400
RENDER_SECONDS = 4.0


class PageTooComplex(Exception):
    """The page cannot be drawn within the limits; ``str(exc)`` says why."""


def pixel_width(css_width: int, dpr: float) -> int:
    width = min(max(css_width, MIN_WIDTH), MAX_WIDTH)
    pixels = min(int(width * dpr), MAX_PIXELS)
    return -(-pixels // BUCKET) * BUCKET


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(f".{os.getpid()}.tmp")
    temp.write_bytes(data)
    temp.replace(target)  # atomic: readers never see half a file


def render_page(pdf_path: Path, cache_dir: Path, sha256: str, page: int, pixels: int) -> Path:
    """Return the cached WebP of page ``page`` (1-based) at ``pixels`` wide (or narrower,
    for a page too large to draw at that width); PageTooComplex when it cannot be drawn."""
    target = cache_dir / sha256[:2] / sha256 / f"{page}-{pixels}.webp"
    refused = target.with_suffix(".refused")
    if target.exists():
        return target
    if refused.exists():
        raise PageTooComplex(refused.read_text())
    try:
        image = sandbox.run(
            pdfwork.render_page,
            str(pdf_path),
            page,
            pixels,
            memory_mb=RENDER_MEMORY_MB,
            seconds=RENDER_SECONDS,
        )
    except (sandbox.LimitExceeded, sandbox.JobFailed) as exc:
        reason = _reason(exc)
        # Out of memory, out of CPU time or damaged is a property of the page: remembered.
        # A page that ran out of wall-clock time may just have met a busy machine.
        if not (isinstance(exc, sandbox.LimitExceeded) and exc.reason == "time"):
            _write_atomically(refused, reason.encode())
        raise PageTooComplex(reason) from exc
    _write_atomically(target, image)
    return target


def _reason(exc: Exception) -> str:
    if isinstance(exc, sandbox.LimitExceeded) and exc.reason in {"time", "cpu"}:
        return (
            f"Drawing this page takes longer than {RENDER_SECONDS:g} s; "
            "download the PDF to read it."
        )
    if isinstance(exc, sandbox.LimitExceeded):
        return (
            f"Drawing this page needs more than {RENDER_MEMORY_MB} MB of memory; "
            "download the PDF to read it."
        )
    return "This page cannot be drawn (the PDF is damaged here); download the PDF to read it."
