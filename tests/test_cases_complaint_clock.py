"""The complaint clock of 《信访工作条例》: 15 days to decide on acceptance, 60 from acceptance to
conclude. Before acceptance the resident is promised only the decision."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import clock
from tests.support import case_row, cli, file_complaint, logged_in, post

#: Monday 2 March 2026, 10:00 in Beijing; day 14 is Monday 16 March.
RECEIVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY_14 = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


def test_a_complaint_accepted_on_day_14_concludes_60_days_after_acceptance(
    app, resident, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    number = file_complaint(resident)
    receipt = resident.says(f"进度 {number}")
    assert "是否受理：15个自然日内告知，最迟于2026年3月17日（含当日）" in receipt
    assert "受理时告知办结期限" in receipt and "办结期限：" not in receipt
    assert "最迟于2026年3月17日（含当日）告知是否受理" in resident.says("我的")

    monkeypatch.setattr(clock, "now", lambda: DAY_14)
    console = logged_in(app, "wang", "handler")
    page = console.page(f"/admin/cases/{number}")
    assert "受理之日起60个自然日内（受理时计算）" in page and "2026-05" not in page
    assert "收到后15个自然日内，最迟 2026-03-17" in page and "剩 1 个自然日" in page
    accepted = post(console, f"/admin/cases/{number}/accept", message="")
    assert accepted.status_code == 302

    case = case_row(app, number)
    assert case.accepted_on.isoformat() == "2026-03-16"
    assert case.due_on.isoformat() == "2026-05-15", "60 days after acceptance, not after receipt"
    told = resident.says(f"进度 {number}")
    assert "已受理（受理日期：2026年3月16日）" in told and "最迟于2026年5月15日（含当日）" in told
    progress = resident.says(f"进度 {number}")
    assert "办结期限：自2026年3月16日受理起60个自然日内，最迟于2026年5月15日（含当日）" in progress
    assert "是否受理" not in progress
    assert "最迟于2026年5月15日（含当日）" in resident.says("我的")
    page = console.page(f"/admin/cases/{number}")
    assert "受理日期</dt><dd>2026-03-16" in page and "60个自然日，最迟 2026-05-15" in page
    assert "剩 60 个自然日" in page, "calendar days: 60, where working days would be 41"
    digest = cli(app, "digest", "--date", "2026-05-11")
    assert f"{number}  投诉举报 · 投诉  未分派  办结：2026-05-15（自然日）  剩 4 个自然日" in (
        digest.output
    )


def test_the_extension_of_a_complaint_counts_from_acceptance(app, resident, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: RECEIVED)
    number = file_complaint(resident)
    monkeypatch.setattr(clock, "now", lambda: DAY_14)
    head = logged_in(app, "boss", "approver")
    post(head, f"/admin/cases/{number}/accept", message="")
    post(head, f"/admin/cases/{number}/extension", reason="需要多个部门联合核查")
    case = case_row(app, number)
    assert case.extension_days == 30
    assert case.due_on.isoformat() == "2026-06-15", "90 days end on a Sunday: moved to Monday"
