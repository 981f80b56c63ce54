"""The statutory tables of an annual report (2021 national format), as the report stores them.

``generate(session, body_id, year)`` computes the tables from the case records
(``bot.annual.tables.statutory_tables``: ``[{"title": str, "columns": [str, ...],
"rows": [[label, value, ...], ...]}]``, optionally with a ``"note"`` printed under
the table, how table 四 counts) and returns them ``checked``: plain JSON the report
keeps (so that a later change to the records does not change a published report),
refusing anything of another shape. ``grid`` gives a table's header and rows for
the page and the PDF: ``columns`` may or may not name the label column.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from bot.annual import tables


class TableShapeError(ValueError):
    """The tables are not a list of tables of the shape above."""


def generate(session: Session, body_id: int, year: int) -> list[dict[str, Any]]:
    """A body's tables 二, 三 and 四 of ``year`` from its records, as a report keeps them."""
    return checked(tables.statutory_tables(session, body_id, year))


def checked(tables: object) -> list[dict[str, Any]]:
    """The tables as plain JSON (cells as numbers or text); raises ``TableShapeError``."""
    if not isinstance(tables, list):
        raise TableShapeError(f"expected a list of tables, got {type(tables).__name__}")
    result = []
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise TableShapeError(f"table {number} is not a dict")
        title, columns, rows = table.get("title"), table.get("columns"), table.get("rows")
        if not isinstance(title, str) or not title.strip():
            raise TableShapeError(f"table {number} has no title")
        if not isinstance(columns, list | tuple) or not isinstance(rows, list | tuple):
            raise TableShapeError(f"table {number} ({title}) needs lists 'columns' and 'rows'")
        width = len(columns)
        plain_rows = []
        for row in rows:
            if not isinstance(row, list | tuple) or not row:
                raise TableShapeError(f"table {number} ({title}) has a row that is not a list")
            if len(row) not in (width, width + 1):
                raise TableShapeError(
                    f"table {number} ({title}): a row has {len(row)} cells for {width} columns"
                )
            plain_rows.append([_cell(value) for value in row])
        note = table.get("note")
        if note is not None and not isinstance(note, str):
            raise TableShapeError(f"table {number} ({title}) has a note that is not text")
        result.append(
            {
                "title": title.strip(),
                "columns": [str(column) for column in columns],
                "rows": plain_rows,
                **({"note": note.strip()} if note and note.strip() else {}),
            }
        )
    return result


def _cell(value: object) -> int | float | str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return value
    return str(value)


#: Separates a column's group from its name: ``法人或其他组织：商业企业``.
GROUP_SEPARATOR = "："
#: Brackets inside a name: a ``：`` between them belongs to the name, as in
#: ``本年收费金额（单位：万元）``, and does not start a group.
_OPENING, _CLOSING = "（(", "）)"


def split_column(column: str) -> tuple[str, str] | None:
    """``(group, name)`` of a grouped column, or None: the first ``：`` outside brackets
    separates them, so that ``本年收费金额（单位：万元）`` stays whole."""
    depth = 0
    for index, char in enumerate(column):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif char == GROUP_SEPARATOR and depth == 0:
            return column[:index], column[index + 1 :]
    return None


@dataclass(frozen=True)
class HeaderCell:
    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class Grid:
    """A table ready to draw: one or two header rows, then rows of text."""

    title: str
    header: list[list[HeaderCell]]
    rows: list[list[str]]
    #: Printed under the table.
    note: str = ""

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else sum(c.colspan for c in self.header[0])

    @staticmethod
    def is_heading(row: list[str]) -> bool:
        """A row whose values are all empty is a heading inside the table (national format)."""
        return len(row) > 1 and all(cell == "" for cell in row[1:])


def grid(table: dict[str, Any]) -> Grid:
    """The table's header (grouped columns under their group) and rows as text.

    ``columns`` may or may not name the label column; when it does not, that
    header cell is empty.
    """
    rows = [[_text(cell) for cell in row] for row in table["rows"]]
    columns = [str(column) for column in table["columns"]]
    width = max((len(row) for row in rows), default=len(columns))
    if len(columns) < width:
        columns = ["", *columns]
    rows = [row + [""] * (len(columns) - len(row)) for row in rows]
    return Grid(table["title"], header(columns), rows, table.get("note") or "")


def header(columns: list[str]) -> list[list[HeaderCell]]:
    """One header row, or two when columns are grouped: the groups above their columns."""
    split = [split_column(column) for column in columns]
    if not any(split):
        return [[HeaderCell(column) for column in columns]]
    top: list[HeaderCell] = []
    bottom: list[HeaderCell] = []
    # Neighbouring columns of one group share a top cell; an ungrouped column spans both rows.
    runs = groupby(enumerate(split), key=lambda pair: pair[1][0] if pair[1] else -pair[0] - 1)
    for key, run in runs:
        if isinstance(key, int):
            top.append(HeaderCell(columns[-key - 1], rowspan=2))
            continue
        names = [parts[1] for _, parts in run if parts]
        top.append(HeaderCell(key, colspan=len(names)))
        bottom.extend(HeaderCell(name) for name in names)
    return [top, bottom]


def _text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def placed_numbers(sections: list[dict[str, Any]]) -> set[int]:
    """Numbers of the tables a ``statutory_table`` block places somewhere in the sections."""
    return {
        int(block["number"])
        for section in sections
        for block in section.get("blocks", [])
        if block.get("kind") == "statutory_table"
    }


def unplaced(sections: list[dict[str, Any]], tables: list[dict[str, Any]] | None) -> list[Grid]:
    """The tables no block places: shown after the last section."""
    placed = placed_numbers(sections)
    return [grid(t) for n, t in enumerate(tables or [], start=1) if n not in placed]
