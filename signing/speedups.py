"""A faster hex-string reader for pyHanko's PDF parser, installed on import.

pyHanko reads ``<…>`` hex strings one byte at a time through a generator; a signature's
``/Contents`` is such a string of 16–64 KB, read several times per check. Reading up to
the ``>`` at once and decoding with ``binascii`` gives the same objects (same bytes, the
same errors for a bad digit or a missing ``>``) and made checking a two-signature B-T PDF
about a third cheaper (bench/exchange.py)."""

from __future__ import annotations

import binascii

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

PDF_WHITESPACE = b"\x00\t\n\x0c\r "
CHUNK = 64 * 1024
_original = generic.read_hex_string_from_stream


def read_hex_string_from_stream(stream):  # type: ignore[no-untyped-def]
    stream.read(1)  # "<"
    start = stream.tell()
    parts = []
    offset = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            raise PdfStreamError("Stream has ended unexpectedly")
        end = chunk.find(b">")
        if end >= 0:
            parts.append(chunk[:end])
            stream.seek(start + offset + end + 1)
            break
        parts.append(chunk)
        offset += len(chunk)
    digits = b"".join(parts).translate(None, PDF_WHITESPACE)
    if len(digits) % 2:
        digits += b"0"  # an odd last digit is followed by 0 (PDF 32000, 7.3.4.3)
    try:
        value = binascii.unhexlify(digits)
    except binascii.Error as exc:
        raise PdfStreamError(f"Unexpected token in hex string: {exc}") from exc
    return generic.pdf_string(value)


def install() -> None:
    generic.read_hex_string_from_stream = read_hex_string_from_stream


install()
