"""Rebuild ``NotoSansSC-Regular-GB2312.ttf`` from Noto Sans CJK (see README.md beside this file).

    apt-get install fonts-noto-cjk
    .venv/bin/python bot/data/fonts/build.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Keeps the characters of GB 2312 and common punctuation, then turns the CFF
outlines into TrueType ones: PDF readers and text extractors handle the
TrueType CID fonts fpdf2 writes (Identity-H) more reliably than CFF ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

SIMPLIFIED_CHINESE_FACE = 2  # in NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK, ...
RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x206F), (0x3000, 0x303F), (0xFF01, 0xFF5E))
OUTPUT = Path(__file__).with_name("NotoSansSC-Regular-GB2312.ttf")
#: Largest distance, in font units, between a cubic curve and its quadratic approximation.
MAX_ERROR = 1.0


def characters() -> str:
    chars = {
        bytes([high, low]).decode("gb2312", "ignore")
        for high in range(0xA1, 0xF8)
        for low in range(0xA1, 0xFF)
    }
    for first, last in RANGES:
        chars |= {chr(code) for code in range(first, last + 1)}
    return "".join(sorted(chars - {""}))


def subset_font(collection: Path) -> TTFont:
    font = TTFont(collection, fontNumber=SIMPLIFIED_CHINESE_FACE, recalcTimestamp=False)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []  # PDFs are laid out without OpenType shaping
    options.drop_tables += ["BASE", "GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    return font


def to_truetype(font: TTFont) -> None:
    """Replace the CFF table by ``glyf`` outlines (quadratic), in place."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0  # no glyph names: they are only cid numbers
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"


def main(collection: str) -> None:
    font = subset_font(Path(collection))
    to_truetype(font)
    font.save(OUTPUT)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
