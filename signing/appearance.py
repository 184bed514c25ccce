"""Visible signatures as Nghị định 30 (Phụ lục I) draws them.

- the signer: a blue transparent PNG of the handwritten signature, no text, centred
  between the title line and the printed full name;
- the agency seal: a red transparent PNG at real size, overlapping about a third of the
  signer's image on the left, added by the clerk after the signer;
- attachments and copies: no image, text top right of page 1 (10 pt, black): number and
  symbol (or copy type and copying agency) and the time in ISO 8601 with +07:00.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from .errors import ImageRejected

FONT = Path(__file__).parent / "assets" / "DejaVuSerif-vi.ttf"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MM = 72 / 25.4  # PDF points per millimetre
SEAL_DIAMETER_MM = 36  # a common round seal of a provincial agency
_font_factory: GlyphAccumulatorFactory | None = None


def font_factory() -> GlyphAccumulatorFactory:
    """The embedded Vietnamese font (subset on use, 1000 units/em)."""
    global _font_factory
    if _font_factory is None:
        _font_factory = GlyphAccumulatorFactory(str(FONT))
    return _font_factory


def iso_vn(moment: datetime) -> str:
    """``2026-11-23T07:05:24+07:00``"""
    return moment.astimezone(VN).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Box:
    """A field on a page (1-based page, PDF points from the bottom-left corner)."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


def image_style(png: bytes) -> TextStampStyle:
    """A stamp that is just the image, scaled into the box, no border, no text."""
    image = Image.open(io.BytesIO(png))
    return TextStampStyle(
        stamp_text="",
        border_width=0,
        background=PdfImage(image),
        background_opacity=1.0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins(0, 0, 0, 0),
        ),
    )


def text_style(lines: list[str], font_size: int = 10) -> TextStampStyle:
    """Text only, black, the embedded Vietnamese font (attachments, copies, issue data)."""
    return TextStampStyle(
        stamp_text="\n".join(line.replace("%", "%%") for line in lines),
        border_width=0,
        text_box_style=TextBoxStyle(font=font_factory(), font_size=font_size),
    )


def seal_box(signer_box: Box, png: bytes) -> Box:
    """The seal at real size, its right third over the left of the signer's image."""
    size = SEAL_DIAMETER_MM * MM
    image = Image.open(io.BytesIO(png))
    height = size * image.height / image.width
    centre_y = (signer_box.y1 + signer_box.y2) / 2
    x2 = signer_box.x1 + signer_box.width / 3
    return Box(signer_box.page, x2 - size, centre_y - height / 2, x2, centre_y + height / 2)


def top_right_box(page_width: float, page_height: float, lines: int = 2) -> Box:
    width, line_height, margin = 200, 13, 20
    return Box(
        1,
        page_width - margin - width,
        page_height - margin - line_height * lines - 4,
        page_width - margin,
        page_height - margin,
    )


# -- demo images and checks of uploaded ones -------------------------------------------------


def demo_signature_png(name: str, size: tuple[int, int] = (600, 240)) -> bytes:
    """A blue, transparent, handwriting-like mark for a demo signer."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    blue = (20, 50, 170, 255)
    w, h = size
    points = [
        (int(w * 0.08 + i * w * 0.84 / 40), int(h * (0.55 + 0.25 * ((-1) ** i) * (1 - i / 50))))
        for i in range(41)
    ]
    draw.line(points, fill=blue, width=7, joint="curve")
    font = ImageFont.truetype(str(FONT), int(h * 0.22))
    initials = "".join(part[0] for part in name.split()[-2:])
    draw.text((w * 0.62, h * 0.05), initials, font=font, fill=blue)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_seal_png(agency: str, diameter: int = 500) -> bytes:
    """A red, transparent, round seal with the agency's name."""
    image = Image.new("RGBA", (diameter, diameter), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 20, 30, 255)
    draw.ellipse((6, 6, diameter - 6, diameter - 6), outline=red, width=12)
    draw.ellipse((60, 60, diameter - 60, diameter - 60), outline=red, width=5)
    font = ImageFont.truetype(str(FONT), diameter // 14)
    words = agency.upper().split()
    lines = [" ".join(words[i : i + 3]) for i in range(0, len(words), 3)]
    y = diameter / 2 - len(lines) * diameter / 28
    for line in lines:
        length = draw.textlength(line, font=font)
        draw.text(((diameter - length) / 2, y), line, font=font, fill=red)
        y += diameter / 14
    draw.regular_polygon((diameter / 2, diameter * 0.3, diameter / 14), 5, fill=red)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def check_image(png: bytes, ink: str) -> None:
    """An uploaded signature (ink="blue") or seal (ink="red") must be a PNG with a
    transparent background and ink of that colour."""
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except Exception as exc:  # noqa: BLE001 - anything Pillow cannot read
        raise ImageRejected("The file is not an image.", code="image-unreadable") from exc
    if image.format != "PNG":
        raise ImageRejected("Upload a PNG file.", code="image-not-png")
    rgba = image.convert("RGBA")
    pixels = list(rgba.get_flattened_data())
    transparent = sum(1 for p in pixels if p[3] < 16)
    if transparent < len(pixels) * 0.3:
        raise ImageRejected(
            "The background must be transparent (PNG with alpha).", code="image-not-transparent"
        )
    ink_pixels = [p for p in pixels if p[3] >= 128]
    if not ink_pixels:
        raise ImageRejected("The image is empty.", code="image-empty")
    r = sum(p[0] for p in ink_pixels) / len(ink_pixels)
    b = sum(p[2] for p in ink_pixels) / len(ink_pixels)
    if ink == "blue" and not b > r + 30:
        raise ImageRejected("A signature is drawn in blue ink.", code="image-not-blue")
    if ink == "red" and not r > b + 30:
        raise ImageRejected("A seal is red.", code="image-not-red")
