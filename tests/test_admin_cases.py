"""The inbox and a case's page as staff use them, and who may see a resident's identity."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.admin.cases import actions
from bot.models.cases import STORED, Attachment, Case
from tests import fake_wechat
from tests.support import (
    ID_NUMBER,
    PHONE,
    PHOTO_URL,
    REPORTER_NAME,
    REPORTER_PHONE,
    Resident,
    add_staff,
    audit_entries,
    backdate,
    case_row,
    file_application,
    file_complaint,
    logged_in,
    post,
    scripts_not_our_own,
    wait_for_fetch,
)

# ---- helpers ----


def assign(app: Flask, number: str, username: str, *, by: str | None = None) -> None:
    """``username`` handles the case, assigned by ``by`` (themself by default; only an
    approver may assign a complaint)."""
    from bot.admin import accounts
    from bot.cases import handling

    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        member = accounts.get(session, username)
        handling.assign(case, accounts.get(session, by or username), member, clock.now())
        session.commit()


# ---- the inbox ----


def test_the_inbox_puts_overdue_cases_first_then_the_soonest_due(app, resident):
    fresh = file_complaint(resident, "垃圾没人收")
    late = file_complaint(resident, "路灯坏了")
    later = file_application(resident)
    backdate(app, late, 40)
    backdate(app, later, 10)
    console = logged_in(app, "wang", "clerk")

    page = console.page("/admin/cases")

    assert page.index(late) < page.index(fresh) < page.index(later)
    assert "共 3 件，其中" in page and "1 件超期" in page
    assert re.search(r"超期 \d+ 个自然日", page), "a complaint's days are calendar days"
    assert re.search(r"剩 \d+ 个工作日", page), "an application's are working days"
    assert "决定是否受理" in page and "办结" in page


def test_a_provisional_deadline_is_marked(app, resident):
    number = file_application(resident)
    with app.app_context():
        session = db.get_session()
        session.scalars(select(Case).where(Case.number == number)).one().due_provisional = True
        session.commit()
    console = logged_in(app, "wang", "clerk")
    assert "暂定" in console.page("/admin/cases")
    assert "暂定" in console.page(f"/admin/cases/{number}")


def test_filters_and_search(app, resident):
    lamp = file_complaint(resident, "村口路灯坏了")
    report = file_complaint(resident, "有人乱倒垃圾", category="举报")
    application = file_application(resident, "2025年低保名单")
    backdate(app, lamp, 40)
    add_staff(app, "li", "handler")
    add_staff(app, "boss", "approver")
    assign(app, report, "li", by="boss")
    console = logged_in(app, "wang", "handler")
    assign(app, application, "wang")

    def listed(query: str) -> set[str]:
        page = console.page(f"/admin/cases?{query}")
        return set(re.findall(r"(?:SQ|TS)\d{8}-\d{4}", page.split("<tbody>")[-1]))

    assert listed("") == {lamp, report, application}
    assert listed("kind=application") == {application}
    assert listed("category=举报") == {report}
    assert listed("overdue=1") == {lamp}
    assert listed("mine=1") == {application}
    assert listed("q=低保") == {application}
    assert listed(f"q={lamp.lower()}") == {lamp}
    assert listed("q=没有这个词") == set()
    assert listed("status=processing") == {application}


def test_closed_cases_are_reached_by_filter(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/decline", reason="不属于本机关职责，请向县住建局反映。")

    assert number not in console.page("/admin/cases").split("<tbody>")[-1]
    closed = console.page("/admin/cases?status=closed")
    assert number in closed and "不予受理" in closed
    assert number in console.page("/admin/cases?status=all")


# ---- a case's page ----


def test_the_case_page_shows_the_whole_submission(make_app, fake_api):
    app = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )
    resident = Resident(app)
    number = file_complaint(resident, "村口路灯坏了\n晚上很黑", photo=True, location=True)
    [photo] = wait_for_fetch(app)  # downloaded in the background right after filing
    assert photo.fetch_state == STORED
    console = logged_in(app, "wang", "approver")

    page = console.page(f"/admin/cases/{number}")

    assert "村口路灯坏了\n晚上很黑" in page
    photo_path = f"/admin/cases/{number}/photos/{photo.id}"
    assert f'src="{photo_path}"' in page
    assert PHOTO_URL not in page, "WeChat's public photo URL must not be used"
    assert "纬度 43.520000，经度 124.810000" in page and "毛城子镇前进村" in page
    assert "https://uri.amap.com/marker?position=124.810000%2C43.520000" in page
    assert scripts_not_our_own(page) == []
    image = console.client.get(photo_path)
    assert image.status_code == 200 and image.data == fake_wechat.PHOTO
    assert image.mimetype == "image/jpeg" and image.headers["Cache-Control"] == "no-store"


def test_photos_are_for_logged_in_members_only(app, resident):
    number = file_complaint(resident, photo=True)
    with app.app_context():
        photo_id = db.get_session().scalars(select(Attachment.id)).one()  # not downloaded yet
    anonymous = app.test_client().get(f"/admin/cases/{number}/photos/{photo_id}")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    console = logged_in(app, "wang", "clerk")
    assert console.client.get(f"/admin/cases/{number}/photos/{photo_id}").status_code == 404
    assert console.client.get(f"/admin/cases/{number}/photos/99999").status_code == 404
    assert console.client.get("/admin/cases/TS20990101-0001").status_code == 404


def test_the_case_page_shows_deadlines_and_its_own_audit_trail(app, resident):
    number = file_application(resident)
    console = logged_in(app, "wang", "handler", name="王芳")
    post(console, f"/admin/cases/{number}/note", body="已电话联系村委会核实")

    page = console.page(f"/admin/cases/{number}")

    case = case_row(app, number)
    assert f"答复期限</dt>\n    <dd>20个工作日，最迟 {case.due_on}（含当日）" in page
    assert "已电话联系村委会核实" in page and "本件操作记录" in page
    trail = page.split("本件操作记录")[1]
    assert "添加内部备注" in trail and "wang" in trail


# ---- who sees a complainant's identity ----


@pytest.mark.parametrize("role", ["clerk", "admin"])
def test_a_clerk_or_administrator_never_sees_a_reporters_identity(app, resident, role):
    number = file_complaint(resident, "有人在河道挖沙", category="举报")
    console = logged_in(app, "member", role)

    page = console.page(f"/admin/cases/{number}")

    assert "有人在河道挖沙" in page
    for secret in (REPORTER_NAME, REPORTER_PHONE, "139****4321", "李*"):
        assert secret not in page
    assert "只对审核人和审核人分派的承办人可见" in page and "显示</button>" not in page
    refused = post(console, f"/admin/cases/{number}/reveal")
    assert refused.status_code == 403
    assert REPORTER_PHONE not in refused.get_data(as_text=True)
    assert audit_entries(app, "case.reveal_reporter") == []
    for listing in ("/admin/cases", "/admin/dashboard", "/admin/digest"):
        assert REPORTER_NAME not in console.page(listing)
    assert number not in console.page(f"/admin/cases?q={REPORTER_NAME}"), "no search by identity"


def test_a_handler_sees_the_reporter_only_on_cases_assigned_to_them(app, resident):
    number = file_complaint(resident, category="举报")
    console = logged_in(app, "li", "handler")

    hidden = console.page(f"/admin/cases/{number}")
    assert "139****4321" not in hidden and "只对审核人和审核人分派的承办人可见" in hidden
    assert post(console, f"/admin/cases/{number}/reveal").status_code == 403

    add_staff(app, "boss", "approver")
    assign(app, number, "li", by="boss")
    masked = console.page(f"/admin/cases/{number}")
    assert "139****4321" in masked and "李**" in masked and REPORTER_PHONE not in masked
    revealed = post(console, f"/admin/cases/{number}/reveal").get_data(as_text=True)
    assert REPORTER_PHONE in revealed and REPORTER_NAME in revealed
    assert "本次查看已记入操作日志" in revealed


def test_every_reveal_is_logged_with_who_and_what(app, resident):
    number = file_complaint(resident, category="举报")
    console = logged_in(app, "boss", "approver")

    post(console, f"/admin/cases/{number}/reveal")
    post(console, f"/admin/cases/{number}/reveal")

    entries = audit_entries(app, "case.reveal_reporter")
    assert len(entries) == 2
    for entry in entries:
        assert (entry.actor, entry.target_type, entry.target_id) == ("boss", "case", number)
        assert entry.details["field"] == "姓名、电话"
        assert REPORTER_PHONE not in str(entry.details)
    trail = console.page(f"/admin/cases/{number}").split("本件操作记录")[1]
    assert trail.count("查看投诉举报人身份") == 2


def test_an_applicants_contact_details_are_masked_until_revealed(app, resident):
    number = file_application(resident)
    clerk = logged_in(app, "clerk", "clerk")
    page = clerk.page(f"/admin/cases/{number}")
    assert "张三" in page and "220381********1230" in page and "138****1234" in page
    assert ID_NUMBER not in page and PHONE not in page and "显示</button>" not in page
    assert post(clerk, f"/admin/cases/{number}/reveal").status_code == 403

    handler = logged_in(app, "wang", "handler")
    assert "显示</button>" in handler.page(f"/admin/cases/{number}")
    revealed = post(handler, f"/admin/cases/{number}/reveal").get_data(as_text=True)
    assert (
        ID_NUMBER in revealed and PHONE in revealed and "吉林省公主岭市毛城子镇某村3组" in revealed
    )
    [entry] = audit_entries(app, "case.reveal_contact")
    assert entry.actor == "wang" and entry.details["field"] == "证件号码、电话、地址"
    assert ID_NUMBER not in handler.page(f"/admin/cases/{number}"), "shown once, not kept"


def test_an_anonymous_complaint_says_so(app, resident):
    number = file_complaint(resident, phone=None)
    console = logged_in(app, "boss", "approver")
    assert "匿名提交，没有留联系方式" in console.page(f"/admin/cases/{number}")


# ---- the forms are guarded ----


def test_a_clerk_can_read_but_not_handle(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "clerk", "clerk")
    page = console.page(f"/admin/cases/{number}")
    assert "发送答复" not in page and "办结并答复" not in page
    for action, data in (
        ("reply", {"body": "已处理"}),
        ("note", {"body": "备注"}),
        ("accept", {}),
        ("close", {"outcome": "C.support", "body": "已修好"}),
    ):
        assert post(console, f"/admin/cases/{number}/{action}", **data).status_code == 403
    assert case_row(app, number).replies == []


def test_every_action_of_the_table_is_guarded_and_needs_a_real_case(app, resident):
    number = file_complaint(resident)
    clerk = logged_in(app, "clerk", "clerk")
    boss = logged_in(app, "boss", "approver")

    def path(case_number: str, action: actions.Action) -> str:
        rule = re.sub(r"<int:\w+>", "99999", action.rule or action.name)
        return f"/admin/cases/{case_number}/{rule}"

    for action in actions.ACTIONS:
        assert post(clerk, path(number, action)).status_code == 403, action.name
        assert post(boss, path("TS20990101-0001", action)).status_code == 404, action.name
        if "<int:" in action.rule:
            assert post(boss, path(number, action)).status_code == 404, "another case's"
    assert case_row(app, number).status == "received" and audit_entries(app, "case.accept") == []


def test_an_action_without_the_csrf_token_is_refused(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    response = console.client.post(f"/admin/cases/{number}/reply", data={"body": "已处理"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert audit_entries(app, "case.reply") == []


def test_the_navigation_leads_to_the_case_pages(app):
    console = logged_in(app, "clerk", "clerk")
    home = console.page("/admin/")
    for label in ("办件", "督办", "年报统计表"):
        assert f">{label}</a>" in home
    assert console.client.get("/admin/dashboard").status_code == 200
    assert console.client.get("/admin/digest").status_code == 200
    assert console.client.get("/admin/callbacks").status_code == 200
    assert console.client.get(f"/admin/annual/{date.today().year - 1}").status_code == 200


# ---- supervision ----


def test_the_dashboard_counts_and_charts_the_cases(app, resident):
    late = file_complaint(resident, "垃圾没人收")
    file_complaint(resident, "路灯坏了")
    backdate(app, late, 40)
    console = logged_in(app, "wang", "clerk")

    page = console.page("/admin/dashboard")

    found = re.findall(r'stat-value">(\d+)</span><span class="stat-label">([^<]+)<', page)
    assert {label: int(value) for value, label in found} == {
        "未办结": 2,
        "已超期": 1,
        "本周到期": 0,
        "等待补正": 0,
        "延期待批准": 0,
        "待回访": 0,
        "答复等待居民来问": 0,
        "答复推送失败待重试": 0,
    }
    assert '<svg class="trend-chart"' in page and page.count('<rect class="bar-') == 24
    received = re.search(r"<th scope=\"row\">收到</th>(.*?)</tr>", page).group(1)
    assert re.findall(r">(\d+)<", received)[-1] == "1", "this month: one received on time"
    assert scripts_not_our_own(page) == [] and late in page.split("已超期（1件）")[1]


def test_the_printable_digest_lists_what_sunshine_digest_prints(app, resident):
    late = file_complaint(resident, "垃圾没人收")
    fresh = file_complaint(resident, "路灯坏了")
    backdate(app, late, 40)
    console = logged_in(app, "wang", "clerk")

    page = console.page("/admin/digest?days=30")
    printed = app.test_cli_runner().invoke(args=["digest", "--days", "30"]).output

    overdue = page.split("<h2>已超期</h2>")[1].split("<h2>")[0]
    assert late in overdue and fresh not in overdue
    assert fresh in page.split("<h2>30天内到期</h2>")[1]
    assert "超期 <strong>1</strong> 件" in page and "超期 1 件，30天内到期 1 件" in printed
    assert printed.index(late) < printed.index("30天内到期（1件）") < printed.index(fresh)
    assert 'src="/static/print.js"' in page and "data-print hidden" in page
