"""The validation report as a one-page PDF in Vietnamese, to keep with the document in
the archive (biên bản kiểm tra chữ ký số): what was checked, when, against which trust
roots, the conclusion, and one block per signature with its standard indication and the
sentence that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .appearance import FONT, iso_vn

INDICATION_VI = {
    "TOTAL_PASSED": "HỢP LỆ",
    "INDETERMINATE": "CHƯA XÁC ĐỊNH",
    "TOTAL_FAILED": "KHÔNG HỢP LỆ",
}
COLOURS = {
    "TOTAL_PASSED": (0, 110, 50),
    "INDETERMINATE": (170, 100, 0),
    "TOTAL_FAILED": (190, 0, 0),
}


@dataclass(frozen=True)
class Subject:
    """What the report is about (the document, as the archive knows it)."""

    agency: str
    title: str  # trích yếu
    number_symbol: str | None
    version: int
    filename: str
    sha256: str
    checked_at: datetime
    trust_roots: list[str]


def _common_name(subject: str) -> str:
    """ "Common Name: X, Organization: Y" → "X" (the chain in a line)."""
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part.removeprefix("Common Name: ")
    return subject


def render(report: dict[str, Any], subject: Subject) -> bytes:
    """One A4 page whatever the number of signatures: the type shrinks to fit."""
    for size in (10.0, 9.0, 8.0, 7.0, 6.0, 5.0):
        pdf = _render(report, subject, size)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output())


def _render(report: dict[str, Any], subject: Subject, size: float) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_margins(16, 14, 16)
    pdf.set_title("Biên bản kiểm tra chữ ký số")
    pdf.set_creator("Trình Ký")
    pdf.add_font("vn", fname=str(FONT))
    pdf.add_page()

    def line(text: str, *, grow: float = 0, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        pdf.set_font("vn", size=size + grow)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, (size + grow) * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_font("vn", size=size)
    line(subject.agency.upper())
    pdf.ln(size * 0.3)
    pdf.set_font("vn", size=size + 5)
    pdf.cell(0, (size + 5) * 0.55, "BIÊN BẢN KIỂM TRA CHỮ KÝ SỐ", align="C")
    pdf.ln((size + 5) * 0.7)
    line(f"Văn bản: {subject.title}")
    if subject.number_symbol:
        line(f"Số, ký hiệu: {subject.number_symbol}")
    line(f"Phiên bản {subject.version} — tệp {subject.filename}")
    line(f"Mã băm SHA-256 của tệp: {subject.sha256}", grow=-1)
    line(f"Thời điểm kiểm tra: {iso_vn(subject.checked_at)}")
    line("Gốc tin cậy: " + ("; ".join(subject.trust_roots) or "không có"), grow=-1)
    pdf.ln(size * 0.4)
    indication = report.get("indication") or "INDETERMINATE"
    line(
        f"KẾT LUẬN: {INDICATION_VI.get(indication, indication)} ({indication})",
        grow=1.5,
        colour=COLOURS.get(indication, (0, 0, 0)),
    )
    line(report.get("verdict_vi") or "")
    for number, sig in enumerate(report.get("signatures", []), start=1):
        pdf.ln(size * 0.5)
        y = pdf.get_y()
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.ln(size * 0.2)
        label = sig.get("kind_label_vi") or sig.get("kind", "")
        who = sig.get("signer", "")
        if sig.get("organisation") and sig.get("organisation") != who:
            who += f" — {sig['organisation']}"
        line(f"{number}. {label}: {who}", grow=0.5)
        sub = sig.get("sub_indication")
        result = INDICATION_VI.get(sig.get("indication", ""), sig.get("indication", ""))
        line(
            f"Kết quả: {result} ({sig.get('indication')}{' / ' + sub if sub else ''})",
            colour=COLOURS.get(sig.get("indication", ""), (0, 0, 0)),
        )
        line(sig.get("verdict_vi", ""))
        if sig.get("signing_time"):
            line(f"Thời điểm ký (người ký khai): {sig['signing_time']}")
        if sig.get("timestamp"):
            ts = sig["timestamp"]
            line(f"Dấu thời gian: {ts.get('time')} — {ts.get('tsa')}")
        line(f"Mức chữ ký: {sig.get('level_label_vi') or sig.get('level')}")
        chain = ", cấp bởi ".join(
            _common_name(c.get("subject", "")) for c in sig.get("chain", [])[:3]
        )
        if chain:
            line(f"Chuỗi chứng thư: {chain}", grow=-1)
    pdf.ln(size * 0.6)
    line(
        "Kiểm tra theo Thông tư 41/2017/TT-BTTTT; chỉ dấu theo ETSI EN 319 102-1 (TOTAL_PASSED, "
        "INDETERMINATE, TOTAL_FAILED). Biên bản do hệ thống Trình Ký lập tự động.",
        grow=-1.5,
        colour=(90, 90, 90),
    )
    return pdf
