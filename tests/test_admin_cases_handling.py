"""Handling a case in the console: assign, correction (补正), extension, accept, close, transfer.

Every action is in the case's audit trail with who, what and why; what the
resident is told is stored as a reply (delivery itself: ``test_cases_replies.py``).
"""

from __future__ import annotations

from bot import clock, db
from bot.cases.calendar import work_calendar
from bot.cases.deadlines import add_working_days
from bot.cases.outcomes import COMPLAINT_REMEDY
from bot.cases.texts import day_text
from bot.clock import beijing_date
from tests.support import (
    Resident,
    audit_entries,
    backdate,
    case_row,
    file_application,
    file_complaint,
    logged_in,
    post,
)


def today():
    return beijing_date(clock.now())


def working_days_after(app, start, days: int):
    with app.app_context():
        return add_working_days(start, days, work_calendar(db.get_session(), start)).due


def test_assigning_a_handler_starts_an_application_and_is_audited(app, resident):
    number = file_application(resident)
    console = logged_in(app, "boss", "approver")
    logged_in(app, "li", "handler", name="李明")
    li = case_row(app, number)  # before: received, nobody
    assert li.status == "received" and li.assignment is None

    page = console.page(f"/admin/cases/{number}")
    staff_id = page.split("李明（承办人）")[0].rsplit('value="', 1)[1].split('"')[0]
    post(console, f"/admin/cases/{number}/assign", staff_id=staff_id)

    case = case_row(app, number)
    assert case.status == "processing" and case.assignee.username == "li"
    [entry] = audit_entries(app, "case.assign")
    assert entry.actor == "boss" and entry.details == {"handler": "li"}
    refused = post(console, f"/admin/cases/{number}/assign", staff_id="0")
    assert refused.status_code == 422 and "请选择承办人" in refused.get_data(as_text=True)


def test_a_correction_stops_the_clock_and_the_residents_reply_restarts_it(app, resident):
    number = file_application(resident)
    backdate(app, number, 3)
    console = logged_in(app, "wang", "handler")

    post(console, f"/admin/cases/{number}/correction", items="请写明是哪个村的财务收支", days="15")

    case = case_row(app, number)
    assert case.status == "awaiting_correction" and case.correction_requested_on == today()
    assert case.correction_due_on == working_days_after(app, today(), 15)
    [notice] = case.replies
    assert "请写明是哪个村的财务收支" in notice.body and f"补正 {number}" in notice.body
    progress = resident.says(f"进度 {number}")
    assert "请写明是哪个村的财务收支" in progress  # the notice, delivered in full once
    progress = resident.says(f"进度 {number}")
    assert "等待补正材料" in progress and f"补正 {number} 补充的内容" in progress
    assert "答复期限：" not in progress, "the reply period is suspended"
    again = post(console, f"/admin/cases/{number}/correction", items="再补一点", days="15")
    assert again.status_code == 422 and "一次性告知" in again.get_data(as_text=True)

    answer = resident.says(f"补正 {number} 是前进村2025年的财务收支明细")

    case = case_row(app, number)
    due = working_days_after(app, today(), 20)
    assert case.status == "processing" and case.clock_started_on == today()
    assert case.due_on == due and case.correction_due_on is None
    assert "已收到您对" in answer and day_text(due) in answer
    assert case.supplements[0].text == "是前进村2025年的财务收支明细"
    assert case.supplements[0].staff_id is None
    [entry] = audit_entries(app, "case.correction_received")
    assert entry.actor == "system" and entry.details["channel"] == "chat"
    page = console.page(f"/admin/cases/{number}")
    assert "是前进村2025年的财务收支明细" in page and "居民在对话中发送" in page
    assert "重新计算自" in page


def test_the_correction_command_helps_and_refuses_politely(app, resident):
    number = file_application(resident)
    assert "补正 编号 补充的内容" in resident.says("补正")
    assert "补正 编号 补充的内容" in resident.says("补正 我要的是低保名单")
    assert "请在编号后面写上补充的内容" in resident.says(f"补正 {number}")
    assert "目前不需要补正" in resident.says(f"补正 {number} 补充一下")
    stranger = Resident(app, openid="o-stranger")
    assert "没有找到这个编号的事项" in stranger.says(f"补正 {number} 我来补")


def test_staff_record_a_correction_handed_in_at_the_office(app, resident):
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/correction", items="请提供身份证复印件", days="10")

    future = post(
        console, f"/admin/cases/{number}/supplement", text="已交复印件", received_on="2099-01-01"
    )
    assert future.status_code == 422 and "不能晚于今天" in future.get_data(as_text=True)
    post(
        console,
        f"/admin/cases/{number}/supplement",
        text="当面交来身份证复印件",
        received_on=today().isoformat(),
    )

    case = case_row(app, number)
    assert case.status == "processing" and case.clock_started_on == today()
    assert case.due_on == working_days_after(app, today(), 20)
    [entry] = audit_entries(app, "case.correction_received")
    assert entry.actor == "wang" and entry.details["channel"] == "counter"


def test_an_extension_needs_the_head_of_the_disclosure_office_and_is_granted_once(app, resident):
    number = file_application(resident)
    handler = logged_in(app, "wang", "handler")
    approver = logged_in(app, "boss", "head", name="赵主任")
    before = case_row(app, number)

    post(handler, f"/admin/cases/{number}/extension", reason="需要向县档案馆调取资料")
    waiting = case_row(app, number)
    assert waiting.due_on == before.due_on and waiting.extension_days == 0
    assert waiting.replies == [], "the resident is told only once it is approved"
    assert "等待政府信息公开工作机构负责人同意" in handler.page(f"/admin/cases/{number}")
    extension = waiting.extensions[0]
    decision = f"/admin/cases/{number}/extensions/{extension.id}"
    assert post(handler, decision, decision="approve").status_code == 403
    li = logged_in(app, "li2", "approver")
    assert post(li, decision, decision="approve").status_code == 403, "Art. 33: the head only"

    post(approver, decision, decision="approve")

    case = case_row(app, number)
    assert case.status == "extended" and case.extension_days == 20
    assert case.due_on == working_days_after(app, case.received_on, 40)
    [told] = case.replies
    assert told.body.startswith("经本机关政府信息公开工作机构负责人同意，答复期限延长20个工作日")
    assert "需要向县档案馆调取资料" in told.body
    assert f"最迟于{day_text(case.due_on)}（含当日）" in told.body
    again = post(approver, f"/admin/cases/{number}/extension", reason="还要再等")
    assert again.status_code == 422 and "只能延期一次" in again.get_data(as_text=True)
    actions = [e.action for e in audit_entries(app, "case.extension_request")]
    actions += [e.action for e in audit_entries(app, "case.extension_approve")]
    assert actions == ["case.extension_request", "case.extension_approve"]


def test_a_refused_extension_says_why_and_changes_nothing(app, resident):
    number = file_application(resident)
    handler = logged_in(app, "wang", "handler")
    approver = logged_in(app, "boss", "head")
    post(handler, f"/admin/cases/{number}/extension", reason="资料多")
    extension = case_row(app, number).extensions[0]
    path = f"/admin/cases/{number}/extensions/{extension.id}"

    silent = post(approver, path, decision="refuse")
    assert silent.status_code == 422 and "不批准延期时请写明理由" in silent.get_data(as_text=True)
    post(approver, path, decision="refuse", note="资料已齐，不需要延期")

    case = case_row(app, number)
    assert case.extension_days == 0 and case.extensions[0].approved is False
    assert (
        audit_entries(app, "case.extension_refuse")[0].details["reason"] == "资料已齐，不需要延期"
    )


def test_an_approvers_own_extension_is_approved_at_once(app, resident):
    number = file_complaint(resident)
    approver = logged_in(app, "boss", "approver")
    refused = post(approver, f"/admin/cases/{number}/extension", reason="需要现场核实")
    assert refused.status_code == 422 and "先决定是否受理" in refused.get_data(as_text=True)
    post(approver, f"/admin/cases/{number}/accept")

    post(approver, f"/admin/cases/{number}/extension", reason="需要现场核实")

    case = case_row(app, number)
    assert case.extension_days == 30 and case.status == "extended"
    assert "办理期限延长30个自然日" in case.replies[-1].body


def test_an_extension_after_the_deadline_is_refused_with_a_clear_message(app, resident):
    number = file_application(resident)
    pending = file_application(resident, "2025年危房改造名单")
    handler = logged_in(app, "wang", "handler")
    head = logged_in(app, "boss", "head")
    post(handler, f"/admin/cases/{pending}/extension", reason="资料在县档案馆")
    backdate(app, number, 40)
    backdate(app, pending, 40)
    due = day_text(case_row(app, number).due_on)

    refused = post(head, f"/admin/cases/{number}/extension", reason="资料多")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"答复期限已于{due}届满，依法不能再延期" in page and "须在原期限内决定并告知" in page
    extension = case_row(app, pending).extensions[0]
    late = post(head, f"/admin/cases/{pending}/extensions/{extension.id}", decision="approve")
    assert late.status_code == 422 and "依法不能再延期" in late.get_data(as_text=True)
    for case in (case_row(app, number), case_row(app, pending)):
        assert case.extension_days == 0 and case.replies == []


def test_an_extension_approved_while_a_correction_is_awaited_still_waits_for_it(app, resident):
    """The head may approve a request made before the correction notice; the applicant is
    still asked to correct, and their correction is taken (Art. 30, Art. 33)."""
    number = file_application(resident)
    handler = logged_in(app, "wang", "handler")
    head = logged_in(app, "boss", "head")
    post(handler, f"/admin/cases/{number}/extension", reason="需要向县档案馆调取资料")
    post(handler, f"/admin/cases/{number}/correction", items="请写明是哪个村", days="15")
    extension = case_row(app, number).extensions[0]

    post(head, f"/admin/cases/{number}/extensions/{extension.id}", decision="approve")

    case = case_row(app, number)
    assert case.status == "awaiting_correction" and case.extension_days == 20
    assert "登记当面或书面提交的补正材料" in handler.page(f"/admin/cases/{number}")
    answer = resident.says(f"补正 {number} 是前进村")
    assert "补正材料" in answer and "重新计算" in answer
    case = case_row(app, number)
    assert case.status == "extended" and case.clock_started_on == today()
    assert case.due_on == working_days_after(app, today(), 40)


def test_a_complaint_is_accepted_or_declined_with_reasons(app, resident):
    accepted = file_complaint(resident, "路灯坏了")
    declined = file_complaint(resident, "邻居家狗叫")
    console = logged_in(app, "wang", "handler")

    post(console, f"/admin/cases/{accepted}/accept", message="已安排电工查看")
    no_reason = post(console, f"/admin/cases/{declined}/decline", reason=" ")
    assert no_reason.status_code == 422 and "请填写不予受理的理由" in no_reason.get_data(
        as_text=True
    )
    post(console, f"/admin/cases/{declined}/decline", reason="属于民事纠纷，请向村调解委员会反映")

    case = case_row(app, accepted)
    assert case.status == "processing"
    assert "已受理" in case.replies[0].body and "已安排电工查看" in case.replies[0].body
    closed = case_row(app, declined)
    assert closed.status == "closed" and closed.outcome == "C.decline"
    assert closed.replies[0].final and "属于民事纠纷" in closed.replies[0].body


def test_closing_states_the_outcome_the_reasons_and_the_remedies(app, resident):
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")

    no_reason = post(
        console,
        f"/admin/cases/{number}/close",
        outcome="3.4",
        body="经审查，您申请的信息涉及他人。",
    )
    page = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 422 and "请填写理由" in page
    assert "经审查，您申请的信息涉及他人。" in page, "what was typed is kept"
    assert case_row(app, number).is_open

    post(
        console,
        f"/admin/cases/{number}/close",
        outcome="3.4",
        body="经审查，您申请的信息涉及他人。",
        reason="公开会损害第三方合法权益，第三方不同意公开。",
    )

    case = case_row(app, number)
    assert (case.status, case.outcome, case.closed_on) == ("closed", "3.4", today())
    [final] = case.replies
    assert final.final
    assert "办理结果：不予公开：保护第三方合法权益" in final.body
    assert "理由：公开会损害第三方合法权益" in final.body
    assert "依据：《中华人民共和国政府信息公开条例》第十五条、第三十二条" in final.body
    assert "60日内向公主岭市人民政府申请行政复议" in final.body
    assert "应当先申请行政复议，不能直接提起行政诉讼" in final.body
    assert "6个月内" not in final.body, "no direct lawsuit against a refusal to disclose"
    [entry] = audit_entries(app, "case.close")
    assert entry.details["outcome"] == "不予公开：保护第三方合法权益"
    after = post(console, f"/admin/cases/{number}/reply", body="补充说明")
    assert after.status_code == 422 and "已办结" in after.get_data(as_text=True)


def test_a_complaints_conclusion_names_the_review_remedy(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/accept")
    post(
        console,
        f"/admin/cases/{number}/close",
        outcome="C.explain",
        body="路灯属于县供电公司管理。",
        reason="已转告供电公司，本机关无权维修。",
    )
    final = case_row(app, number).replies[-1].body
    assert "办理结果：解释说明" in final and COMPLAINT_REMEDY in final


def test_a_reply_too_long_for_one_message_is_refused(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    response = post(console, f"/admin/cases/{number}/reply", body="长" * 690)
    assert response.status_code == 422 and "一条微信消息放不下" in response.get_data(as_text=True)
    assert case_row(app, number).replies == []


def test_an_application_that_is_a_complaint_moves_to_the_complaint_track(app, resident):
    number = file_application(resident, "举报村主任占用集体土地盖房")
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/assign", staff_id=str(case_row_staff(app, "wang")))

    post(console, f"/admin/cases/{number}/transfer", reason="内容是举报，不是申请公开政府信息")

    application = case_row(app, number)
    assert application.outcome == "5.1" and application.status == "closed"
    complaint_number = application.transferred_to
    assert complaint_number.startswith("TS" + number[2:10])
    complaint = case_row(app, complaint_number)
    assert complaint.kind == "complaint" and complaint.text == "举报村主任占用集体土地盖房"
    assert complaint.received_on == application.received_on and complaint.status == "received"
    assert complaint.phone_masked == "138****1234"
    assert complaint.assignment is None, "a complainant's handler is an approver's choice"
    assert f"编号{complaint_number}" in application.replies[0].body
    assert "不予处理：信访举报投诉类申请" in application.replies[0].body
    assert complaint_number in resident.says("我的")
    assert f"编号：{complaint_number}（投诉）" in resident.says(f"进度 {complaint_number}")
    [entry] = audit_entries(app, "case.transfer")
    assert entry.details["complaint"] == complaint_number


def case_row_staff(app, username: str) -> int:
    from bot.admin import accounts

    with app.app_context():
        return accounts.get(db.get_session(), username).id


def test_cases_beyond_the_daily_count_are_marked_for_staff_who_may_close_them_as_54(make_app):
    app = make_app(CASE_DAILY_LIMIT=1)
    resident = Resident(app)
    first = file_application(resident, "2025年低保名单")
    second = file_application(resident, "2025年危房改造名单")
    console = logged_in(app, "wang", "handler")

    rows = {
        number: next(row for row in console.page("/admin/cases").split("<tr") if number in row)
        for number in (first, second)
    }
    assert "当日件数多" in rows[second] and "当日件数多" not in rows[first]
    page = console.page(f"/admin/cases/{second}")
    assert "共提交 2 件，超过每日 1 件" in page and "本件已正常登记并给了回执" in page
    assert "超过每日" not in console.page(f"/admin/cases/{first}")

    post(console, f"/admin/cases/{second}/reply", body="请说明同一天多次申请的理由。")
    post(
        console,
        f"/admin/cases/{second}/close",
        outcome="5.4",
        body="您的申请不予处理。",
        reason="一日内反复申请，经要求未说明正当理由。",
    )
    assert "不予处理：无正当理由大量反复申请" in case_row(app, second).replies[-1].body
