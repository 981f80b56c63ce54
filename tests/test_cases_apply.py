"""申请: a disclosure application as a resident files it through /wechat."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import clock, db
from bot.cases.calendar import work_calendar
from bot.cases.deadlines import application_due
from bot.cases.privacy import unseal
from bot.cases.texts import day_text
from bot.models.cases import ORGANISATION, PERSON, Case
from bot.store import KEY_PREFIX
from tests.support import ADDRESS, ID_NUMBER, PERSON_STEPS, PHONE, Resident, fill

CREDIT_CODE = "91350100M000100Y43"


def cases_of(app) -> list[Case]:
    with app.app_context():
        return list(db.get_session().scalars(select(Case).order_by(Case.id)))


def session_of(app, resident: Resident) -> dict:
    raw = app.extensions["sunshine.redis"].get(f"{KEY_PREFIX}session:{resident.chat.openid}")
    return json.loads(raw) if raw else {}


def test_a_person_applies_and_gets_a_receipt_with_the_statutory_date(app, resident):
    first = resident.says("申请")
    assert "回执上的日期就是收到申请的日期，周末、节假日提交的也一样" in first
    assert "（第1步，最多9步）" in first
    summary = fill(resident, PERSON_STEPS[1:])
    assert "申请人：张三（自然人）" in summary, "the resident checks what they typed"
    assert "证件：居民身份证 220381********1230" in summary and ID_NUMBER not in summary
    assert "联系方式：13812341234" in summary
    assert "获取方式：纸质（邮寄）" in summary and f"邮寄地址：{ADDRESS}" in summary

    receipt = resident.says("确认")
    [case] = cases_of(app)
    with app.app_context():
        due = application_due(case.received_on, work_calendar(db.get_session(), case.received_on))
    assert re.fullmatch(r"SQ\d{8}-0001", case.number)
    assert case.number[2:10] == f"{case.received_on:%Y%m%d}"
    assert f"编号：{case.number}" in receipt
    assert f"收到时间：{day_text(case.received_on)} " in receipt and "（北京时间）" in receipt
    assert f"答复期限：20个工作日，最迟于{day_text(due.due)}（含当日）" in receipt
    assert "补正材料、缴纳信息处理费的时间不计入答复期限" in receipt
    assert "经本机关政府信息公开工作机构负责人同意，最多延长20个工作日" in receipt
    assert "到期没有收到答复的，您可以向上一级行政机关或者政府信息公开工作主管部门投诉" in receipt
    assert "依法申请行政复议或者提起行政诉讼" in receipt
    assert len(receipt.encode()) < 2048
    assert (case.due_on, case.due_provisional) == (due.due, due.provisional)
    assert f"进度 {case.number}" in receipt
    assert (case.applicant_kind, case.name, case.id_type) == (PERSON, "张三", "居民身份证")
    assert (case.form_wanted, case.address) == ("纸质（邮寄）", ADDRESS)
    assert case.text == "2025年村务公开的财务收支明细"


def test_an_organisation_applies_by_email(app, resident):
    steps = ["申请", "2", "3", "吉林省某某公益基金会", CREDIT_CODE, "info@jijin.org.cn"]
    fill(resident, steps)
    fill(resident, ["2025年度公益项目资金使用情况"])
    summary = resident.says("2")
    assert "申请人：吉林省某某公益基金会（社会公益组织）" in summary
    assert "证件：统一社会信用代码 913501********0Y43" in summary
    assert "请输入接收信息的电子邮箱" not in summary, "the contact e-mail is used"
    assert "确认" in summary
    resident.says("确认")
    [case] = cases_of(app)
    assert (case.applicant_kind, case.organisation_kind) == (ORGANISATION, "社会公益组织")
    assert (case.id_type, case.email, case.form_wanted) == (
        "统一社会信用代码",
        "info@jijin.org.cn",
        "电子邮件",
    )
    assert case.phone_sealed is None


def test_e_mail_delivery_asks_for_an_address_when_the_contact_was_a_phone(app, resident):
    fill(resident, PERSON_STEPS[:7])
    assert "请输入接收信息的电子邮箱" in resident.says("2")
    assert "电子邮箱格式不对" in resident.says("zhangsan@")
    assert "电子邮箱：zhangsan@163.com" in resident.says("zhangsan@163.com")


def test_paper_asks_whether_to_post_it_or_collect_it_in_person(app, resident):
    fill(resident, PERSON_STEPS[:7])
    assert "纸质件怎么交给您？回复 1 邮寄，2 到办公室自行领取" in resident.says("纸质")
    summary = resident.says("2")
    assert "请核对" in summary and "获取方式：纸质（自行领取）" in summary
    resident.says("确认")
    [case] = cases_of(app)
    assert case.form_wanted == "纸质（自行领取）" and case.address is None


def test_an_address_given_as_the_only_contact_is_sealed_in_the_dialogue_and_used_for_the_post(
    app, resident
):
    fill(resident, [*PERSON_STEPS[:5], ADDRESS, PERSON_STEPS[6], "1"])
    summary = resident.says("1")
    assert "请核对" in summary and f"联系方式：{ADDRESS}" in summary
    assert ADDRESS.encode() not in app.extensions["sunshine.redis"].get(
        f"{KEY_PREFIX}session:{resident.chat.openid}"
    )
    resident.says("确认")
    [case] = cases_of(app)
    assert case.address == ADDRESS


def test_another_document_is_checked_for_its_own_format(app, resident):
    fill(resident, ["申请", "1", "李四"])
    assert "请输入证件号码" in resident.says("护照")
    assert "5到30位字母或数字" in resident.says("E1")
    assert "第5步" in resident.says("E12345678")
    fill(resident, ["lisi@example.com", "某村低保名单", "1", "2"])
    resident.says("确认")
    [case] = cases_of(app)
    assert (case.id_type, case.id_number_masked) == ("护照", "E1*****78")


@pytest.mark.parametrize(
    ("before", "answer", "problem"),
    [
        (["申请"], "3", "请回复数字：1 个人，2 单位（法人或其他组织）。"),
        (["申请", "2"], "9", "请回复1到5中的一个数字。"),
        (["申请", "2", "1"], "公司", "请输入单位全称（4到100个字），与营业执照或登记证书一致。"),
        (
            ["申请", "2", "1", "某某农业有限公司"],
            "91350100M000100Y44",
            "统一社会信用代码校验不通过",
        ),
        (["申请", "2", "1", "某某农业有限公司"], "123", "统一社会信用代码应为18位"),
        (["申请", "1"], "张3", "请输入您的真实姓名（2到30个字，不含数字）。"),
        (["申请", "1", "张三"], "7", "请回复1（居民身份证），或直接回复证件名称"),
        (["申请", "1", "张三", "1"], "220381198001011231", "身份证号码校验不通过"),
        (["申请", "1", "张三", "1"], "22038119800101123", "身份证号码应为18位"),
        (["申请", "1", "张三", "1"], "220381198013011230", "身份证号码中的出生日期不对"),
        (PERSON_STEPS[:5], "1381234", "电话号码不对"),
        (PERSON_STEPS[:5], "zhang@san", "电子邮箱格式不对"),
        (PERSON_STEPS[:5], "毛城子", "地址太短了"),
        (PERSON_STEPS[:6], "啊", "请说得具体一些"),
        (PERSON_STEPS[:7], "9", "请回复数字：1 纸质，2 电子邮件。"),
        (PERSON_STEPS[:8], "3", "请回复数字：1 邮寄，2 到办公室自行领取。"),
        (PERSON_STEPS[:9], "某村", "地址太短了"),
    ],
)
def test_each_wrong_answer_gets_one_short_reprompt_and_the_step_stays(
    app, resident, before, answer, problem
):
    fill(resident, before)
    step = session_of(app, resident)["dialogue"]["step"]
    reply = resident.says(answer)
    assert problem in reply
    assert len(reply) < 80 and "\n" not in reply
    assert session_of(app, resident)["dialogue"]["step"] == step


def test_required_steps_cannot_be_skipped(resident):
    fill(resident, PERSON_STEPS[:3])
    assert resident.says("跳过").startswith("这一步不能跳过。")


def test_cancel_midway_files_nothing(app, resident):
    for count in (1, 4, 7, len(PERSON_STEPS)):
        fill(resident, PERSON_STEPS[:count])
        assert "已取消“政府信息公开申请”" in resident.says("取消")
    assert cases_of(app) == []


def test_a_timed_out_application_is_not_filed(app, resident):
    fill(resident, PERSON_STEPS)
    redis = app.extensions["sunshine.redis"]
    key = f"{KEY_PREFIX}session:{resident.chat.openid}"
    session = session_of(app, resident)
    session["dialogue"]["at"] -= app.config["DIALOGUE_TIMEOUT"] + 1
    redis.set(key, json.dumps(session))
    reply = resident.says("确认")
    assert "已自动取消" in reply and "发送“申请”重新开始" in reply
    assert cases_of(app) == []


def test_state_lost_with_redis_midway_is_explained_and_nothing_filed(app, resident):
    fill(resident, PERSON_STEPS[:5])
    app.extensions["sunshine.redis"].flushdb()
    reply = resident.says(PHONE)
    assert "系统刚才中断过" in reply and "发送“申请”重新开始" in reply
    assert cases_of(app) == []


def test_identity_number_phone_and_address_never_sit_in_redis_in_clear(app, resident):
    fill(resident, PERSON_STEPS)
    stored = app.extensions["sunshine.redis"].get(f"{KEY_PREFIX}session:{resident.chat.openid}")
    assert ID_NUMBER.encode() not in stored and PHONE.encode() not in stored
    assert ADDRESS.encode() not in stored
    assert b"220381********1230" in stored


def test_the_database_holds_them_sealed_and_masked(app, resident):
    fill(resident, [*PERSON_STEPS, "确认"])
    [case] = cases_of(app)
    assert (case.id_number_masked, case.phone_masked) == ("220381********1230", "138****1234")
    assert ID_NUMBER not in case.id_number_sealed and PHONE not in case.phone_sealed
    with app.app_context():
        assert unseal(case.id_number_sealed) == ID_NUMBER
        assert unseal(case.phone_sealed) == PHONE


def test_a_weekend_receipt_is_dated_that_day_and_counted_from_the_next_working_day(
    app, resident, monkeypatch
):
    saturday_evening = datetime(2026, 3, 7, 12, 30, tzinfo=UTC)  # 20:30 in Beijing
    monkeypatch.setattr(clock, "now", lambda: saturday_evening)
    receipt = fill(resident, [*PERSON_STEPS, "确认"])
    assert "SQ20260307-0001" in receipt
    assert "收到时间：2026年3月7日 20:30（北京时间）" in receipt
    assert "最迟于2026年4月3日（含当日）" in receipt, "20 working days from Monday 9 March"


def test_a_receipt_in_late_december_is_provisional_for_resident_and_staff(
    app, resident, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    receipt = fill(resident, [*PERSON_STEPS, "确认"])
    assert "2027年1月" in receipt and "（暂定）" in receipt and "尚未公布节假日安排" in receipt
    [case] = cases_of(app)
    assert case.due_provisional


def test_safe_mode_application(safe_app):
    resident = Resident(safe_app, safe_mode=True)
    receipt = fill(resident, [*PERSON_STEPS, "确认"])
    assert "已收到您的政府信息公开申请" in receipt
    assert len(cases_of(safe_app)) == 1


def test_the_11th_application_of_a_day_is_numbered_and_marked_not_refused(make_app):
    """Art. 35: many applications may be questioned, but only after they are received."""
    app = make_app(CASE_DAILY_LIMIT=10, CASE_MESSAGE_RATE=1000)
    resident = Resident(app)
    receipts = [fill(resident, [*PERSON_STEPS, "确认"]) for _ in range(11)]
    cases = cases_of(app)
    assert [c.number[-4:] for c in cases] == [f"{n:04d}" for n in range(1, 12)]
    assert [c.over_daily_limit for c in cases] == [False] * 10 + [True]
    assert f"编号：{cases[10].number}" in receipts[10] and "答复期限" in receipts[10]
    assert "我们可能请您说明理由" in receipts[10] and "说明理由" not in receipts[9]
    assert "编号：TS" in fill(resident, ["投诉", "路灯坏了", "好了", "跳过", "确认"])
    assert cases_of(app)[-1].over_daily_limit, "applications and complaints count together"
    neighbour = fill(Resident(app, openid="o-neighbour"), [*PERSON_STEPS, "确认"])
    assert not cases_of(app)[-1].over_daily_limit and "说明理由" not in neighbour


def test_a_confirmation_is_never_lost_to_the_message_rate(make_app):
    app = make_app(CASE_MESSAGE_RATE=len(PERSON_STEPS))
    resident = Resident(app)
    summary = fill(resident, PERSON_STEPS)
    assert "请核对" in summary, "every answer within the rate"
    receipt = resident.says("确认")
    assert "已收到您的政府信息公开申请" in receipt and len(cases_of(app)) == 1
    assert resident.says("申请") == "您发送得太快了，请稍等一分钟再发。刚才这条没有记下。"


def test_answers_sent_too_fast_are_refused_and_not_taken(make_app):
    app = make_app(CASE_MESSAGE_RATE=4)
    resident = Resident(app)
    fill(resident, ["申请", "1", "张三", "1"])
    reply = resident.says(ID_NUMBER)
    assert reply == "您发送得太快了，请稍等一分钟再发。刚才这条没有记下。"
    assert session_of(app, resident)["dialogue"]["step"] == "resident_id"


def test_logs_carry_neither_the_openid_nor_personal_data(app, resident, caplog):
    caplog.set_level("DEBUG")
    fill(resident, [*PERSON_STEPS, "确认"])
    for secret in (resident.chat.openid, ID_NUMBER, PHONE, "张三"):
        assert secret not in caplog.text
