"""Statutory deadlines as plain date arithmetic (no Flask, no database, no Redis).

The rules (docs/law.md, "An application's period" and "Complaint clock"):
- the day of receipt is not counted (民法典 Art. 201);
- working days skip weekends and public holidays and count the weekend days the
  State Council declares working days (调休);
- a period ending on a holiday ends on the next working day (民法典 Art. 203);
- an application's period does not count the time of consulting a third party or
  another body (Art. 32–34: up to 15 working days each) nor of a fee notice until
  payment (国办函〔2020〕109号: up to 20 working days): ``paused_days``;
- applications: 20 working days under the 2019 Regulation (Art. 33), 15 under the
  2007 text; complaints, reports and suggestions (信访工作条例): decide on acceptance
  within 15 days of receipt, conclude within 60 days of acceptance (not of
  receipt), calendar days.

A day in a year whose official schedule is not loaded is counted Monday to
Friday less the days off fixed by law (``bot.cases.calendar.statutory_days_off``:
2027-01-01 is never a working day), and every deadline that depended on such a
day is marked provisional: never a silent guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: The revised Regulation (Decree 711) applies to applications received from this day.
REGULATION_2019 = date(2019, 5, 15)
APPLICATION_DAYS = 20
APPLICATION_DAYS_2007 = 15
COMPLAINT_ACCEPT_DAYS = 15
COMPLAINT_CONCLUDE_DAYS = 60
#: Art. 32: a third party answers within 15 working days; a fee is paid within 20 (109号).
CONSULTATION_DAYS = 15
FEE_PAYMENT_DAYS = 20

_DAY = timedelta(days=1)

#: How a period is counted, as every deadline shown says: an application's (and its
#: correction, consultation and fee periods) in working days, a complaint's in calendar days.
WORKING_DAYS = "工作日"
CALENDAR_DAYS = "自然日"


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, from the official schedules of ``years``."""

    years: frozenset[int] = frozenset()
    #: Holidays, including the weekend days inside a holiday period.
    days_off: frozenset[date] = frozenset()
    #: Weekend days declared working days (调休).
    working_weekends: frozenset[date] = frozenset()

    def knows(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off


@dataclass(frozen=True)
class Deadline:
    due: date
    #: The period touched a year without an official schedule: counted there Monday to Friday
    #: less the statutory holidays, without the State Council's swaps (调休).
    provisional: bool = False


def add_working_days(
    start: date, days: int, calendar: WorkCalendar, not_counted: frozenset[date] = frozenset()
) -> Deadline:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted), skipping
    the working days in ``not_counted`` (a paused clock)."""
    if days < 1:
        raise ValueError("a period has at least one day")
    day, counted, provisional = start, 0, False
    while counted < days:
        day += _DAY
        provisional = provisional or not calendar.knows(day)
        if calendar.is_working_day(day) and day not in not_counted:
            counted += 1
    return Deadline(day, provisional)


@dataclass(frozen=True)
class Pause:
    """A consultation or a fee notice that went out on ``started`` and ended on ``ended``."""

    started: date
    ended: date
    #: At most this many working days are not counted (15 for a consultation, 20 for a fee).
    limit: int


def paused_days(pauses: list[Pause], calendar: WorkCalendar) -> frozenset[date]:
    """The working days an application's period does not count.

    Those after the day the letter or notice went out and before the day the answer
    or payment arrived: both of those days still count, the reading that favours the
    applicant. At most ``limit`` of them per pause; overlapping pauses count a day once.
    """
    days: set[date] = set()
    for pause in pauses:
        day, taken = pause.started, 0
        while taken < pause.limit:
            day += _DAY
            if day >= pause.ended:
                break
            if calendar.is_working_day(day):
                days.add(day)
                taken += 1
    return frozenset(days)


def add_calendar_days(start: date, days: int, calendar: WorkCalendar) -> Deadline:
    """``days`` calendar days after ``start``, moved past a holiday it ends on (Art. 203)."""
    if days < 1:
        raise ValueError("a period has at least one day")
    day = start + timedelta(days=days)
    provisional = not calendar.knows(day)
    while not calendar.is_working_day(day):
        day += _DAY
        provisional = provisional or not calendar.knows(day)
    return Deadline(day, provisional)


def application_days(received: date) -> int:
    """Working days to reply: 20 under the 2019 Regulation, 15 under the 2007 text."""
    return APPLICATION_DAYS if received >= REGULATION_2019 else APPLICATION_DAYS_2007


def application_due(
    received: date,
    calendar: WorkCalendar,
    extension_days: int = 0,
    *,
    counted_from: date | None = None,
    not_counted: frozenset[date] = frozenset(),
) -> Deadline:
    """When an application received on ``received`` must be answered (Art. 33): counted from
    the day of receipt, or from ``counted_from`` (the day a corrected application arrived,
    Art. 30), skipping the paused working days ``not_counted``."""
    days = application_days(received) + extension_days
    return add_working_days(counted_from or received, days, calendar, not_counted)


def complaint_accept_due(received: date, calendar: WorkCalendar) -> Deadline:
    """When the complainant must be told whether the complaint is accepted: 15 days."""
    return add_calendar_days(received, COMPLAINT_ACCEPT_DAYS, calendar)


def complaint_conclude_due(
    accepted: date, calendar: WorkCalendar, extension_days: int = 0
) -> Deadline:
    """When an accepted complaint must be concluded: 60 days from acceptance (+ an extension)."""
    return add_calendar_days(accepted, COMPLAINT_CONCLUDE_DAYS + extension_days, calendar)
