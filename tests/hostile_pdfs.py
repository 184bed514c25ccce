"""Hostile PDFs, built here byte by byte: a decompression bomb, a giant page, truncated
and damaged files. Shared by the tests and bench/hostile_pdfs.py."""

from __future__ import annotations

import io
import zlib
from functools import cache

MIB = 1024 * 1024


def _pdf(objects: list[bytes]) -> bytes:
    """A classic PDF (header, objects 1..n, xref table, trailer) with /Root 1 0 R."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


def one_page_pdf(content: bytes, *, width: float = 595, height: float = 842, flate: bool = False):
    """One page drawing ``content`` (raw operators; compressed when ``flate``)."""
    stream = _stream(zlib.compress(content), " /Filter /FlateDecode") if flate else _stream(content)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode(),
            stream,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def text_pdf(text: str = "Trinh Ky") -> bytes:
    return one_page_pdf(f"BT /F1 24 Tf 72 760 Td ({text}) Tj ET".encode())


@cache
def _zeros_deflate(inflated: int) -> bytes:
    """A zlib stream of ``inflated`` spaces, about inflated / 1000 bytes, built without
    compressing it all: one 1 MiB block ends with a full flush (byte-aligned, dictionary
    reset), so the same compressed block repeated is a valid stream of many such blocks."""
    block = b" " * MIB
    assert inflated % MIB == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(inflated // MIB):
        checksum = zlib.adler32(block, checksum)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # final empty block
    return b"\x78\xda" + body * (inflated // MIB) + tail + checksum.to_bytes(4, "big")


def bomb_pdf(inflated: int = 1024 * MIB) -> bytes:
    """A valid one-page PDF whose content stream (white space, then a line of text)
    inflates to ``inflated`` bytes from about a thousandth of that."""
    data = _zeros_deflate(inflated)
    assert len(zlib.decompressobj().decompress(data, 64)) == 64  # a real zlib stream
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            _stream(data, " /Filter /FlateDecode"),
        ]
    )


def tall_page_pdf(width: float = 40, height: float = 14_400) -> bytes:
    """A valid page 40 × 14,400 pt (5 m tall): drawn at a phone's width it would be a
    gigapixel image."""
    lines = b"".join(f"0 {y} m {width} {y + 50} l S\n".encode() for y in range(0, int(height), 100))
    return one_page_pdf(lines, width=width, height=height)


def truncated(pdf: bytes, keep: float = 0.6) -> bytes:
    """The first ``keep`` of a file, as an interrupted upload or copy leaves it."""
    return pdf[: int(len(pdf) * keep)]


def missing_content(pdf_text: str = "Trinh Ky") -> bytes:
    """A page whose content stream object was lost (its xref entry points at nothing
    useful): the file ends properly but the page would show blank."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 9 0 R >>",
    ]
    return _pdf(objects)


def corrupt_stream() -> bytes:
    """A page whose compressed content stream has damaged bytes in the middle."""
    good = zlib.compress(b"BT /F1 24 Tf 72 760 Td (Trinh Ky) Tj ET\n" * 200)
    damaged = good[:40] + bytes(b ^ 0x5A for b in good[40:80]) + good[80:]
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            _stream(damaged, " /Filter /FlateDecode"),
        ]
    )
