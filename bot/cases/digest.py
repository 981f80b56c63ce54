"""Cases that need attention: overdue first, then due soonest — for the digest, dashboard, metrics.

A complaint is due first to be told whether it is accepted (15 days), then to be
concluded (60 days), both counted in calendar days (自然日); an application has one
deadline, in working days (工作日) counted with the loaded calendar. Each ``Due`` says
which (``unit``). A deadline in a year without a schedule stays marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, selectinload

from bot.cases.calendar import work_calendar
from bot.cases.deadlines import CALENDAR_DAYS, WORKING_DAYS, WorkCalendar
from bot.models.cases import (
    AWAITING_CORRECTION,
    CLOSED_STATUSES,
    COMPLAINT,
    RECEIVED,
    Case,
    CasePause,
)

#: A complaint's steps are counted in calendar days (《信访工作条例》); every other in working days.
CALENDAR_DAY_STEPS = frozenset({"accept", "conclude"})


def counts_calendar_days(case: Case, step: str) -> bool:
    """Whether ``step`` of ``case`` is counted in calendar days (自然日), not working days."""
    return case.kind == COMPLAINT and step in CALENDAR_DAY_STEPS


@dataclass(frozen=True)
class Due:
    case: Case
    #: What falls due: "accept" (tell whether a complaint is accepted), "conclude",
    #: "correction" (the applicant's period to correct an application ends), "consultation"
    #: (a consulted party's 15 working days end) or "fee" (the 20 days to pay end).
    step: str
    due_on: date
    provisional: bool
    #: Days from today to the deadline, counted as the period is (``unit``); negative when it
    #: has passed.
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def unit(self) -> str:
        """自然日 or 工作日: how this period, and ``days_left``, are counted."""
        return CALENDAR_DAYS if counts_calendar_days(self.case, self.step) else WORKING_DAYS


def due_of(case: Case, today: date, calendar: WorkCalendar) -> Due:
    """``case``'s next deadline and the days left to it, as its period counts them."""
    step, due_on, provisional = next_deadline(case)
    if counts_calendar_days(case, step):
        left = (due_on - today).days
    else:
        left = working_days_between(today, due_on, calendar)
    return Due(case, step, due_on, provisional, left)


def next_deadline(case: Case) -> tuple[str, date, bool]:
    """The deadline the case is working towards now (``next_deadline_sql`` is its date in SQL)."""
    if case.status == AWAITING_CORRECTION and case.correction_due_on is not None:
        # The reply period is suspended; what falls due is the applicant's correction.
        return "correction", case.correction_due_on, False
    running = [p for p in case.pauses if p.ended_on is None]
    if running:
        # The reply period is paused; what falls due is the answer or the payment.
        pause = min(running, key=lambda p: p.due_on)
        return pause.kind, pause.due_on, False
    if case.awaiting_acceptance and case.accept_due_on is not None:
        return "accept", case.accept_due_on, case.accept_due_provisional
    return "conclude", case.due_on, case.due_provisional


def next_deadline_sql() -> ColumnElement[date]:
    """``next_deadline``'s date in SQL, for ordering and counting in the database.

    The same choice from the same columns: the stored deadlines already count pauses,
    corrections and extensions (``bot.cases.intake.set_deadlines``), so the database
    orders by urgency exactly as ``next_deadline`` would.
    """
    running_pause_due = (
        select(func.min(CasePause.due_on))
        .where(CasePause.case_id == Case.id, CasePause.ended_on.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )
    awaiting_acceptance = and_(
        Case.kind == COMPLAINT, Case.status == RECEIVED, Case.accept_due_on.is_not(None)
    )
    return when(
        (
            and_(Case.status == AWAITING_CORRECTION, Case.correction_due_on.is_not(None)),
            Case.correction_due_on,
        ),
        else_=func.coalesce(
            running_pause_due, when((awaiting_acceptance, Case.accept_due_on), else_=Case.due_on)
        ),
    )


def working_days_between(today: date, deadline: date, calendar: WorkCalendar) -> int:
    """Working days after ``today`` up to ``deadline``; negative (at least -1) once it passed."""
    first, last = sorted((today, deadline))
    count = sum(
        calendar.is_working_day(first + timedelta(days=n))
        for n in range(1, (last - first).days + 1)
    )
    return count if deadline >= today else -max(count, 1)


def open_cases_by_urgency(session: Session, today: date) -> list[Due]:
    """Every open case with its next deadline: overdue first, then the soonest due."""
    cases = session.scalars(
        select(Case).options(selectinload(Case.pauses)).where(Case.status.not_in(CLOSED_STATUSES))
    ).all()
    deadlines = [next_deadline(c)[1] for c in cases] + [today]
    calendar = work_calendar(session, min(deadlines), until=max(deadlines))
    found = [due_of(case, today, calendar) for case in cases]
    return sorted(found, key=lambda d: (d.due_on, d.case.number))


def overdue_count(session: Session, today: date) -> int:
    """Open cases whose next deadline has passed, counted in the database."""
    late = and_(Case.status.not_in(CLOSED_STATUSES), next_deadline_sql() < today)
    return session.scalar(select(func.count()).select_from(Case).where(late)) or 0
