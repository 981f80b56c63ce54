"""The console's inbox as queries: filtered, ordered by urgency, counted and paged in the database.

Open cases come first, overdue first and then due soonest (the next deadline of
``bot.cases.digest.next_deadline``, in SQL: ``next_deadline_sql``; ties by
number); then, when the filter asks for them, closed cases, the latest closed
first. A page costs a bounded number of queries whatever the number of cases: one
to count, one for the page, two for what the page shows of each case (pauses,
assignment) and the calendar for the working days left.

A search finds a tracking number however it was typed, or words of the
resident's text (never a name or a phone: identity is not searchable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, selectinload

from bot.cases.calendar import work_calendar
from bot.cases.digest import Due, due_of, next_deadline, next_deadline_sql
from bot.cases.numbers import read_number
from bot.models.cases import (
    APPLICATION,
    CLOSED_STATUSES,
    COMPLAINT,
    COMPLAINT_CATEGORIES,
    STATUS_LABELS,
    Case,
    CaseAssignment,
)

PAGE_SIZE = 50
KINDS = (APPLICATION, COMPLAINT)
#: The category filter: applications, or a complaint's category.
CATEGORIES = ("申请", *COMPLAINT_CATEGORIES)
#: The status filter: open (default), one open status, closed, or everything.
STATUS_FILTERS = {
    "open": "未办结",
    **{status: label for status, label in STATUS_LABELS.items() if status not in CLOSED_STATUSES},
    "closed": "已办结",
    "all": "全部",
}
QUERY_MAX = 100


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    kind: str = ""
    category: str = ""
    mine: bool = False
    overdue: bool = False
    query: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """The filters a query string asks for; what is not understood is left out."""
        status = args.get("status", "open")
        kind = args.get("kind", "")
        category = args.get("category", "")
        return cls(
            status=status if status in STATUS_FILTERS else "open",
            kind=kind if kind in KINDS else "",
            category=category if category in CATEGORIES else "",
            mine=args.get("mine") == "1",
            overdue=args.get("overdue") == "1",
            query=args.get("q", "").strip()[:QUERY_MAX],
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string that asks for these filters (with ``changes``, e.g. a page)."""
        values = {
            "status": self.status,
            "kind": self.kind,
            "category": self.category,
            "mine": "1" if self.mine else "",
            "overdue": "1" if self.overdue else "",
            "q": self.query,
        } | changes
        return {key: value for key, value in values.items() if value not in ("", None)}

    @property
    def active(self) -> bool:
        return self != Filters()


@dataclass(frozen=True)
class Row:
    case: Case
    #: The next deadline of an open case; None for a closed one.
    due: Due | None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.overdue


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    #: Cases the filters select, and how many of them are overdue.
    total: int
    overdue: int
    number: int
    pages: int


def conditions(
    body_id: int, filters: Filters, staff_id: int, today: date
) -> list[ColumnElement[bool]]:
    """What the filters ask of a body's case, in SQL (``staff_id``: who "mine" is)."""
    is_open = Case.status.not_in(CLOSED_STATUSES)
    found: list[ColumnElement[bool]] = [Case.body_id == body_id]
    if filters.status == "open":
        found.append(is_open)
    elif filters.status == "closed":
        found.append(~is_open)
    elif filters.status != "all":
        found.append(Case.status == filters.status)
    if filters.overdue:
        found += [is_open, next_deadline_sql() < today]
    if filters.kind:
        found.append(Case.kind == filters.kind)
    if filters.category == "申请":
        found.append(Case.kind == APPLICATION)
    elif filters.category:
        found.append(Case.category == filters.category)
    if filters.mine:
        mine = select(CaseAssignment.case_id).where(CaseAssignment.staff_id == staff_id)
        found.append(Case.id.in_(mine))
    if filters.query:
        found.append(_search(filters.query))
    return found


def _search(query: str) -> ColumnElement[bool]:
    number = read_number(query)
    if number is not None:
        return Case.number == number
    return or_(
        func.lower(Case.text).contains(query.lower(), autoescape=True),
        Case.number.contains(query.upper(), autoescape=True),
    )


def page(
    session: Session,
    body_id: int,
    filters: Filters,
    staff_id: int,
    today: date,
    number: int,
    size: int = PAGE_SIZE,
) -> Page:
    """Page ``number`` (from 1; past the last, the last) of the body's cases the filters
    select."""
    where = conditions(body_id, filters, staff_id, today)
    is_open = Case.status.not_in(CLOSED_STATUSES)
    late = when((and_(is_open, next_deadline_sql() < today), 1))
    total, overdue = session.execute(
        select(func.count(), func.count(late)).select_from(Case).where(*where)
    ).one()
    pages = max(-(-total // size), 1)
    number = min(max(number, 1), pages)
    cases = session.scalars(
        select(Case)
        .options(selectinload(Case.pauses), selectinload(Case.assignment))
        .where(*where)
        .order_by(
            when((is_open, 0), else_=1),
            when((is_open, next_deadline_sql())),
            when((is_open, Case.number)),
            Case.closed_at.desc().nulls_last(),
            Case.id.desc(),
        )
        .limit(size)
        .offset((number - 1) * size)
    ).all()
    return Page(_rows(session, list(cases), today), total, overdue, number, pages)


def _rows(session: Session, cases: list[Case], today: date) -> list[Row]:
    """The page's rows, with each open case's next deadline and the days left to it."""
    days = [next_deadline(case)[1] for case in cases if case.is_open]
    if not days:
        return [Row(case, None) for case in cases]
    calendar = work_calendar(session, min([*days, today]), until=max([*days, today]))
    return [Row(case, due_of(case, today, calendar) if case.is_open else None) for case in cases]
