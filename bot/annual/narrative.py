"""What the annual report's text states beside the statutory tables: the processing fees.

A fee is charged only for volumes clearly beyond reason (Art. 42, 国办函〔2020〕109号),
and the report's text (not a table of the national format) says what was collected
in the year: ``fees_collected`` sums the fees paid, by the Beijing date of
payment, for the console's annual page and the tables' exports (``fees_table``).
The report's parts themselves, as staff write them, are ``bot.annual.outline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models.cases import FEE, Case, CasePause


@dataclass(frozen=True)
class Fees:
    """Processing fees collected in a year (国办函〔2020〕109号): the report's text states them."""

    applications: int
    total: Decimal


def fees_collected(session: Session, body_id: int, year: int) -> Fees:
    """Fees a body was paid in ``year`` (by the Beijing date of payment), and how many
    applications paid."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(CasePause.fee_paid), 0))
        .join(Case, Case.id == CasePause.case_id)
        .where(
            Case.body_id == body_id,
            CasePause.kind == FEE,
            CasePause.fee_paid.is_not(None),
            CasePause.ended_on.between(date(year, 1, 1), date(year, 12, 31)),
        )
    ).one()
    return Fees(count, Decimal(total or 0).quantize(Decimal("0.01")))


def fees_table(fees: Fees) -> dict[str, Any]:
    """The fees as a small table after the statutory ones in the exports (not one of them)."""
    return {
        "title": "附：本年度收取的信息处理费（写入年度报告正文）",
        "columns": ["项目", "数值"],
        "rows": [
            ["收取信息处理费的申请（件）", fees.applications],
            ["收取的信息处理费合计（元）", f"{fees.total:.2f}"],
        ],
    }
