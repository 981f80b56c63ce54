"""进度 编号, 我的 and the PROGRESS button: only the submitter's own cases, nothing about others'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import db
from bot.cases.texts import NOT_FOUND
from bot.models.cases import Case, CaseReply
from tests.conftest import Resident


def file_complaint(resident: Resident, text: str = "路灯坏了") -> str:
    for line in ("投诉", text, "好了", "跳过"):
        resident.says(line)
    receipt = resident.says("确认")
    return receipt.split("编号：")[1].split("\n")[0]


def add_replies(app, number: str, *bodies: str) -> None:
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
        for n, body in enumerate(bodies):
            session.add(
                CaseReply(
                    case=case,
                    body=body,
                    author="镇政务公开办",
                    created_at=start + timedelta(hours=n),
                )
            )
        session.commit()


def test_progress_shows_status_deadlines_and_replies(app, resident):
    number = file_complaint(resident)
    shown = resident.says(f"进度 {number}")
    assert f"编号：{number}（投诉）" in shown
    assert "状态：已收到，等待办理" in shown and "是否受理：15日内" in shown
    assert "暂时还没有答复" in shown
    add_replies(app, number, "已转交村委会处理。", "路灯已于今日修复。")
    shown = resident.says(f"进度 {number}")
    assert "工作人员答复（共2条）：" in shown
    assert "2026年11月28日 09:00：已转交村委会处理。" in shown
    assert "2026年11月28日 10:00：路灯已于今日修复。" in shown


def test_only_the_latest_replies_are_shown_and_long_ones_are_cut(app, resident):
    number = file_complaint(resident)
    add_replies(app, number, "第一条", "第二条", "第三条", "长" * 400)
    shown = resident.says(f"进度 {number}")
    assert "共4条" in shown and "第一条" not in shown and "第二条" in shown
    assert "长" * 300 + "…" in shown and "长" * 301 not in shown


def test_a_number_is_read_however_it_is_typed(resident):
    number = file_complaint(resident)
    sloppy = "ｔｓ" + number[2:10] + " " + number[11:]
    assert f"编号：{number}" in resident.says(f"进度{sloppy}")
    assert f"编号：{number}" in resident.says(f"查询进度 {number.lower()}")


def test_someone_elses_case_is_exactly_as_unknown_as_a_wrong_number(app, resident):
    number = file_complaint(resident)
    stranger = Resident(app, openid="o-stranger")
    others = stranger.says(f"进度 {number}")
    wrong = stranger.says(f"进度 {number[:-4]}9999")
    garbage = stranger.says("进度 我家的那件事")
    assert others == wrong == garbage == NOT_FOUND
    assert number not in others


def test_mine_lists_only_my_cases_newest_first(app, resident):
    first = file_complaint(resident, "路灯坏了")
    second = file_complaint(resident, "垃圾没人收")
    file_complaint(Resident(app, openid="o-neighbour"), "邻居的事")
    listed = resident.says("我的")
    assert "您提交的事项（共2件）：" in listed
    assert listed.index(second) < listed.index(first)
    assert "发送“进度 编号”查看详情和答复" in listed
    assert resident.says("/click PROGRESS") == listed
    assert resident.says("进度") == listed


def test_mine_without_cases_says_how_to_start(app):
    reply = Resident(app, openid="o-new").says("我的")
    assert "您还没有提交过申请或投诉" in reply and "申请" in reply and "投诉" in reply


def test_a_closed_case_shows_no_deadline(app, resident):
    number = file_complaint(resident)
    with app.app_context():
        session = db.get_session()
        session.scalars(select(Case).where(Case.number == number)).one().status = "closed"
        session.commit()
    shown = resident.says(f"进度 {number}")
    assert "状态：已办结" in shown and "办结期限" not in shown
    assert "期限" not in resident.says("我的")
