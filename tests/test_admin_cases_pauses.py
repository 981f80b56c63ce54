"""Clock pauses and fees: consulting a third party or another body (Art. 32/34), a fee notice
(国办函〔2020〕109号), and the warning before a late 补正 notice (Art. 30)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import clock
from bot.cases.deadlines import Pause, WorkCalendar, paused_days
from tests.support import audit_entries, backdate, case_row, file_application, logged_in
from tests.support import post as console_post

#: Monday 2 March 2026, 10:00 in Beijing: 20 working days end on Monday 30 March.
RECEIVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def on(monkeypatch, day: date) -> None:
    """The console's "now": 10:00 in Beijing on ``day``."""
    moment = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_a_consultation_and_a_fee_notice_shift_the_due_date_by_the_paused_working_days(
    app, resident, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    number = file_application(resident)
    assert case_row(app, number).due_on == date(2026, 3, 30)
    console = logged_in(app, "wang", "handler")

    on(monkeypatch, date(2026, 3, 4))
    console_post(
        console,
        f"/admin/cases/{number}/consultation",
        party="第三方：某农业合作社",
        sent_on="2026-03-04",
    )
    case = case_row(app, number)
    assert case.status == "consulting" and case.pauses[0].due_on == date(2026, 3, 25)
    assert "正在征求第三方或有关机关的意见" in resident.says(f"进度 {number}")
    mine = resident.says("我的")
    assert f"{number} 政府信息公开申请：答复期限暂停（正在征求意见" in mine
    assert "2026年3月30日" not in mine, "no due date while the clock is stopped"
    assert "收回征求的意见：2026-03-25" in console.page("/admin/cases")

    on(monkeypatch, date(2026, 3, 11))
    pause = case.pauses[0].id
    console_post(console, f"/admin/cases/{number}/pauses/{pause}/answer", answered_on="2026-03-11")
    case = case_row(app, number)
    # 5, 6, 9 and 10 March are not counted (the days it went out and came back still are).
    assert case.status == "processing" and case.due_on == date(2026, 4, 3)
    assert "最迟于2026年4月3日（含当日）答复" in case.replies[-1].body

    on(monkeypatch, date(2026, 3, 12))
    console_post(console, f"/admin/cases/{number}/fee", amount="30", basis="复印图纸120页")
    case = case_row(app, number)
    assert case.status == "awaiting_fee"
    notice = case.replies[-1].body
    assert "国办函〔2020〕109号" in notice and "信息处理费30.00元" in notice
    assert "最迟于2026年4月10日（含当日）缴纳" in notice and "视为放弃申请" in notice
    assert "收费通知" in resident.says(f"进度 {number}"), "the notice, delivered once in full"
    progress = resident.says(f"进度 {number}")
    assert "请最迟于2026年4月10日（含当日）缴纳信息处理费30.00元" in progress
    assert "答复期限暂停（等您缴费），请最迟于2026年4月10日（含当日）缴纳30.00元" in resident.says(
        "我的"
    )

    on(monkeypatch, date(2026, 3, 19))
    fee = case.pauses[1].id
    console_post(
        console, f"/admin/cases/{number}/pauses/{fee}/payment", paid_on="2026-03-19", amount="30"
    )
    case = case_row(app, number)
    # 13, 16, 17 and 18 March are not counted; 4–6 April is 清明.
    assert case.status == "processing" and case.due_on == date(2026, 4, 10)
    assert "已收到您缴纳的信息处理费30.00元" in case.replies[-1].body
    actions = [e.action for e in audit_entries(app, "case.fee_paid")]
    assert actions == ["case.fee_paid"]

    annual = console.page("/admin/annual/2026")
    assert (
        "共有 <strong>1</strong> 件申请缴纳了信息处理费，合计 <strong>30.00</strong> 元" in annual
    )
    csv = console.client.get("/admin/annual/2026.csv").get_data(as_text=True)
    assert "收取的信息处理费合计（元）,30.00" in csv


def test_a_pause_counts_at_most_its_statutory_working_days():
    calendar = WorkCalendar(years=frozenset({2026}))
    consultation = Pause(date(2026, 3, 4), date(2026, 5, 29), limit=15)
    days = paused_days([consultation], calendar)
    assert len(days) == 15 and min(days) == date(2026, 3, 5) and max(days) == date(2026, 3, 25)
    overlapping = Pause(date(2026, 3, 20), date(2026, 3, 27), limit=15)
    assert len(paused_days([consultation, overlapping], calendar)) == 16, "26 March is new"
    assert paused_days([Pause(date(2026, 3, 4), date(2026, 3, 5), limit=15)], calendar) == set()


def test_an_unpaid_fee_closes_as_62_only_after_its_20_working_days(app, resident, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")
    on(monkeypatch, date(2026, 3, 3))
    refused = console_post(
        console, f"/admin/cases/{number}/close", outcome="6.2", body="不再处理。"
    )
    assert refused.status_code == 422 and "满20个工作日仍未缴费" in refused.get_data(as_text=True)
    console_post(console, f"/admin/cases/{number}/fee", amount="12.5", basis="打印80页")
    extension = console_post(console, f"/admin/cases/{number}/extension", reason="资料多")
    assert extension.status_code == 422 and "暂停计算，不需要延期" in extension.get_data(
        as_text=True
    )

    on(monkeypatch, date(2026, 3, 31))  # the 20th working day after 3 March
    early = console_post(console, f"/admin/cases/{number}/close", outcome="6.2", body="不再处理。")
    assert early.status_code == 422

    on(monkeypatch, date(2026, 4, 1))
    closed = console_post(
        console,
        f"/admin/cases/{number}/close",
        outcome="6.2",
        body="您未在收费通知规定的期限内缴纳信息处理费，本机关不再处理您的申请。",
        reason="收费通知发出后20个工作日内未缴费。",
    )
    assert closed.status_code == 302
    case = case_row(app, number)
    assert case.outcome == "6.2" and "申请人逾期未按收费通知要求缴纳费用" in case.replies[-1].body


def test_a_late_correction_notice_asks_the_clerk_to_confirm_before_it_is_sent(app, resident):
    number = file_application(resident)
    backdate(app, number, 14)
    console = logged_in(app, "wang", "handler")
    path = f"/admin/cases/{number}/correction"

    warned = console_post(console, path, items="请写明是哪个村", days="15")
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422 and "条例第三十条要求在收到申请之日起7个工作日内" in page
    assert "确认逾期仍发送补正通知" in page and "请写明是哪个村" in page, "what was typed is kept"
    assert case_row(app, number).replies == [] and case_row(app, number).status == "received"

    console_post(console, path, items="请写明是哪个村", days="15", confirm_late="1")
    case = case_row(app, number)
    assert case.status == "awaiting_correction" and len(case.replies) == 1
    [entry] = audit_entries(app, "case.correction_request")
    assert entry.details["late"] is True


def test_a_correction_received_during_a_consultation_leaves_the_clock_paused(
    app, resident, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")
    on(monkeypatch, date(2026, 3, 3))
    console_post(
        console, f"/admin/cases/{number}/consultation", party="县档案馆", sent_on="2026-03-03"
    )
    console_post(console, f"/admin/cases/{number}/correction", items="请写明年份", days="15")
    assert case_row(app, number).status == "awaiting_correction"
    mine = resident.says("我的")
    assert "答复期限暂停（等您补正材料），请最迟于2026年3月24日（含当日）补正" in mine

    on(monkeypatch, date(2026, 3, 5))
    assert "重新计算" in resident.says(f"补正 {number} 要2025年的")

    case = case_row(app, number)
    assert case.status == "consulting", "the consultation still stops the clock"
    assert "状态：正在征求意见，答复期限暂停计算" in resident.says(f"进度 {number}")
    assert "答复期限暂停（正在征求意见" in resident.says("我的")
    refused = console_post(console, f"/admin/cases/{number}/extension", reason="资料多")
    assert refused.status_code == 422 and "暂停计算，不需要延期" in refused.get_data(as_text=True)
