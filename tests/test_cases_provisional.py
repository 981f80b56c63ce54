"""Provisional dates: a year without the State Council's schedule still has the holidays fixed by law.

Deadlines that reach such a year skip 《全国年节及纪念日放假办法》's days off and are marked
暂定 for resident and staff; from 1 November the console and the digest warn until next
year's schedule is loaded.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot import clock
from bot.cases.calendar import shipped_schedules, statutory_days_off
from tests.support import SCHEDULE_2027, cli, file_application, logged_in


def test_the_statutory_holidays_of_2027():
    days = statutory_days_off(2027)
    assert days[date(2027, 1, 1)] == "元旦"
    assert [d for d, name in days.items() if name == "春节"] == [
        date(2027, 2, 5),  # 除夕
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 5, 1)] == days[date(2027, 5, 2)] == "劳动节"
    assert days[date(2027, 6, 9)] == "端午节"
    assert days[date(2027, 9, 15)] == "中秋节"
    assert {d for d, name in days.items() if name == "国庆节"} == {
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    }
    assert len(days) == 13


@pytest.mark.parametrize("schedule", [s for s in shipped_schedules() if s.year >= 2025])
def test_every_statutory_day_is_a_day_off_in_the_official_schedules(schedule):
    """The shipped lunar and solar-term dates agree with the State Council's own notices."""
    assert set(statutory_days_off(schedule.year)) <= set(schedule.days_off)


def test_a_year_past_the_table_keeps_the_fixed_date_holidays():
    days = statutory_days_off(2099)
    assert date(2099, 1, 1) in days and date(2099, 10, 3) in days and len(days) == 6


def test_a_receipt_on_4_december_is_due_on_4_january_provisionally(app, resident, monkeypatch):
    friday = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: friday)
    number = file_application(resident)
    shown = resident.says(f"进度 {number}")
    assert "2027年1月4日" in shown and "（暂定）" in shown, "1 January 2027 is never a working day"
    assert "尚未公布节假日安排" in shown

    monkeypatch.setattr(clock, "now", lambda: friday)
    console = logged_in(app, "wang", "clerk")
    page = console.page(f"/admin/cases/{number}")
    assert "2027-01-04" in page and "暂定" in page
    assert "2027-01-04" in console.page("/admin/cases")


@pytest.mark.parametrize("path", ["/admin/dashboard", "/admin/cases", "/admin/digest"])
def test_from_1_november_the_console_asks_for_next_years_schedule(app, monkeypatch, path):
    console = logged_in(app, "wang", "clerk")
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 10, 31, 4, tzinfo=UTC))
    assert "尚未导入2027年的节假日安排" not in console.page(path)

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 1, 4, tzinfo=UTC))
    page = console.page(path)
    assert "尚未导入2027年的节假日安排" in page
    assert "sunshine calendar add 2027 2027.json" in page


def test_the_digest_command_warns_until_the_schedule_is_loaded(app, tmp_path):
    before = cli(app, "digest", "--date", "2026-10-31")
    assert before.exit_code == 0 and "尚未导入" not in before.output
    warned = cli(app, "digest", "--date", "2026-11-01")
    assert "注意：尚未导入2027年的节假日安排" in warned.output
    assert "sunshine calendar add 2027 2027.json" in warned.output

    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False))
    assert cli(app, "calendar", "add", "2027", str(schedule)).exit_code == 0
    assert "尚未导入" not in cli(app, "digest", "--date", "2026-12-01").output
