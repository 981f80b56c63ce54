"""Supervision: the dashboard (``/admin/dashboard``) and the printable daily digest (``/admin/digest``).

The dashboard counts open, overdue and due-this-week cases, what waits for
someone (corrections, extension approvals, call-backs, replies not yet
delivered) and draws received/closed per month for twelve months as an SVG made
on the server: the console runs no inline script (its CSP forbids it) and
needs nothing from elsewhere. The digest is ``sunshine digest`` as a page,
from the same ``bot.cases.digest.open_cases_by_urgency``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.console import bp, staff_body
from bot.cases import replies
from bot.cases.calendar import missing_next_year
from bot.cases.digest import (
    DIGEST_DAYS,
    KIND_LABELS,
    STEP_LABELS,
    digest_for,
    open_cases_by_urgency,
)
from bot.db import get_session
from bot.models.cases import (
    AWAITING_CORRECTION,
    POOR_RATINGS,
    Case,
    CaseExtension,
    CaseRating,
    CaseReply,
)

MONTHS = 12


@dataclass(frozen=True)
class Month:
    first: date
    received: int
    closed: int

    @property
    def label(self) -> str:
        return f"{self.first.month}月" if self.first.month != 1 else f"{self.first.year}年1月"


def month_starts(on: date, count: int = MONTHS) -> list[date]:
    """The first days of the ``count`` months ending with ``on``'s month, oldest first."""
    starts = []
    year, month = on.year, on.month
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def monthly_trend(session: Session, body_id: int, on: date) -> list[Month]:
    """A body's cases received and closed in each of the last twelve months (Beijing dates)."""
    starts = month_starts(on)
    since = starts[0]
    body_cases = select(Case.received_on).where(Case.body_id == body_id)
    received = session.scalars(body_cases.where(Case.received_on >= since)).all()
    closed = session.scalars(
        select(Case.closed_on).where(Case.body_id == body_id, Case.closed_on >= since)
    ).all()

    def per_month(days: list[date]) -> dict[date, int]:
        counted: dict[date, int] = {}
        for day in days:
            key = day.replace(day=1)
            counted[key] = counted.get(key, 0) + 1
        return counted

    got, done = per_month(list(received)), per_month([day for day in closed if day is not None])
    return [Month(first, got.get(first, 0), done.get(first, 0)) for first in starts]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    kind: str


@dataclass(frozen=True)
class Chart:
    """A grouped bar chart in SVG user units; the template draws it."""

    width: int
    height: int
    baseline: float
    bar_width: float
    bars: list[Bar]
    #: (x of the month's centre, label)
    labels: list[tuple[float, str]]
    #: (y, value) of the horizontal grid lines.
    ticks: list[tuple[float, int]]


def trend_chart(months: list[Month], width: int = 760, height: int = 260) -> Chart:
    left, top, bottom = 40.0, 16.0, 36.0
    plot = height - top - bottom
    peak = max([m.received for m in months] + [m.closed for m in months] + [1])
    step = max(1, -(-peak // 4))
    top_value = step * 4
    slot = (width - left - 8) / len(months)
    bar = slot * 0.32
    bars, labels = [], []
    for index, month in enumerate(months):
        start = left + index * slot + slot * 0.16
        for offset, (kind, value) in enumerate(
            (("received", month.received), ("closed", month.closed))
        ):
            size = plot * value / top_value
            bars.append(Bar(start + offset * bar, top + plot - size, size, value, kind))
        labels.append((left + index * slot + slot / 2, month.label))
    ticks = [(top + plot - plot * n / 4, step * n) for n in range(5)]
    return Chart(width, height, top + plot, bar, bars, labels, ticks)


@dataclass(frozen=True)
class Waiting:
    """Work that waits for someone, with where to find it."""

    corrections: int
    extensions: int
    callbacks: int
    undelivered: int
    failed: int


def waiting_work(session: Session, body_id: int) -> Waiting:
    def count(query: Select[int]) -> int:
        return session.scalar(query.where(Case.body_id == body_id)) or 0

    def of_cases(table: type[CaseExtension | CaseRating | CaseReply]) -> Select[int]:
        return select(func.count()).select_from(table).join(Case, Case.id == table.case_id)

    return Waiting(
        corrections=count(
            select(func.count()).select_from(Case).where(Case.status == AWAITING_CORRECTION)
        ),
        extensions=count(of_cases(CaseExtension).where(CaseExtension.approved.is_(None))),
        callbacks=count(
            of_cases(CaseRating).where(
                CaseRating.rating.in_(POOR_RATINGS), CaseRating.called_back_at.is_(None)
            )
        ),
        undelivered=count(of_cases(CaseReply).where(CaseReply.delivery == replies.WAITING)),
        failed=count(of_cases(CaseReply).where(CaseReply.delivery == replies.RETRY)),
    )


def end_of_week(on: date) -> date:
    return on + timedelta(days=6 - on.weekday())


@bp.get("/dashboard")
@permission_required("cases.view")
def dashboard() -> ResponseReturnValue:
    session = get_session()
    on = clock.today()
    body_id = staff_body().id
    dues = open_cases_by_urgency(session, body_id, on)
    overdue = [d for d in dues if d.overdue]
    week = [d for d in dues if not d.overdue and d.due_on <= end_of_week(on)]
    months = monthly_trend(session, body_id, on)
    return render_template(
        "admin/cases/dashboard.html",
        today=on,
        open_count=len(dues),
        overdue=overdue,
        this_week=week,
        waiting=waiting_work(session, body_id),
        months=months,
        chart=trend_chart(months),
        kind_labels=KIND_LABELS,
        step_labels=STEP_LABELS,
        missing_year=missing_next_year(session, on),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@bp.get("/digest")
@permission_required("cases.view")
def digest_page() -> ResponseReturnValue:
    on = _date(request.args.get("date", "")) or clock.today()
    days = min(max(request.args.get("days", DIGEST_DAYS, type=int) or DIGEST_DAYS, 1), 60)
    return render_template(
        "admin/cases/digest.html",
        digest=digest_for(get_session(), staff_body(), on, days),
        kind_labels=KIND_LABELS,
        step_labels=STEP_LABELS,
    )
