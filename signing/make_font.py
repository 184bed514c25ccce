"""Rebuild ``assets/DejaVuSerif-vi.ttf``: DejaVu Serif (free licence, see
``assets/DejaVu-LICENSE.txt``) cut down to Latin + Vietnamese and rescaled to 1000 units
per em, because pyHanko writes glyph widths as if every font had 1000 (SIGNING-NOTES).

    .venv/bin/python -m signing.make_font /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

VIETNAMESE = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x100))
    + [0x102, 0x103, 0x110, 0x111, 0x128, 0x129, 0x168, 0x169, 0x1A0, 0x1A1, 0x1AF, 0x1B0]
    + list(range(0x300, 0x324))
    + list(range(0x1EA0, 0x1EFA))
    + [0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026, 0x20AB]
)
TARGET = Path(__file__).parent / "assets" / "DejaVuSerif-vi.ttf"


def build(source: str, target: Path = TARGET) -> Path:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=VIETNAMESE)
    subsetter.subset(font)
    scale_upem(font, 1000)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    return target


if __name__ == "__main__":
    print(build(sys.argv[1]))
