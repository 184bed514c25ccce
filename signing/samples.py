"""Sample drafts for the tests, the benchmark and the demo data: A4 pages with Vietnamese
text (embedded font, so the text can be searched), like a real decision: the number and
date blanks in the header, then the title lines, room for the signature, and the
signer's full name."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.generic import StreamObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from .appearance import font_factory


def draft(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """``pages``: for each page, (x, y, text) lines in PDF points."""
    blank = PdfWriter()
    for _ in pages:
        page = blank.add_blank_page(width=595, height=842)
        page[NameObject("/Contents")] = blank._add_object(DecodedStreamObject())
    buffer = io.BytesIO()
    blank.write(buffer)
    writer = IncrementalPdfFileWriter(io.BytesIO(buffer.getvalue()))
    for index, lines in enumerate(pages):
        for x, y, text in lines:
            _add_text(writer, index, x, y, text)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def decision(
    signer: str,
    *,
    pages: int = 1,
    title_gap: float = 80,
    name_y: float = 300,
    subject: str = "Quyết định về việc phê duyệt kế hoạch năm 2027",
) -> bytes:
    """A decision whose last page ends with the signature block of ``signer``."""
    body = [[(70, 760, f"Trang {i + 1} - {subject}")] for i in range(pages)]
    # the header with the blanks the clerk fills at issuing
    body[0] += [
        (70, 800, "Số:          /QĐ-UBND"),
        (330, 800, "Nghệ An, ngày      tháng      năm 2026"),
    ]
    body[-1] += [
        (360, name_y + title_gap + 16, "KT. CHỦ TỊCH"),
        (360, name_y + title_gap, "PHÓ CHỦ TỊCH"),
        (360, name_y, signer),
    ]
    return draft(body)


def _add_text(writer: IncrementalPdfFileWriter, page: int, x: float, y: float, text: str) -> None:
    """Text straight into the page's content stream, as word processors write it."""
    global _fonts
    _fonts += 1
    box = TextBox(TextBoxStyle(font=font_factory(), font_size=12), writer, font_name=f"F{_fonts}")
    box.content = text
    ops = b"q 1 0 0 1 %d %d cm " % (int(x), int(y)) + box.render() + b" Q"
    stream = writer.add_object(StreamObject(stream_data=ops))
    writer.add_stream_to_page(page, stream, resources=box.resources.as_pdf_object())


_fonts = 0
