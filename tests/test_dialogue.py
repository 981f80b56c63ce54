"""Dialogues as a resident lives them: steps, 取消/跳过/确认/帮助, bad input, time-out, lost state."""

from __future__ import annotations

import json

from bot import db
from bot.engine.dialogue import CONFIRM_HINT
from bot.models import DialogueMark
from bot.store import KEY_PREFIX
from tests.support import Resident


def redis_of(app):
    return app.extensions["sunshine.redis"]


def test_a_whole_dialogue_with_validation_skip_and_confirm(app, resident):
    first = resident.says("登记")
    assert "（第1步，共4步）请输入您的姓名" in first
    assert "取消" in first
    assert "第2步" in resident.says("张三")
    assert resident.says("12345") == "手机号应为 1 开头的 11 位数字，请重新输入。"
    third = resident.says("138 0013 8000")
    assert "第3步" in third and "跳过" in third
    assert "第4步" in resident.says("跳过")
    assert (
        resident.says("在吗") == "这一步请发送图片。\n" + resident.says("帮助").split("\n（回复")[0]
    )
    assert "已收到" in resident.says("/image https://mmbiz.qpic.cn/a.jpg")
    assert "已收到" in resident.says("/image https://mmbiz.qpic.cn/b.jpg")
    summary = resident.says("好了")
    assert "姓名：张三" in summary and "电话：13800138000" in summary
    assert "备注：无" in summary and "照片：2张" in summary
    assert "确认" in summary
    assert resident.says("好的") == CONFIRM_HINT
    assert resident.says("确认") == "已提交，张三。"
    assert redis_of(app).get(f"{KEY_PREFIX}test:submitted") == b"1"
    assert "没有正在填写的内容" in resident.says("确认"), "a second 确认 submits nothing"
    assert redis_of(app).get(f"{KEY_PREFIX}test:submitted") == b"1"


def test_required_steps_cannot_be_skipped_and_confirm_waits_for_the_end(resident):
    resident.says("登记")
    assert resident.says("跳过").startswith("这一步不能跳过。")
    assert resident.says("确认").startswith("还有内容没有填完。")


def test_cancel_at_any_step_submits_nothing(app, resident):
    for steps in ([], ["李四"], ["李四", "13800138000"], ["李四", "13800138000", "跳过", "好了"]):
        resident.says("登记")
        for answer in steps:
            resident.says(answer)
        assert resident.says("取消") == (
            "已取消“测试登记”，没有提交任何内容。需要时发送“登记”重新开始，"
            "发送“帮助”可查看其他功能。"
        )
    assert redis_of(app).get(f"{KEY_PREFIX}test:submitted") is None
    assert "没有找到" in resident.says("李四"), "after 取消 text is a search again"


def test_help_inside_a_dialogue_repeats_the_current_step(resident):
    resident.says("登记")
    resident.says("王五")
    assert resident.says("帮助").startswith("（第2步，共4步）请输入手机号。")
    assert resident.says("？").startswith("（第2步，共4步）请输入手机号。")


def test_commands_inside_a_dialogue_are_answers(resident):
    resident.says("登记")
    assert "第2步" in resident.says("联系"), "联系 is the name given, not a command"


def test_a_menu_click_during_a_dialogue_answers_and_keeps_the_dialogue(resident):
    resident.says("登记")
    reply = resident.says("/click CONTACT")
    assert "0434-6631321" in reply and "您正在填写的“测试登记”还在" in reply
    assert "第2步" in resident.says("赵六")


def test_a_timed_out_dialogue_is_announced_and_the_message_not_taken(app, resident):
    resident.says("登记")
    resident.says("孙七")
    key = f"{KEY_PREFIX}session:{resident.chat.openid}"
    session = json.loads(redis_of(app).get(key))
    session["dialogue"]["at"] -= app.config["DIALOGUE_TIMEOUT"] + 1
    redis_of(app).set(key, json.dumps(session))
    reply = resident.says("13800138000")
    assert "超过30分钟没有操作，已自动取消" in reply and "发送“登记”重新开始" in reply
    assert "没有找到" in resident.says("13800138000"), "the next message is handled normally"


def test_lost_dialogue_state_is_explained_once(app, resident):
    resident.says("登记")
    resident.says("周八")
    redis_of(app).flushdb()  # what a Redis restart without persistence does
    reply = resident.says("13800138000")
    assert "系统刚才中断过" in reply and "发送“登记”重新开始" in reply
    assert "没有找到" in resident.says("13800138000")
    with app.app_context():
        assert db.get_session().query(DialogueMark).count() == 0


def test_confirm_after_lost_state_is_explained(app, resident):
    resident.says("登记")
    redis_of(app).flushdb()
    assert "系统刚才中断过" in resident.says("确认")


def test_dialogue_marks_are_cleared_when_a_dialogue_ends(app, resident):
    resident.says("登记")
    with app.app_context():
        assert db.get_session().query(DialogueMark).count() == 1
    resident.says("取消")
    with app.app_context():
        assert db.get_session().query(DialogueMark).count() == 0


def test_residents_do_not_share_dialogues(app):
    alice, bob = Resident(app, openid="o-alice"), Resident(app, openid="o-bob")
    alice.says("登记")
    assert "没有找到" in bob.says("钱九")
    assert "第2步" in alice.says("钱九")


def test_starting_another_dialogue_says_the_first_was_left(resident):
    resident.says("登记")
    resident.says("吴十")
    assert resident.says("/click SURVEY").startswith("（第1步，共4步）")


def test_each_dialogue_has_one_submission_id_for_all_its_steps(app, resident):
    key = f"{KEY_PREFIX}session:{resident.chat.openid}"

    def current_id() -> str:
        return json.loads(redis_of(app).get(key))["dialogue"]["id"]

    resident.says("登记")
    first = current_id()
    resident.says("郑十一")
    resident.says("12")
    assert current_id() == first
    resident.says("/click SURVEY")
    assert current_id() != first, "starting again is a new submission"
