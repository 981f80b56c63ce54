"""PDFs Sunshine generates (annual reports, formal replies), set in an embedded Chinese font.

Phones' PDF readers often have no Chinese font, so every generated PDF embeds the
shipped Noto Sans SC subset (only the glyphs used) with a ToUnicode map: the text
shows everywhere and can be selected, searched and extracted. The subset holds GB
2312; a document that prints what residents typed (a name such as 王喆) can ask for
a system font with more characters as a fallback (``SYSTEM_FALLBACK_FONTS``).

Lines are broken here, not by fpdf (which breaks Chinese anywhere), by the rules of
Chinese typesetting (避头尾, ``wrap``): no closing mark such as 。，、；：！？）」』 at the
start of a line, no opening mark such as （「『 at its end, and a case number or a date
never split. Every PDF writes its text through ``write_lines`` and its table cells
through ``cell_text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

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


# ---- line breaking (避头尾) ----

#: Marks a line never starts with (避头): closing punctuation, brackets and quotes.
NO_LINE_START = frozenset("。，、；：？！）》」』】〕”’…·%,.;:?!)]")
#: Marks a line never ends with (避尾): opening brackets and quotes.
NO_LINE_END = frozenset("（《「『【〔“‘([")
#: What ``wrap`` keeps together: a run of Latin letters and digits, or one other character.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-./:_%]*|.")


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` (each ``\\n`` starts a line). No line starts
    with a closing mark or ends with an opening one: the characters around the break move down
    together; and a run of Latin letters and digits (a case number, a date) is not split
    unless it is wider than a line."""
    return [
        line
        for paragraph in text.split("\n")
        for line in _wrap_paragraph(paragraph, width, measure)
    ]


def _wrap_paragraph(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        tokens += list(token) if len(token) > 1 and measure(token) > width else [token]
    lines: list[str] = []
    line: list[str] = []
    for token in tokens:
        if line and measure("".join(line) + token) > width:
            carried: list[str] = []
            while line and _forbidden(line[-1], carried[0] if carried else token):
                carried.insert(0, line.pop())
            if not line:  # nothing can break here (a run of marks): let it stand
                line, carried = carried, []
            lines.append("".join(line))
            line = carried
        line.append(token)
    return [*lines, "".join(line)]


def _forbidden(before: str, after: str) -> bool:
    """Whether a line may not break between ``before`` and ``after``."""
    return after[0] in NO_LINE_START or before[-1] in NO_LINE_END


def write_lines(
    pdf: FPDF, text: str, line_height: float, *, align: Align = Align.L, indent: int = 0
) -> None:
    """``text`` across the page in lines broken by ``wrap``; ``indent``: the first line of each
    paragraph starts that many characters in (two, as Chinese paragraphs do)."""
    width = pdf.epw - 2 * pdf.c_margin
    for paragraph in text.split("\n"):
        for line in wrap("\u3000" * indent + paragraph, width, pdf.get_string_width):
            pdf.cell(0, line_height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def cell_text(pdf: FPDF, text: str, width: float) -> str:
    """``text`` for a table cell ``width`` wide (in the current font), its lines broken by
    ``wrap``: fpdf then has nothing left to break."""
    return "\n".join(wrap(text, width - 2 * pdf.c_margin - pdf.line_width, pdf.get_string_width))
