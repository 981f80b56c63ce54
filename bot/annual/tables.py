"""The annual report's statutory tables (2021 national format, 国办公开办函〔2021〕30号), from the records.

``statutory_tables(session, year)`` gives every table as ``{"title", "columns",
"rows"}``: ``columns`` are the header cells (a column of a group is named
``group：column``, e.g. ``法人或其他组织：商业企业``, so a renderer can draw the
two-level header), each row is ``[label, value, ...]``, and a row whose values
are all ``""`` is a heading inside the table, as the national format has them.
The report editor embeds these tables into a draft report through this function
(``bot.annual.statutory.generate``); ``bot.annual.writers`` writes them out.

- Table 二 (主动公开政府信息情况), in four parts (Art. 20 items 1, 5, 6 and 8):
  documents and decisions counted from the published items of the year by
  category (``COUNTED_CATEGORIES``), or the figures staff enter for the year
  (``AnnualFigure``), which take precedence; a figure neither counted nor entered is 0.
- Table 三 (收到和处理政府信息公开申请情况): applications by the applicant's kind
  recorded at intake. 一 received in the year; 二 received earlier and still open
  on 1 January; 三 closed in the year, by outcome (``bot.cases.outcomes``); 四 open
  on 31 December. ``check`` verifies 一 + 二 = 三(七) + 四 in every column.
- Table 四 (行政复议、行政诉讼): a reconsideration or lawsuit is counted by its result
  in the year it concludes; one still open on 31 December is counted as 尚未审结 in
  that year and in every later year until it concludes (``appeals_of_year``), so
  each year's table shows what concluded in it and what was still pending at its
  end. The table carries a ``note`` saying so, printed under it. The national
  format prints it as one row of 15 cells; here it is its 3 × 5 transposition
  (rows: reconsideration, lawsuit without reconsideration, lawsuit after it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.annual.narrative import Fees, fees_collected
from bot.cases.outcomes import (
    APPLICATION_OUTCOMES,
    TABLE_THREE_GROUPS,
    TABLE_THREE_TOTAL,
)
from bot.clock import beijing_date
from bot.models.cases import (
    APPEAL_KINDS,
    APPEAL_RESULTS,
    APPLICATION,
    CLOSED_STATUSES,
    ORGANISATION,
    ORGANISATION_KINDS,
    AnnualFigure,
    Case,
    DisclosureAppeal,
)
from bot.models.content import Item, ItemStatus
from bot.models.staff import Staff
from bot.staff import audit

Table = dict[str, Any]

# ---- table 二 ----


@dataclass(frozen=True)
class Figure:
    """One cell of table 二."""

    key: str
    part: int
    row: str
    column: str
    #: Published items of these categories in the year are counted into it (empty: entered only).
    categories: tuple[str, ...] = ()
    #: An amount in 万元 (four decimals) rather than a count.
    amount: bool = False


_ISSUED, _ABOLISHED, _IN_FORCE = "本年制发件数", "本年废止件数", "现行有效件数"
_DECISIONS = "本年处理决定数量"
_FEES = "本年收费金额（单位：万元）"
TABLE_TWO_TITLE = "二、主动公开政府信息情况"
TABLE_TWO_PARTS = (
    ("第二十条第（一）项", (_ISSUED, _ABOLISHED, _IN_FORCE)),
    ("第二十条第（五）项", (_DECISIONS,)),
    ("第二十条第（六）项", (_DECISIONS,)),
    ("第二十条第（八）项", (_FEES,)),
)
FIGURES: tuple[Figure, ...] = (
    Figure("rules.issued", 0, "规章", _ISSUED, ("规章",)),
    Figure("rules.abolished", 0, "规章", _ABOLISHED),
    Figure("rules.in_force", 0, "规章", _IN_FORCE),
    Figure("normative.issued", 0, "行政规范性文件", _ISSUED, ("行政规范性文件", "规范性文件")),
    Figure("normative.abolished", 0, "行政规范性文件", _ABOLISHED),
    Figure("normative.in_force", 0, "行政规范性文件", _IN_FORCE),
    Figure("licensing.decisions", 1, "行政许可", _DECISIONS, ("行政许可",)),
    Figure("penalty.decisions", 2, "行政处罚", _DECISIONS, ("行政处罚",)),
    Figure("enforcement.decisions", 2, "行政强制", _DECISIONS, ("行政强制",)),
    Figure("fees.amount", 3, "行政事业性收费", _FEES, amount=True),
)
FIGURE_KEYS = {figure.key: figure for figure in FIGURES}
AMOUNT_PLACES = Decimal("0.0001")
MAX_FIGURE = Decimal("99999999")


@dataclass(frozen=True)
class FigureValue:
    figure: Figure
    #: What staff entered for the year, if anything.
    entered: Decimal | None
    #: What the published items give, for figures that can be counted.
    counted: int | None

    @property
    def value(self) -> int | float:
        if self.entered is not None:
            return float(self.entered) if self.figure.amount else int(self.entered)
        return self.counted or 0

    @property
    def entered_text(self) -> str:
        """The entered figure as staff typed it (``5``, ``1.2345``), or empty."""
        if self.entered is None:
            return ""
        return str(self.value)


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _entered(session: Session, body_id: int, year: int) -> dict[str, AnnualFigure]:
    rows = session.scalars(
        select(AnnualFigure).where(AnnualFigure.body_id == body_id, AnnualFigure.year == year)
    )
    return {row.key: row for row in rows}


def figure_values(session: Session, body_id: int, year: int) -> list[FigureValue]:
    """Every cell of a body's table 二 with what was entered and what was counted."""
    first, last = year_bounds(year)
    entered = {key: row.value for key, row in _entered(session, body_id, year).items()}
    categories = {c for figure in FIGURES for c in figure.categories}
    counts = dict(
        session.execute(
            select(Item.category, func.count())
            .where(
                Item.body_id == body_id,
                Item.status == ItemStatus.PUBLISHED,
                Item.is_example.is_(False),
                Item.category.in_(categories),
                Item.published_on.between(first, last),
            )
            .group_by(Item.category)
        ).all()
    )
    return [
        FigureValue(
            figure,
            entered.get(figure.key),
            sum(counts.get(c, 0) for c in figure.categories) if figure.categories else None,
        )
        for figure in FIGURES
    ]


class AnnualError(ValueError):
    """A figure or record that cannot be stored; the message (Chinese) says which and why."""


def parse_figure(figure: Figure, raw: str) -> Decimal | None:
    """A figure as typed in the console: empty means "not entered"."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AnnualError(f"“{figure.row} {figure.column}”不是数字：{raw[:20]}") from None
    if not value.is_finite() or value < 0 or value > MAX_FIGURE:
        raise AnnualError(f"“{figure.row} {figure.column}”应为0到{MAX_FIGURE}之间的数。")
    if figure.amount:
        return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)
    if value != value.to_integral_value():
        raise AnnualError(f"“{figure.row} {figure.column}”是件数，应为整数。")
    return value


def save_figures(
    session: Session,
    body_id: int,
    year: int,
    values: Mapping[str, Decimal | None],
    actor: Staff,
    now: datetime,
) -> list[str]:
    """Store the entered figures (None removes one); return the keys that changed (audited)."""
    current = _entered(session, body_id, year)
    changed = []
    for key, value in values.items():
        if key not in FIGURE_KEYS:
            raise AnnualError(f"unknown figure {key!r}")
        row = current.get(key)
        if value is None:
            if row is not None:
                session.delete(row)
                changed.append(key)
            continue
        if row is None:
            session.add(
                AnnualFigure(
                    body_id=body_id,
                    year=year,
                    key=key,
                    value=value,
                    updated_at=now,
                    staff_id=actor.id,
                )
            )
            changed.append(key)
        elif Decimal(row.value) != value:
            row.value, row.updated_at, row.staff_id = value, now, actor.id
            changed.append(key)
    if changed:
        audit.record(
            actor, "annual.figures", "annual", year, body_id=body_id, year=year, keys=changed
        )
    return changed


def table_two(values: Iterable[FigureValue]) -> list[Table]:
    by_key = {v.figure.key: v.value for v in values}
    tables = []
    for index, (part, columns) in enumerate(TABLE_TWO_PARTS):
        rows: dict[str, list[Any]] = {}
        for figure in FIGURES:
            if figure.part == index:
                rows.setdefault(figure.row, []).append(by_key[figure.key])
        tables.append(
            {
                "title": f"{TABLE_TWO_TITLE}（{part}）",
                "columns": ["信息内容", *columns],
                "rows": [[label, *cells] for label, cells in rows.items()],
            }
        )
    return tables


# ---- table 三 ----

TABLE_THREE_TITLE = "三、收到和处理政府信息公开申请情况"
APPLICANT_COLUMNS = (
    "自然人",
    *(f"{ORGANISATION}：{kind}" for kind in ORGANISATION_KINDS),
    "总计",
)
NEW = "一、本年新收政府信息公开申请数量"
CARRIED_IN = "二、上年结转政府信息公开申请数量"
RESULTS = "三、本年度办理结果"
CARRIED_FORWARD = "四、结转下年度继续办理"
_OUTCOME_ROWS = {o.code: o.row for o in APPLICATION_OUTCOMES}


def applicant_column(applicant_kind: str | None, organisation_kind: str | None) -> int:
    """The column of table 三 for an applicant; an unrecorded kind counts as a natural person."""
    if applicant_kind != ORGANISATION:
        return 0
    kinds = list(ORGANISATION_KINDS)
    return 1 + (kinds.index(organisation_kind) if organisation_kind in kinds else len(kinds) - 1)


@dataclass
class ApplicationCounts:
    """Table 三's figures by row label; each row has one count per applicant column + the total."""

    year: int
    rows: dict[str, list[int]] = field(default_factory=dict)
    #: Applications closed (status) without a statutory outcome or date: they break the check.
    unclassified: list[str] = field(default_factory=list)

    def add(self, row: str, column: int) -> None:
        cells = self.rows.setdefault(row, [0] * len(APPLICANT_COLUMNS))
        cells[column] += 1
        cells[-1] += 1

    def get(self, row: str) -> list[int]:
        return self.rows.get(row, [0] * len(APPLICANT_COLUMNS))

    @property
    def results_total(self) -> list[int]:
        totals = [0] * len(APPLICANT_COLUMNS)
        for row in _OUTCOME_ROWS.values():
            totals = [a + b for a, b in zip(totals, self.get(row), strict=True)]
        return totals


def application_counts(session: Session, body_id: int, year: int) -> ApplicationCounts:
    first, last = year_bounds(year)
    counts = ApplicationCounts(year)
    rows = session.execute(
        select(
            Case.number,
            Case.status,
            Case.received_on,
            Case.closed_on,
            Case.outcome,
            Case.applicant_kind,
            Case.organisation_kind,
        )
        .where(Case.body_id == body_id, Case.kind == APPLICATION, Case.received_on <= last)
        .order_by(Case.number)
    ).all()
    for number, status, received_on, closed_on, code, applicant_kind, organisation_kind in rows:
        column = applicant_column(applicant_kind, organisation_kind)
        if closed_on is not None and closed_on < first:
            continue  # finished before the year began
        counts.add(NEW if received_on >= first else CARRIED_IN, column)
        if closed_on is not None and closed_on <= last:
            if code in _OUTCOME_ROWS:
                counts.add(_OUTCOME_ROWS[code], column)
            else:
                counts.unclassified.append(number)
        elif closed_on is None and status in CLOSED_STATUSES:
            counts.unclassified.append(number)
        else:
            counts.add(CARRIED_FORWARD, column)
    return counts


def table_three(counts: ApplicationCounts) -> Table:
    blank = [""] * len(APPLICANT_COLUMNS)
    rows: list[list[Any]] = [
        [NEW, *counts.get(NEW)],
        [CARRIED_IN, *counts.get(CARRIED_IN)],
        [RESULTS, *blank],
    ]
    for group, members in TABLE_THREE_GROUPS:
        if len(members) == 1 and members[0].item is None:
            rows.append([group, *counts.get(members[0].row)])
            continue
        rows.append([group, *blank])
        rows.extend([member.row, *counts.get(member.row)] for member in members)
    rows.append([TABLE_THREE_TOTAL, *counts.results_total])
    rows.append([CARRIED_FORWARD, *counts.get(CARRIED_FORWARD)])
    return {"title": TABLE_THREE_TITLE, "columns": ["申请人情况", *APPLICANT_COLUMNS], "rows": rows}


@dataclass(frozen=True)
class Violation:
    """A column where 一 + 二 ≠ 三(七) + 四."""

    column: str
    received: int
    carried_in: int
    closed: int
    carried_forward: int

    def __str__(self) -> str:
        return (
            f"{self.column}: {self.received} + {self.carried_in} != "
            f"{self.closed} + {self.carried_forward}"
        )


@dataclass(frozen=True)
class Check:
    violations: list[Violation]
    #: Applications marked closed without a statutory outcome: the usual cause of a violation.
    unclassified: list[str]

    @property
    def ok(self) -> bool:
        return not self.violations and not self.unclassified


def check(counts: ApplicationCounts) -> Check:
    """一 + 二 = 三(七) + 四 in every column of table 三."""
    violations = []
    for index, column in enumerate(APPLICANT_COLUMNS):
        received = counts.get(NEW)[index]
        carried_in = counts.get(CARRIED_IN)[index]
        closed = counts.results_total[index]
        forward = counts.get(CARRIED_FORWARD)[index]
        if received + carried_in != closed + forward:
            violations.append(Violation(column, received, carried_in, closed, forward))
    return Check(violations, counts.unclassified)


# ---- table 四 ----

TABLE_FOUR_TITLE = "四、政府信息公开行政复议、行政诉讼情况"
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending")
#: The national format's header groups, as row labels (``group：column``).
TABLE_FOUR_ROWS = {
    "reconsideration": "行政复议",
    "lawsuit": "行政诉讼：未经复议直接起诉",
    "lawsuit_after_reconsideration": "行政诉讼：复议后起诉",
}


TABLE_FOUR_NOTE = (
    "注：行政复议、行政诉讼按审结（作出复议决定、裁判）的年度统计结果；"
    "年底尚未审结的计入当年“尚未审结”，并在以后各年度继续计为“尚未审结”，直至审结当年按结果统计。"
)


@dataclass(frozen=True)
class CountedAppeal:
    appeal: DisclosureAppeal
    #: The column it counts in for the year: its result, or ``pending``.
    result: str


def appeals_of_year(session: Session, body_id: int, year: int) -> list[CountedAppeal]:
    """The appeals a body's table 四 of ``year`` counts: those that concluded in the year, by their
    result, and those filed by its end and not concluded by then, as pending."""
    first, last = year_bounds(year)
    counted = []
    appeals = session.scalars(
        select(DisclosureAppeal)
        .where(DisclosureAppeal.body_id == body_id, DisclosureAppeal.filed_on <= last)
        .order_by(DisclosureAppeal.filed_on, DisclosureAppeal.id)
    )
    for appeal in appeals:
        # A result recorded without its date (before dates were required) concluded when filed.
        concluded = appeal.decided_on or appeal.filed_on if appeal.result != "pending" else None
        if concluded is not None and concluded < first:
            continue  # counted in the year it concluded
        decided = concluded is not None and concluded <= last
        counted.append(CountedAppeal(appeal, appeal.result if decided else "pending"))
    return counted


def appeal_counts(session: Session, body_id: int, year: int) -> dict[str, list[int]]:
    """Per kind: upheld, corrected, other, pending (at the end of the year), total."""
    counts = {kind: [0] * (len(APPEAL_COLUMNS) + 1) for kind in APPEAL_KINDS}
    for counted in appeals_of_year(session, body_id, year):
        cells = counts[counted.appeal.kind]
        cells[APPEAL_COLUMNS.index(counted.result)] += 1
        cells[-1] += 1
    return counts


def add_appeal(
    session: Session,
    body_id: int,
    actor: Staff,
    *,
    kind: str,
    filed_on: date,
    case_number: str | None,
    reference: str | None,
    note: str | None,
    now: datetime,
) -> DisclosureAppeal:
    """Record a reconsideration or lawsuit (pending until its result is entered)."""
    if kind not in APPEAL_KINDS:
        raise AnnualError("请选择行政复议或行政诉讼的类别。")
    if filed_on.year < 2008 or filed_on > beijing_date(now):
        raise AnnualError("收到复议申请或起诉的日期不对。")
    appeal = DisclosureAppeal(
        body_id=body_id,
        kind=kind,
        filed_on=filed_on,
        result="pending",
        case_number=(case_number or "").strip()[:20] or None,
        reference=(reference or "").strip()[:100] or None,
        note=(note or "").strip()[:2000] or None,
        created_at=now,
        staff_id=actor.id,
    )
    session.add(appeal)
    session.flush()
    audit.record(
        actor, "annual.appeal", "appeal", appeal.id, body_id=body_id, kind=APPEAL_KINDS[kind]
    )
    return appeal


def set_appeal_result(
    appeal: DisclosureAppeal, actor: Staff, result: str, decided_on: date | None, now: datetime
) -> None:
    if result not in APPEAL_RESULTS:
        raise AnnualError("请选择结果。")
    if result == "pending":
        decided_on = None
    elif decided_on is None:
        raise AnnualError("请填写决定或判决的日期。")
    elif decided_on < appeal.filed_on or decided_on > beijing_date(now):
        raise AnnualError("决定或判决的日期应在收到之后、今天之前。")
    appeal.result, appeal.decided_on = result, decided_on
    audit.record(
        actor,
        "annual.appeal_result",
        "appeal",
        appeal.id,
        body_id=appeal.body_id,
        result=APPEAL_RESULTS[result],
    )


def table_four(counts: Mapping[str, list[int]]) -> Table:
    return {
        "title": TABLE_FOUR_TITLE,
        "columns": ["类别", *(APPEAL_RESULTS[result] for result in APPEAL_COLUMNS), "总计"],
        "rows": [[label, *counts[kind]] for kind, label in TABLE_FOUR_ROWS.items()],
        "note": TABLE_FOUR_NOTE,
    }


# ---- all of them ----


@dataclass(frozen=True)
class AnnualTables:
    year: int
    tables: list[Table]
    check: Check
    fees: Fees


def compute(session: Session, body_id: int, year: int) -> AnnualTables:
    """A body's annual tables of ``year``, from its records only."""
    counts = application_counts(session, body_id, year)
    tables = [
        *table_two(figure_values(session, body_id, year)),
        table_three(counts),
        table_four(appeal_counts(session, body_id, year)),
    ]
    return AnnualTables(year, tables, check(counts), fees_collected(session, body_id, year))


def statutory_tables(session: Session, body_id: int, year: int) -> list[Table]:
    """A body's tables 二 (four parts), 三 and 四 of ``year``, each ``{"title", "columns",
    "rows"}``."""
    return compute(session, body_id, year).tables


def check_lines(result: Check) -> list[str]:
    """The check as English lines for the CLI (empty when it holds)."""
    lines = [f"table 三 does not add up in column {violation}" for violation in result.violations]
    if result.unclassified:
        lines.append(
            "closed without a statutory outcome (close them in the console): "
            + ", ".join(result.unclassified)
        )
    return lines
