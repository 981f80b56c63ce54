"""The daily digest and the overdue gauge: what a supervisor and a monitor see of late cases."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from bot import db
from bot.cases.deadlines import WorkCalendar
from bot.cases.digest import Due, due_of, working_days_between
from bot.models.cases import APPLICATION, COMPLAINT, Case
from tests.support import file_anonymous_complaint


def backdate(app, number: str, days: int) -> None:
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case.received_on -= timedelta(days=days)
        case.accept_due_on -= timedelta(days=days)
        case.due_on -= timedelta(days=days)
        session.commit()


def test_digest_lists_overdue_cases_first_then_those_due_soon(app, resident):
    late = file_anonymous_complaint(resident, "垃圾没人清")
    fresh = file_anonymous_complaint(resident, "路灯坏了")
    backdate(app, late, 40)
    result = app.test_cli_runner().invoke(args=["digest"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("公主岭市毛城子镇政府政务公开办公室 每日督办单 ")
    assert lines[0].endswith("（北京时间）")
    assert lines[1] == "超期 1 件，7天内到期 0 件，未办结共 2 件。"
    overdue = lines[lines.index("已超期（1件）") + 1]
    assert late in overdue and "投诉举报 · 投诉  未分派  决定是否受理：" in overdue
    assert re.search(r"（自然日）  超期 \d+ 个自然日$", overdue), overdue
    assert fresh not in result.output.split("已超期")[1].split("\n\n")[0]
    assert "7天内到期（0件）\n  没有。" in result.output
    words = [line for line in lines if "sunshine calendar" not in line]  # the commands to run
    assert not re.search(r"[A-Za-z]{3,}", "\n".join(words)), "staff read it: no English"


def test_the_overdue_gauge_counts_late_open_cases(app, resident, client):
    backdate(app, file_anonymous_complaint(resident), 40)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "sunshine_overdue_cases 1.0" in metrics


def test_working_days_left_skip_weekends_and_holidays():
    calendar = WorkCalendar(years=frozenset({2026}), days_off=frozenset({date(2026, 10, 1)}))
    thursday, monday = date(2026, 9, 24), date(2026, 9, 28)
    assert working_days_between(thursday, monday, calendar) == 2
    assert working_days_between(monday, thursday, calendar) == -2
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 1), calendar) == 0
    assert working_days_between(date(2026, 10, 3), date(2026, 10, 2), calendar) == -1


def test_a_complaint_counts_calendar_days_left_and_an_application_working_days():
    calendar = WorkCalendar(years=frozenset({2026}))
    thursday = date(2026, 3, 5)
    next_monday = date(2026, 3, 9)

    def due(kind: str) -> Due:
        case = Case(kind=kind, status="processing", due_on=next_monday, due_provisional=False)
        return due_of(case, thursday, calendar)

    complaint, application = due(COMPLAINT), due(APPLICATION)
    assert (complaint.step, complaint.days_left, complaint.unit) == ("conclude", 4, "自然日")
    assert (application.step, application.days_left, application.unit) == ("conclude", 2, "工作日")
