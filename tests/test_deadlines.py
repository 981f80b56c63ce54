"""Statutory deadlines against the official schedules (via chinese-calendar, counted independently)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar
import pytest

from bot.cases.calendar import (
    ScheduleError,
    parse_schedule,
    schedule_json,
    shipped_schedules,
    template,
)
from bot.cases.deadlines import (
    WorkCalendar,
    add_calendar_days,
    add_working_days,
    application_due,
    complaint_accept_due,
    complaint_conclude_due,
)

SCHEDULES = list(shipped_schedules())
CALENDAR = WorkCalendar(
    years=frozenset(s.year for s in SCHEDULES),
    days_off=frozenset(d for s in SCHEDULES for d in s.days_off),
    working_weekends=frozenset(d for s in SCHEDULES for d in s.working_days),
)
LAST_KNOWN = date(2026, 12, 31)


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def independent_due(received: date, working_days: int) -> tuple[date, bool]:
    """Count with chinese-calendar's own list of working days; Monday to Friday past its data."""
    known = []
    if received < LAST_KNOWN:
        window = min(received + timedelta(days=90), LAST_KNOWN)
        known = chinese_calendar.get_workdays(received + timedelta(days=1), window)
    if len(known) >= working_days:
        return known[working_days - 1], False
    beyond = [d for d in days_of(2027) if d.weekday() < 5]
    return beyond[working_days - len(known) - 1], True


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 26), date(2026, 2, 28)),  # a Saturday that is a working day
        (date(2026, 4, 24), date(2026, 5, 26)),
        (date(2026, 9, 15), date(2026, 10, 19)),
    ],
)
def test_the_worked_examples_of_docs_law_md(received, due):
    result = application_due(received, CALENDAR)
    assert (result.due, result.provisional) == (due, False)


def test_a_monday_to_friday_count_would_have_been_wrong():
    assert add_working_days(date(2026, 1, 26), 20, WorkCalendar(years=frozenset({2026}))).due == (
        date(2026, 2, 23)
    )


def test_the_extension_doubles_the_period():
    assert application_due(date(2026, 1, 26), CALENDAR, extension_days=20).due == date(2026, 3, 27)


def test_the_2007_rules_give_15_working_days():
    assert application_due(date(2017, 9, 15), CALENDAR).due == date(2017, 10, 12)


def test_the_2019_regulation_applies_from_15_may_2019():
    before, after = date(2019, 5, 14), date(2019, 5, 15)
    assert application_due(before, CALENDAR) == add_working_days(before, 15, CALENDAR)
    assert application_due(after, CALENDAR) == add_working_days(after, 20, CALENDAR)


@pytest.mark.parametrize("received", days_of(2017), ids=str)
def test_every_receipt_day_of_2017_under_the_2007_rules(received):
    due = application_due(received, CALENDAR)
    assert (due.due, due.provisional) == independent_due(received, 15)
    assert chinese_calendar.is_workday(due.due)


@pytest.mark.parametrize("received", days_of(2026), ids=str)
def test_every_receipt_day_of_2026(received):
    due = application_due(received, CALENDAR)
    assert (due.due, due.provisional) == independent_due(received, 20)


def test_a_december_2026_receipt_has_a_provisional_2027_date():
    due = application_due(date(2026, 12, 15), CALENDAR)
    assert due.due.year == 2027 and due.provisional
    assert not application_due(date(2026, 11, 2), CALENDAR).provisional


def test_loading_2027_makes_the_date_final():
    schedule_2027 = parse_schedule(
        json.dumps(
            {
                "year": 2027,
                "source": "test",
                "days_off": {"2027-01-01..2027-01-03": "元旦"},
                "working_days": {},
            }
        )
    )
    with_2027 = WorkCalendar(
        years=CALENDAR.years | {2027},
        days_off=CALENDAR.days_off | set(schedule_2027.days_off),
        working_weekends=CALENDAR.working_weekends,
    )
    provisional = application_due(date(2026, 12, 15), CALENDAR)
    final = application_due(date(2026, 12, 15), with_2027)
    assert not final.provisional
    assert final.due == provisional.due + timedelta(days=1), "1 January is no working day"


def test_complaint_periods_are_calendar_days_moved_past_holidays():
    moved = complaint_accept_due(date(2026, 9, 16), CALENDAR)
    assert moved.due == date(2026, 10, 8), "15 days end on 1 October, a holiday"
    assert add_calendar_days(date(2026, 9, 25), 15, CALENDAR).due == date(2026, 10, 10), (
        "a Saturday made a working day ends the period"
    )
    assert add_calendar_days(date(2026, 3, 7), 15, CALENDAR).due == date(2026, 3, 23), (
        "a plain Sunday moves to Monday"
    )
    assert complaint_conclude_due(date(2026, 9, 16), CALENDAR).due == date(2026, 11, 16)


def test_a_complaint_concludes_60_days_after_acceptance_not_receipt():
    received, accepted = date(2026, 3, 2), date(2026, 3, 16)  # accepted on day 14
    assert complaint_accept_due(received, CALENDAR).due == date(2026, 3, 17)
    assert complaint_conclude_due(accepted, CALENDAR).due == date(2026, 5, 15)
    assert complaint_conclude_due(accepted, CALENDAR, 30).due == date(2026, 6, 15), (
        "90 days end on Sunday 14 June: moved to Monday"
    )


def test_a_december_complaint_concludes_on_a_provisional_date():
    accept = complaint_accept_due(date(2026, 12, 10), CALENDAR)
    assert accept == add_calendar_days(date(2026, 12, 10), 15, CALENDAR)
    assert not accept.provisional
    conclude = complaint_conclude_due(accept.due, CALENDAR)
    assert conclude.due.year == 2027 and conclude.provisional


def test_an_unknown_year_is_provisional_not_an_error():
    due = add_working_days(date(2003, 12, 20), 20, CALENDAR)
    assert due.provisional
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), 0, CALENDAR)


# ---- the schedule files ----


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: str(s.year))
def test_the_shipped_schedules_match_chinese_calendar(schedule):
    for day in days_of(schedule.year):
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day


def test_the_shipped_years_are_2004_to_2026():
    assert [s.year for s in SCHEDULES] == list(range(2004, 2027))


def test_a_schedule_round_trips_with_ranges():
    schedule = template(2026)
    text = schedule_json(schedule)
    assert '"2026-02-15..2026-02-23": "春节"' in text
    assert parse_schedule(text, 2026) == schedule


def test_template_of_a_year_chinese_calendar_lacks_is_empty():
    assert template(2027).days_off == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not JSON"),
        ('{"year": 2026, "source": "x", "days_off": {"2026-01-01": "元旦"}}', "not 2027"),
        ('{"year": 2027, "days_off": {"2027-01-01": "元旦"}}', "source"),
        ('{"year": 2027, "source": "x", "days_off": {}}', "empty"),
        ('{"year": 2027, "source": "x", "days_off": {"2027-13-01": "元旦"}}', "not a date"),
        ('{"year": 2027, "source": "x", "days_off": {"2028-01-01": "元旦"}}', "outside 2027"),
        (
            '{"year": 2027, "source": "x", "days_off": {"2027-01-05..2027-01-01": "元旦"}}',
            "forward",
        ),
        ('{"year": 2027, "source": "x", "days_off": {"2027-01-01": ""}}', "name"),
        (
            '{"year": 2027, "source": "x", "days_off": {"2027-01-01": "元旦"},'
            ' "working_days": {"2027-01-04": "元旦"}}',
            "weekday",
        ),
        (
            '{"year": 2027, "source": "x", "days_off": {"2027-01-02": "元旦"},'
            ' "working_days": {"2027-01-02": "元旦"}}',
            "both",
        ),
    ],
)
def test_bad_schedule_files_are_refused_with_a_reason(content, problem):
    with pytest.raises(ScheduleError, match=problem):
        parse_schedule(content, 2027)
