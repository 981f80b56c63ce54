"""sunshine calendar: the project-owned schedules in the database, and adding next year's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from bot import clock, db
from bot.cases.calendar import work_calendar
from bot.cases.numbers import allocate, read_number
from bot.models.cases import Case
from tests.support import PERSON_STEPS, SCHEDULE_2027, Resident, cli, town_id


def test_seed_loads_the_shipped_years_once(app):
    listed = cli(app, "calendar", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("2004  国务院办公厅关于2004年部分节假日安排的通知")
    assert lines[-2].startswith("2026  ")
    assert "Deadlines reaching past 2026 are provisional" in listed.output
    assert cli(app, "seed").exit_code == 0
    assert cli(app, "calendar", "list").output == listed.output


def test_adding_2027_recomputes_provisional_deadlines(app, tmp_path, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    resident = Resident(app)
    for line in PERSON_STEPS:
        resident.says(line)
    application = resident.says("确认").split("编号：")[1].split("\n")[0]
    for line in ("投诉", "路灯坏了", "好了", "跳过"):
        resident.says(line)
    complaint = resident.says("确认").split("编号：")[1].split("\n")[0]
    shown = resident.says(f"进度 {application}")
    assert "最迟于2027年1月18日（含当日）（暂定）" in shown, "1 January: a statutory holiday"

    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    added = cli(app, "calendar", "add", "2027", str(schedule))
    assert added.exit_code == 0, added.output
    assert "Loaded 2027: 12 day(s) off, 1 weekend working day(s)" in added.output
    assert f"{application}: due 2027-01-18 (provisional) -> due 2027-01-18" in added.output
    assert (
        f"{complaint}: accept by 2027-01-04 (provisional) -> accept by 2027-01-04" in added.output
    ), "not accepted yet: no conclusion date"
    assert "Recomputed open deadlines: 2 changed." in added.output
    shown = resident.says(f"进度 {application}")
    assert "暂定" not in shown and "最迟于2027年1月18日（含当日）" in shown
    assert "暂定" not in resident.says(f"进度 {complaint}")


def test_a_loaded_year_is_replaced_only_when_asked(app, tmp_path):
    schedule = tmp_path / "2026.json"
    schedule.write_text(cli(app, "calendar", "template", "2026").stdout, encoding="utf-8")
    refused = cli(app, "calendar", "add", "2026", str(schedule))
    assert refused.exit_code == 1 and "2026 is already loaded; add --replace" in refused.output
    replaced = cli(app, "calendar", "add", "2026", str(schedule), "--replace")
    assert replaced.exit_code == 0 and "Loaded 2026" in replaced.output
    with app.app_context():
        calendar = work_calendar(db.get_session(), date(2026, 1, 1))
    assert calendar.is_working_day(date(2026, 2, 28)) and not calendar.is_working_day(
        date(2026, 2, 23)
    )


def test_a_bad_file_is_refused_with_the_reason(app, tmp_path):
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps({**SCHEDULE_2027, "working_days": {"2027-02-15": "春节"}}))
    refused = cli(app, "calendar", "add", "2027", str(schedule))
    assert refused.exit_code == 1
    assert (
        "working_days must be Saturdays or Sundays (调休); 2027-02-15 is a weekday"
        in refused.output
    )
    wrong_year = cli(app, "calendar", "add", "2028", str(schedule))
    assert "the file is for 2027, not 2028" in wrong_year.output


def test_the_template_of_an_unpublished_year_says_what_to_do(app):
    result = cli(app, "calendar", "template", "2027")
    assert json.loads(result.stdout)["days_off"] == {}
    assert "fill days_off and working_days" in result.output


# ---- tracking numbers ----


def test_numbers_restart_each_day_for_each_prefix(app):
    with app.app_context():
        session = db.get_session()
        day, next_day = date(2026, 11, 26), date(2026, 11, 27)
        given = [
            allocate(session, town_id(session), "SQ", day),
            allocate(session, town_id(session), "SQ", day),
            allocate(session, town_id(session), "TS", day),
            allocate(session, town_id(session), "SQ", next_day),
        ]
        session.commit()
    assert given == ["SQ20261126-0001", "SQ20261126-0002", "TS20261126-0001", "SQ20261127-0001"]


def test_a_rolled_back_submission_gives_its_number_back(app):
    with app.app_context():
        session = db.get_session()
        allocate(session, town_id(session), "TS", date(2026, 11, 26))
        session.rollback()
        assert allocate(session, town_id(session), "TS", date(2026, 11, 26)) == "TS20261126-0001"
        session.commit()
        assert session.scalars(select(Case)).first() is None


def test_numbers_are_read_as_residents_type_them():
    assert read_number("SQ20261126-0003") == "SQ20261126-0003"
    assert read_number(" sq 20261126 0003 ") == "SQ20261126-0003"
    assert read_number("ＴＳ２０２６１１２６－３") is None, "the sequence has at least four digits"
    assert read_number("TS202611260003") == "TS20261126-0003"
    assert read_number("XX20261126-0003") is None
    assert read_number("我的那件事") is None
