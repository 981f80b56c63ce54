"""汇总: the county's summary of its towns' annual report tables.

Each town (body) keeps its own tables and report (``tables.compute``); the county's
summary adds them up cell by cell: table 二 (the published documents and decisions,
the fees in 万元 to four places), 三 (applications) and 四 (reconsiderations and
lawsuits). The summed table 三 still satisfies 一 + 二 = 三(七) + 四 in every column
when each town's does, and ``check`` says so for the sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.annual.tables import AMOUNT_PLACES, AnnualTables, Table, compute
from bot.models import Body

SUMMARY_NOTE = (
    "本表为{towns}个行政机关年度报告统计表的合计，各行政机关的数据以其本机关年度报告为准。"
)


@dataclass(frozen=True)
class TownTables:
    body: Body
    tables: AnnualTables


@dataclass(frozen=True)
class CountySummary:
    year: int
    towns: list[TownTables]
    #: Tables 二 (four parts), 三 and 四, each cell the sum of the towns' cells.
    tables: list[Table]

    @property
    def balanced(self) -> bool:
        """Every town's table 三 adds up (and so does their sum)."""
        return all(town.tables.check.ok for town in self.towns)


def _sum(cells: Sequence[Any]) -> Any:
    """Counts added as whole numbers, amounts (floats) to four places; a heading's ``""``
    stays empty."""
    if any(cell == "" or cell is None for cell in cells):
        return ""
    if any(isinstance(cell, float) for cell in cells):
        total = sum((Decimal(str(cell)) for cell in cells), Decimal(0))
        return float(total.quantize(AMOUNT_PLACES))
    return sum(cells)


def add_tables(towns: Sequence[list[Table]]) -> list[Table]:
    """Sum the same tables of several towns cell by cell (titles, headers, labels and notes
    from the first)."""
    summed = []
    for same in zip(*towns, strict=True):
        rows = []
        for alike in zip(*(table["rows"] for table in same), strict=True):
            columns = zip(*(row[1:] for row in alike), strict=True)
            rows.append([alike[0][0], *(_sum(cells) for cells in columns)])
        summed.append({**same[0], "rows": rows})
    return summed


def summary(session: Session, bodies: Iterable[Body], year: int) -> CountySummary:
    """The towns' tables of ``year`` and their sum; with ``SUMMARY_NOTE`` on the last table."""
    towns = [TownTables(body, compute(session, body.id, year)) for body in bodies]
    tables = add_tables([town.tables.tables for town in towns]) if towns else []
    if tables:
        last = tables[-1]
        last["note"] = " ".join(
            filter(None, [last.get("note"), SUMMARY_NOTE.format(towns=len(towns))])
        )
    return CountySummary(year, towns, tables)
