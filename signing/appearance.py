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
import math
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
SEAL_RED = (205, 22, 32, 255)
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


def issue_date_text(moment: datetime) -> str:
    """The date of issue as Nghị định 30 writes it, in Vietnam time: "ngày 04 tháng 12
    năm 2026" — a day below 10 and the months 1 and 2 with a leading zero, the months 3
    to 12 without ("ngày 05 tháng 02", "ngày 15 tháng 9")."""
    local = moment.astimezone(VN)
    month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
    return f"ngày {local.day:02d} tháng {month} năm {local.year}"


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


def star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    """A five-pointed star, one point up."""
    inner = outer * 0.382  # the regular star's inner radius
    return [
        (
            cx + (outer if i % 2 == 0 else inner) * math.sin(math.pi * i / 5),
            cy - (outer if i % 2 == 0 else inner) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]


def _text_on_ring(
    image: Image.Image, text: str, radius: float, font: ImageFont.FreeTypeFont, span: float
) -> None:
    """``text`` along a circle of ``radius`` around the centre, upright letters reading
    clockwise over the top, centred on 12 o'clock and spread over ``span`` degrees."""
    cx, cy = image.width / 2, image.height / 2
    widths = [font.getlength(ch) for ch in text]
    gap = (math.radians(span) * radius - sum(widths)) / max(len(text) - 1, 1)
    angle = -math.radians(span) / 2
    cell = int(font.size * 2)
    for ch, width in zip(text, widths, strict=True):
        middle = angle + width / 2 / radius
        glyph = Image.new("RGBA", (cell, cell), (0, 0, 0, 0))
        # anchor "ms": the letter's baseline centre sits at the cell's centre, so the
        # diacritics above Vietnamese capitals (Ủ, Ệ) stay inside the cell
        ImageDraw.Draw(glyph).text(
            (cell / 2, cell * 0.62), ch, font=font, fill=SEAL_RED, anchor="ms"
        )
        glyph = glyph.rotate(-math.degrees(middle), resample=Image.Resampling.BICUBIC)
        x = cx + radius * math.sin(middle) - cell / 2
        y = cy - radius * math.cos(middle) - cell / 2
        image.alpha_composite(glyph, (int(round(x)), int(round(y))))
        angle += (width + gap) / radius


def demo_seal_png(agency: str, diameter: int = 600, place: str | None = None) -> bytes:
    """A red round seal as Vietnamese agencies have it: a double outer ring, the agency's
    name in capitals curved along the inner ring, a five-pointed star in the centre and,
    under it, the place; transparent background. Printed at SEAL_DIAMETER_MM."""
    image = Image.new("RGBA", (diameter, diameter), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    d = diameter
    draw.ellipse((4, 4, d - 4, d - 4), outline=SEAL_RED, width=int(d * 0.03))
    draw.ellipse(
        (int(d * 0.05),) * 2 + (int(d * 0.95),) * 2, outline=SEAL_RED, width=int(d * 0.008)
    )
    inner = d * 0.31  # radius of the inner ring that the name runs along
    draw.ellipse((d / 2 - inner,) * 2 + (d / 2 + inner,) * 2, outline=SEAL_RED, width=int(d * 0.01))
    name = agency.upper()
    size = int(d * 0.085)
    font = ImageFont.truetype(str(FONT), size)
    radius = d * 0.355  # the letters' baseline, between the two rings
    while size > 8 and sum(font.getlength(c) for c in name) > math.radians(290) * radius * 0.88:
        size -= 1
        font = ImageFont.truetype(str(FONT), size)
    _text_on_ring(image, name, radius, font, 290)
    draw.polygon(star_points(d / 2, d / 2 - d * 0.03, d * 0.15), fill=SEAL_RED)
    if place:
        small = ImageFont.truetype(str(FONT), int(d * 0.055))
        draw.text((d / 2, d * 0.68), place.upper(), font=small, fill=SEAL_RED, anchor="ms")
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
