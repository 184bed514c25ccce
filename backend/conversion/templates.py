"""Word drafts laid out as the Nghị định 30/2020 templates (Phụ lục I): the header with
the agency and the blank "Số:      /QĐ-UBND" on the left, the national motto and the blank
"Nghệ An, ngày      tháng      năm 2026" on the right, the title, the body, and the signer's
block ending with the printed full name — so the issuing step can write the number and
date over the blanks and automatic placement finds where the signature goes. Times New
Roman 13–14 pt, A4, margins 20/15/30/20 mm. Made in code (python-docx) for the demo, the
tests and the benchmark rather than kept as binary files."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Times New Roman"
BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, "
    "bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương "
    "ngày 22 tháng 11 năm 2019;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Theo đề nghị của Trưởng phòng Kinh tế tại Tờ trình số 125/TTr-KT ngày 20 tháng 11 năm 2026.",
]
ARTICLE = (
    "{label} Giao các sở, ban, ngành cấp tỉnh và Ủy ban nhân dân các huyện, thành phố, thị "
    "xã tổ chức triển khai thực hiện đúng tiến độ, bảo đảm chất lượng, hiệu quả; định kỳ "
    "hằng quý báo cáo kết quả thực hiện về Ủy ban nhân dân tỉnh (qua Phòng Kinh tế) để tổng "
    "hợp, báo cáo Chủ tịch Ủy ban nhân dân tỉnh theo quy định."
)


@dataclass
class Draft:
    kind: str  # "quyet-dinh" | "cong-van"
    subject: str  # trích yếu, without "Về việc"
    signer: str  # the printed full name
    signer_title: str = "PHÓ CHỦ TỊCH"
    prefix: str = "KT. CHỦ TỊCH"
    agency: tuple[str, str] = ("ỦY BAN NHÂN DÂN", "TỈNH NGHỆ AN")
    place: str = "Nghệ An"
    year: int = 2026
    symbol: str = "QĐ-UBND"
    recipient: str = "Các sở, ban, ngành cấp tỉnh"
    articles: int = 3  # more articles, more pages
    recipients: list[str] = field(
        default_factory=lambda: ["Như Điều 3;", "Chủ tịch, các PCT UBND tỉnh;", "Lưu: VT, KT."]
    )


def _run(paragraph, text: str, *, size: float = 13, bold=False, italic=False, underline=False):
    run = paragraph.add_run(text)
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    run.font.size = Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    return run


def _para(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0, **kw):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        _run(paragraph, text, **kw)
    return paragraph


def _no_borders(table) -> None:
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def _cell(table, row: int, column: int):
    cell = table.cell(row, column)
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    return cell


def make_docx(draft: Draft) -> bytes:
    """The draft as a .docx (bytes)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)

    # header: agency + number blank | motto + place and date blank
    header = doc.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(header)
    header.columns[0].width, header.columns[1].width = Mm(65), Mm(100)
    left, right = _cell(header, 0, 0), _cell(header, 0, 1)
    left.width, right.width = Mm(65), Mm(100)
    _para(left, draft.agency[0], size=12)
    _para(left, draft.agency[1], size=12, bold=True, after=6)
    symbol = draft.symbol if draft.kind == "quyet-dinh" else "UBND-KT"
    _para(left, f"Số:      /{symbol}", size=13)
    if draft.kind == "cong-van":
        _para(left, f"V/v {draft.subject}", size=12)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, after=6)
    _para(right, f"{draft.place}, ngày      tháng      năm {draft.year}", size=14, italic=True)

    if draft.kind == "quyet-dinh":
        _para(doc, "", after=6)
        _para(doc, "QUYẾT ĐỊNH", size=14, bold=True)
        _para(doc, f"Về việc {draft.subject}", size=14, bold=True, after=6)
        _para(doc, "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH NGHỆ AN", size=14, bold=True, after=6)
        for line in BODY:
            _para(doc, line, align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=14, italic=True, after=6)
        _para(doc, "QUYẾT ĐỊNH:", size=14, bold=True, after=6)
        lines = [f"Điều 1. Phê duyệt nội dung {draft.subject}."]
    else:
        _para(doc, "", after=6)
        _para(doc, f"Kính gửi: {draft.recipient}.", size=14, after=6)
        lines = [
            f"Thực hiện chỉ đạo của Chủ tịch Ủy ban nhân dân tỉnh về việc {draft.subject}, "
            "Ủy ban nhân dân tỉnh đề nghị các cơ quan, đơn vị thực hiện các nội dung sau:"
        ]
    labels = (
        [f"Điều {n}." for n in range(2, draft.articles + 2)]
        if draft.kind == "quyet-dinh"
        else [f"{n}." for n in range(1, draft.articles + 1)]
    )
    lines += [ARTICLE.format(label=label) for label in labels]
    for line in lines:
        paragraph = _para(doc, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6)
        paragraph.paragraph_format.first_line_indent = Mm(10)
        _run(paragraph, line, size=14)

    # signer's block: recipients on the left, prefix/title, room to sign, the name
    _para(doc, "", after=6)
    block = doc.add_table(rows=1, cols=2)
    _no_borders(block)
    # the title and the name stay on one page (never split across a page break)
    block.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = _cell(block, 0, 0), _cell(block, 0, 1)
    left.width, right.width = Mm(85), Mm(80)
    _para(left, "Nơi nhận:", align=WD_ALIGN_PARAGRAPH.LEFT, size=12, bold=True, italic=True)
    for line in draft.recipients:
        _para(left, f"- {line}", align=WD_ALIGN_PARAGRAPH.LEFT, size=11)
    _para(right, draft.prefix, size=14, bold=True)
    _para(right, draft.signer_title, size=14, bold=True)
    for _ in range(4):
        _para(right, "", size=14)
    _para(right, draft.signer, size=14, bold=True)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def decision_docx(signer: str, subject: str, *, articles: int = 2) -> bytes:
    return make_docx(Draft("quyet-dinh", subject, signer, articles=articles))


def letter_docx(signer: str, subject: str, *, articles: int = 3) -> bytes:
    return make_docx(Draft("cong-van", subject, signer, articles=articles))
