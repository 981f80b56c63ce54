"""The annual report as a PDF: the uploaded original, or one generated from the stored report.

The generated PDF is set in the embedded font of ``bot.pdf``. A generated PDF is
stored on the report with the hash of what it shows (``reports.content_key`` and
``LAYOUT``) and served again until the report changes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from bot.annual import statutory
from bot.content.reports import content_key
from bot.content.stats import errata, percent
from bot.models.content import Report
from bot.pdf import BODY_SIZE, FONT, TEXT_WIDTH, cell_text, cjk_document, write_lines

log = logging.getLogger(__name__)

#: Change when the layout changes, so that PDFs generated before are made again.
LAYOUT = "7"
NUMERALS = "一二三四五六七八九十"
#: Shown under the caption of a table the report's text does not contain.
MISSING_TABLE_NOTE = "原报告此处有一张表格，报告文本中没有它的数据。"
MM_PER_POINT = 25.4 / 72
#: A paragraph's lines are 1.6 times the body size apart, as the printed report's.
BODY_LINE_HEIGHT = 1.6 * BODY_SIZE * MM_PER_POINT


@dataclass(frozen=True)
class ReportPdf:
    data: bytes
    etag: str
    filename: str
    original: bool


def report_pdf(session: Session, report: Report) -> ReportPdf:
    """The PDF served for ``report``: the original upload, else the generated one (cached)."""
    filename = f"{report.year}年政府信息公开工作年度报告.pdf"
    if report.original_pdf:
        etag = hashlib.sha256(report.original_pdf).hexdigest()
        return ReportPdf(report.original_pdf, etag, report.original_pdf_name or filename, True)
    key = hashlib.sha256(f"{content_key(report)}:{LAYOUT}".encode()).hexdigest()
    if report.generated_pdf_key != key or not report.generated_pdf:
        report.generated_pdf = render_report(report)
        report.generated_pdf_key = key
        session.commit()
        log.info(
            "generated the PDF of the %s report (%d bytes)", report.year, len(report.generated_pdf)
        )
    return ReportPdf(report.generated_pdf, key, filename, False)


def render_report(report: Report) -> bytes:
    """Lay the report out on A4 pages."""
    pdf = cjk_document(report.title, report.issuer)
    pdf.add_page()

    pdf.set_font(FONT, size=18)
    write_lines(pdf, report.title, 10, align=Align.C)
    pdf.ln(6)
    numbered = 0
    tables = [statutory.grid(table) for table in report.statutory_tables or []]
    channel_total = sum(f.count for f in report.figures if f.channel is not None)
    for section in report.sections:
        if section["title"]:
            numbered += 1
            pdf.ln(3)
            pdf.set_font(FONT, size=14)
            write_lines(pdf, f"{_numeral(numbered)}、{section['title']}", 9)
            pdf.ln(1)
        for block in section["blocks"]:
            if block["kind"] == "figures":
                _figures_table(pdf, report, block.get("caption", ""))
            elif block["kind"] == "missing_table":
                _missing_table(pdf, block["caption"])
            elif block["kind"] == "statutory_table":
                if 0 < block["number"] <= len(tables):
                    _statutory_table(pdf, tables[block["number"] - 1])
            else:
                _paragraph(pdf, block["text"])
                for erratum in errata(block["text"], channel_total):
                    _erratum(pdf, erratum.note)
    for table in statutory.unplaced(report.sections, report.statutory_tables):
        _statutory_table(pdf, table)
    pdf.ln(8)
    pdf.set_font(FONT, size=11)
    for line in (report.issuer, _chinese_date(report)):
        if line:
            pdf.cell(0, 7, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(110)
    write_lines(pdf, "本文件根据年度报告文本生成，表中百分比按条数计算（保留一位小数）。", 5)
    return bytes(pdf.output())


def _figures_table(pdf: FPDF, report: Report, caption: str) -> None:
    figures = [f for f in report.figures if f.channel is not None]
    if not figures:
        return
    total = sum(f.count for f in figures)
    pdf.ln(1)
    pdf.set_font(FONT, size=11)
    if caption:
        write_lines(pdf, caption, 7, align=Align.C)
    with pdf.table(
        col_widths=(50, 30, 30),
        width=110,
        text_align=("LEFT", "RIGHT", "RIGHT"),
        line_height=8,
        headings_style=FontFace(emphasis="", fill_color=(232, 240, 248)),
    ) as table:
        table.row(("发布渠道", "条数", "占比"))
        for figure in figures:
            label = figure.label.removesuffix("发布")
            table.row((label, str(figure.count), percent(figure.count, total)))
        table.row(("合计", str(total), percent(total, total)))
    pdf.ln(3)


def _statutory_table(pdf: FPDF, table: statutory.Grid) -> None:
    """A table of the national format: a wide label column, then narrow columns of counts."""
    values = table.width - 1
    value_width = min(24.0, max(11.0, 110 / max(values, 1)))
    label_width = TEXT_WIDTH - values * value_width
    pdf.ln(1)
    pdf.set_font(FONT, size=BODY_SIZE)
    write_lines(pdf, table.title, 7, align=Align.C)
    pdf.set_font(FONT, size=9 if values <= 4 else 8)
    widths = [label_width, *([value_width] * values)]
    with pdf.table(
        col_widths=widths,
        width=TEXT_WIDTH,
        text_align=("LEFT", *(["RIGHT"] * values)),
        line_height=5.5,
        num_heading_rows=len(table.header),
        headings_style=FontFace(emphasis="", fill_color=(232, 240, 248)),
    ) as grid:
        for header_row, row_widths in zip(
            table.header, _header_widths(table.header, widths), strict=True
        ):
            cells = grid.row()
            for cell, width in zip(header_row, row_widths, strict=True):
                text = cell_text(pdf, cell.text, width)
                cells.cell(text, align=Align.C, colspan=cell.colspan, rowspan=cell.rowspan)
        for row in table.rows:
            label = cell_text(pdf, row[0], TEXT_WIDTH if table.is_heading(row) else label_width)
            if table.is_heading(row):
                grid.row().cell(label, colspan=len(row), style=FontFace(fill_color=(245, 246, 247)))
            else:
                grid.row([label, *row[1:]])
    if table.note:
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(110)
        write_lines(pdf, table.note, 5)
        pdf.set_text_color(0)
    pdf.ln(3)


def _header_widths(
    header: list[list[statutory.HeaderCell]], widths: list[float]
) -> list[list[float]]:
    """How wide each header cell is: the second row's cells sit under the first row's groups."""
    top, *below = header
    top_widths: list[float] = []
    under_groups: list[int] = []
    column = 0
    for cell in top:
        top_widths.append(sum(widths[column : column + cell.colspan]))
        if cell.rowspan == 1:
            under_groups.extend(range(column, column + cell.colspan))
        column += cell.colspan
    result = [top_widths]
    for row in below:
        free = iter(under_groups)
        result.append([sum(widths[next(free)] for _ in range(cell.colspan)) for cell in row])
    return result


def _paragraph(pdf: FPDF, text: str) -> None:
    """A paragraph set like the printed report: first line indented by two characters."""
    pdf.set_font(FONT, size=BODY_SIZE)
    write_lines(pdf, text, BODY_LINE_HEIGHT, indent=2)
    pdf.ln(2)


def _erratum(pdf: FPDF, note: str) -> None:
    """An erratum note under the paragraph it is about, set apart from the signed text."""
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(122, 82, 0)
    write_lines(pdf, note, 5.5)
    pdf.set_text_color(0)
    pdf.ln(2)


def _missing_table(pdf: FPDF, caption: str) -> None:
    pdf.set_font(FONT, size=BODY_SIZE)
    write_lines(pdf, caption, 7, align=Align.C)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(110)
    write_lines(pdf, MISSING_TABLE_NOTE, 6, align=Align.C)
    pdf.set_text_color(0)
    pdf.ln(3)


def _numeral(number: int) -> str:
    return NUMERALS[number - 1] if number <= len(NUMERALS) else str(number)


def _chinese_date(report: Report) -> str | None:
    day = report.issued_on
    return f"{day.year}年{day.month}月{day.day}日" if day else None
