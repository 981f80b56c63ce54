"""The statutory tables written out: CSV and XLSX for the console's downloads, aligned text for
``sunshine report stats``. Each takes tables as ``bot.annual.tables`` gives them
(``{"title", "columns", "rows"}`` and an optional ``"note"``)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.annual.tables import Table


def _cell(value: Any) -> Any:
    return "" if value is None else value


def write_csv(tables: Iterable[Table], out: IO[str]) -> None:
    """Every table: its title, header and rows, a blank line between tables."""
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table["title"]])
        writer.writerow(table["columns"])
        writer.writerows([_cell(value) for value in row] for row in table["rows"])
        if table.get("note"):
            writer.writerow([table["note"]])


def write_xlsx(tables: Iterable[Table], out: IO[bytes], *, year: int) -> None:
    """One sheet with every table, bold titles and headers, ready to print."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year}年度报告统计表"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    line = 1
    for table in tables:
        sheet.cell(line, 1, table["title"]).font = bold
        line += 1
        for column, label in enumerate(table["columns"], 1):
            cell = sheet.cell(line, column, label)
            cell.font, cell.alignment = bold, wrap
        line += 1
        for row in table["rows"]:
            for column, value in enumerate(row, 1):
                sheet.cell(line, column, _cell(value))
            line += 1
        if table.get("note"):
            sheet.cell(line, 1, table["note"])
            line += 1
        line += 1
    sheet.column_dimensions["A"].width = 48
    for letter in "BCDEFGH":
        sheet.column_dimensions[letter].width = 14
    book.save(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def write_text(tables: Iterable[Table], out: IO[str]) -> None:
    """Aligned plain-text tables for a terminal (CJK characters count as two columns)."""
    for index, table in enumerate(tables):
        if index:
            out.write("\n")
        out.write(f"{table['title']}\n")
        cells = [[str(c) for c in table["columns"]]]
        cells += [[str(_cell(value)) for value in row] for row in table["rows"]]
        widths = [max(_width(row[i]) for row in cells) for i in range(len(cells[0]))]
        for row in cells:
            padded = [_pad(text, widths[i], right=i > 0) for i, text in enumerate(row)]
            out.write("  ".join(padded).rstrip() + "\n")
        if table.get("note"):
            out.write(f"{table['note']}\n")
