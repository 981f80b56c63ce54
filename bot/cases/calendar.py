"""The working-day calendar the project owns: the official holiday schedules, one file per year.

Each year's schedule (国务院办公厅关于某年部分节假日安排的通知) is a JSON file::

    {"year": 2026,
     "source": "国务院办公厅关于2026年部分节假日安排的通知",
     "days_off": {"2026-01-01..2026-01-03": "元旦", "2026-02-15..2026-02-23": "春节"},
     "working_days": {"2026-01-04": "元旦", "2026-02-14": "春节", "2026-02-28": "春节"}}

``days_off`` are the holidays (``A..B`` is every day from A to B, weekends inside
included); ``working_days`` the weekend days made working days (调休). The files
for 2004–2026 in ``bot/data/calendar/`` were written from ``chinese-calendar``
1.11.0 with ``sunshine calendar template YEAR``; ``sunshine seed`` loads them into
the database, which every host reads. The State Council publishes the next year
in November: ``sunshine calendar add YEAR FILE`` loads it and recomputes the
deadlines of open cases that were provisional.

Until then a year without a schedule still has the days off that 《全国年节及纪念日放假办法》
(2024 revision) fixes by law: ``statutory_days_off``, from ``bot/data/statutory-holidays.json``
(the lunar and solar-term dates written out per year). A count through such a year skips them
and stays provisional: only the State Council's swaps (调休) and make-up days are unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import chinese_calendar
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bot import clock
from bot.cases.deadlines import WorkCalendar
from bot.models.cases import CalendarDay, CalendarYear

DATA_FOLDER = ("bot.data", "calendar")
STATUTORY_FILE = "statutory-holidays.json"
#: From this day of the year on, the console and the digest warn while next year is not loaded.
NEXT_YEAR_WARNING_FROM = (11, 1)
#: How far ahead a deadline computation may look: 40 working days fit well inside.
HORIZON = timedelta(days=400)


class ScheduleError(ValueError):
    """A schedule file that cannot be loaded; the message says what to fix."""


@dataclass(frozen=True)
class Schedule:
    year: int
    source: str
    days_off: dict[date, str]
    working_days: dict[date, str]


def _days(key: str, year: int) -> list[date]:
    first, _, last = key.partition("..")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ScheduleError(
            f"{key!r} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"
        ) from None
    if not start <= end <= start + timedelta(days=31):
        raise ScheduleError(f"{key!r}: a range runs forward and spans at most a month")
    # A schedule may declare a make-up working day at the end of the year before it (2012 did).
    if not (date(year - 1, 12, 1) <= start and end <= date(year, 12, 31)):
        raise ScheduleError(f"{key!r} is outside {year}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _section(data: dict[str, Any], name: str, year: int) -> dict[date, str]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ScheduleError(f'"{name}" must be an object of "date or range": "holiday name"')
    days: dict[date, str] = {}
    for key, label in section.items():
        if not isinstance(label, str) or not 0 < len(label.strip()) <= 100:
            raise ScheduleError(f'"{name}" → {key!r}: give the holiday\'s name (e.g. "春节")')
        for day in _days(key, year):
            days[day] = label.strip()
    return days


def parse_schedule(raw: str, year: int | None = None) -> Schedule:
    """Read and check a schedule file; ``year`` is the year it must be for."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ScheduleError(f"not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("year"), int):
        raise ScheduleError('the file must be a JSON object with "year": YYYY')
    if year is not None and data["year"] != year:
        raise ScheduleError(f"the file is for {data['year']}, not {year}")
    year = data["year"]
    source = data.get("source")
    if not isinstance(source, str) or not 0 < len(source.strip()) <= 300:
        raise ScheduleError(
            '"source" must name the State Council notice the days come from (300 characters at most)'
        )
    days_off = _section(data, "days_off", year)
    working_days = _section(data, "working_days", year)
    if not days_off:
        raise ScheduleError('"days_off" is empty: every year has public holidays')
    weekdays = sorted(d for d in working_days if d.weekday() < 5)
    if weekdays:
        raise ScheduleError(
            f"working_days must be Saturdays or Sundays (调休); {weekdays[0]} is a weekday"
        )
    both = sorted(days_off.keys() & working_days.keys())
    if both:
        raise ScheduleError(f"{both[0]} is both a day off and a working day")
    return Schedule(year, source.strip(), days_off, working_days)


def _ranges(days: dict[date, str]) -> dict[str, str]:
    """Consecutive days of the same holiday as one ``A..B`` key."""
    runs: list[tuple[date, date, str]] = []
    for day, name in sorted(days.items()):
        if runs and runs[-1][2] == name and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day, name)
        else:
            runs.append((day, day, name))
    return {
        (f"{first}..{last}" if first != last else f"{first}"): name for first, last, name in runs
    }


def schedule_json(schedule: Schedule) -> str:
    return json.dumps(
        {
            "year": schedule.year,
            "source": schedule.source,
            "days_off": _ranges(schedule.days_off),
            "working_days": _ranges(schedule.working_days),
        },
        ensure_ascii=False,
        indent=2,
    )


def template(year: int) -> Schedule:
    """The schedule ``chinese-calendar`` knows for ``year``, or an empty one to fill in."""
    source = f"国务院办公厅关于{year}年部分节假日安排的通知"
    covered = {day.year for day in chinese_calendar.holidays}
    if year not in covered:
        return Schedule(year, source, {}, {})

    def chinese(table: dict[date, str]) -> dict[date, str]:
        return {
            day: chinese_calendar.Holiday(name).chinese
            for day, name in table.items()
            if day.year == year
        }

    package = f"chinese-calendar {chinese_calendar.__version__}"
    return Schedule(
        year,
        f"{source}（{package}）",
        chinese(chinese_calendar.holidays),
        chinese(chinese_calendar.workdays),
    )


def shipped_schedules() -> Iterator[Schedule]:
    """The schedules in ``bot/data/calendar/``, oldest first."""
    files = sorted(
        (
            f
            for f in resources.files(DATA_FOLDER[0]).joinpath(DATA_FOLDER[1]).iterdir()
            if f.name.endswith(".json")
        ),
        key=lambda f: f.name,
    )
    for file in files:
        yield parse_schedule(file.read_text(encoding="utf-8"), int(file.name.removesuffix(".json")))


def loaded_years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))


def store_schedule(session: Session, schedule: Schedule) -> None:
    """Put ``schedule`` in the database in place of any earlier version (not committed)."""
    days = {d: (False, n) for d, n in schedule.days_off.items()}
    days |= {d: (True, n) for d, n in schedule.working_days.items()}
    session.execute(delete(CalendarDay).where(CalendarDay.year == schedule.year))
    session.execute(delete(CalendarDay).where(CalendarDay.day.in_(list(days))))
    session.execute(delete(CalendarYear).where(CalendarYear.year == schedule.year))
    session.add(CalendarYear(year=schedule.year, source=schedule.source, loaded_at=clock.now()))
    session.flush()
    session.execute(
        insert(CalendarDay),
        [
            {"day": day, "year": schedule.year, "working": working, "name": name}
            for day, (working, name) in sorted(days.items())
        ],
    )


def seed_calendar(session: Session) -> int:
    """Load the shipped schedules of years not in the database yet; return how many."""
    known = {row.year for row in loaded_years(session)}
    added = 0
    for schedule in shipped_schedules():
        if schedule.year not in known:
            store_schedule(session, schedule)
            added += 1
    session.commit()
    return added


@cache
def _statutory_data() -> dict[str, Any]:
    raw = resources.files(DATA_FOLDER[0]).joinpath(STATUTORY_FILE).read_text(encoding="utf-8")
    return json.loads(raw)


def statutory_days_off(year: int) -> dict[date, str]:
    """The public holidays fixed by law for ``year`` (2024 办法, Art. 2), without the swaps.

    元旦 1 January; 春节 除夕 to 正月初三; 清明节; 劳动节 1–2 May; 端午节; 中秋节; 国庆节 1–3 October.
    The lunar and solar-term dates come from the shipped table; a year past it gets the
    fixed-date holidays only (fewer days off: an earlier, never a later, provisional date).
    """
    data = _statutory_data()
    days = {
        date(year, *map(int, month_day.split("-"))): name
        for name, month_days in data["fixed"].items()
        for month_day in month_days
    }
    moving = data["years"].get(str(year))
    if moving:
        eve = date.fromisoformat(moving["除夕"])
        days |= {eve + timedelta(days=n): "春节" for n in range(4)}
        days |= {date.fromisoformat(moving[name]): name for name in ("清明节", "端午节", "中秋节")}
    return days


def missing_next_year(session: Session, today: date) -> int | None:
    """Next year, from 1 November on while its schedule is not loaded; else None."""
    if (today.month, today.day) < NEXT_YEAR_WARNING_FROM:
        return None
    year = today.year + 1
    return None if session.get(CalendarYear, year) is not None else year


def work_calendar(session: Session, start: date, until: date | None = None) -> WorkCalendar:
    """The calendar after ``start``, up to ``until`` or as far as a statutory period reaches.

    Years without a schedule get the days off fixed by law; deadlines through them stay
    provisional (``WorkCalendar.knows``).
    """
    years = frozenset(session.scalars(select(CalendarYear.year)))
    last = max(until or start, start + HORIZON)
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.working).where(
            CalendarDay.day > start, CalendarDay.day <= last
        )
    ).all()
    statutory = {
        day
        for year in range(start.year, last.year + 1)
        if year not in years
        for day in statutory_days_off(year)
        if start < day <= last
    }
    return WorkCalendar(
        years=years,
        days_off=frozenset(day for day, working in rows if not working) | statutory,
        working_weekends=frozenset(day for day, working in rows if working),
    )
