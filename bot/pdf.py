"""PDFs Sunshine generates (annual reports, formal replies), set in an embedded Chinese font.

Phones' PDF readers often have no Chinese font, so every generated PDF embeds the
shipped Noto Sans SC subset (only the glyphs used) with a ToUnicode map: the text
shows everywhere and can be selected, searched and extracted. The subset holds GB
2312; a document that prints what residents typed (a name such as 王喆) can ask for
a system font with more characters as a fallback (``SYSTEM_FALLBACK_FONTS``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align

FONT_FILE = "NotoSansSC-Regular-GB2312.ttf"
FONT = "NotoSansSC"
#: Larger Chinese fonts a host may have (Debian: fonts-wqy-microhei), first found is used.
SYSTEM_FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
FALLBACK = "CJKFallback"
BODY_SIZE = 11
#: Width of the text on an A4 page between the 20 mm margins.
TEXT_WIDTH = 170


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=9)
        self.set_text_color(110)
        self.cell(0, 8, f"第 {self.page_no()} 页 共 {{nb}} 页", align=Align.C)


def cjk_document(title: str, author: str | None, *, fallback: bool = False) -> FPDF:
    """An A4 document with 20 mm margins, numbered pages and the embedded Chinese font
    selected: what every PDF Sunshine generates starts from. ``fallback``: characters
    outside the shipped subset come from a system font when the host has one (loading it
    takes a few tenths of a second)."""
    pdf = _Document(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    with resources.as_file(resources.files("bot.data").joinpath("fonts", FONT_FILE)) as font:
        pdf.add_font(FONT, fname=str(font))
    system = next((path for path in SYSTEM_FALLBACK_FONTS if path.is_file()), None)
    if fallback and system is not None:
        pdf.add_font(FALLBACK, fname=str(system))
        pdf.set_fallback_fonts([FALLBACK])
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("Sunshine 阳光 政府信息公开")
    if author:
        pdf.set_author(author)
    return pdf
