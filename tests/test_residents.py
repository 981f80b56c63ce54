"""Residents who write sentences or speak, through the signed webhook, in plaintext and safe mode.

Plain sentences reach what they mean; a voice note is its transcript; an answer can be
changed at the summary; prompts count steps honestly and say what arrived.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.cases.privacy import unseal
from bot.models.cases import Case
from bot.store import KEY_PREFIX
from bot.wechat.chat import describe
from tests.support import AES_KEY, APPID, Resident, logged_in, redis_dump

PHONE = "13812341234"
ID_NUMBER = "220381198001011230"
ADDRESS = "吉林省公主岭市毛城子镇某村3组"


@pytest.fixture(params=["plaintext", "safe"])
def mode_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    if request.param == "safe":
        return make_app(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)
    return make_app()


@pytest.fixture
def person(mode_app: Flask) -> Resident:
    return Resident(mode_app, safe_mode=bool(mode_app.config["WECHAT_AES_KEY"]))


def cases_of(app: Flask) -> list[Case]:
    with app.app_context():
        session = db.get_session()
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        for case in cases:
            list(case.attachments)
        return cases


def session_of(app: Flask, resident: Resident) -> bytes:
    return app.extensions["sunshine.redis"].get(f"{KEY_PREFIX}session:{resident.chat.openid}")


def fill(resident: Resident, lines: list[str]) -> str:
    reply = ""
    for line in lines:
        reply = resident.says(line)
    return reply


# ---- 1. plain sentences ----


def test_greetings_and_thanks_get_a_short_answer_that_says_what_to_type(person):
    for greeting in ("你好", "在吗", "有人没啊？？", "过年好啊 给镇里的同志拜个年"):
        reply = person.says(greeting)
        assert reply.startswith("您好") and "帮助" in reply and "没有找到" not in reply
    for thanks in ("谢谢", "好的 那俺明天上镇里看看去 谢谢", "👍"):
        reply = person.says(thanks)
        assert reply.startswith("不客气") and "帮助" in reply


def test_the_report_contact_and_progress_are_reached_in_words(person, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2018, 3, 1, 2, tzinfo=UTC))
    for words in ("2017年报", "去年的年报", "报告", "俺想看看你们的年度报告"):
        assert "/report/2017" in person.says(words), words
    for words in ("怎么联系你们", "办公电话", "你们周六上班不"):
        reply = person.says(words)
        assert "电话：" in reply and "办公时间：" in reply, words
        assert "今天（3月1日，星期四）是工作日" in reply
    for words in ("进度怎么样了", "我的投诉处理得咋样了"):
        assert "您还没有提交过申请或投诉" in person.says(words)


def test_progress_in_a_sentence_finds_the_case_by_its_number(person, mode_app):
    fill(person, ["投诉", "村口的井盖丢了", "好了", "跳过", "确认"])
    [case] = cases_of(mode_app)
    assert f"编号：{case.number}" in person.says(f"进度怎么样了 {case.number.lower()}")
    assert f"编号：{case.number}" in person.says(f"{case.number}咋样了")


def test_a_search_lists_items_only_about_the_query(person):
    reply = person.says("查询 火星移民计划")
    assert "没有找到与“火星移民计划”相关" in reply and "/items/" not in reply.split("目录")[0]
    assert "城乡最低生活保障" in person.says("低保标准是多少")


def test_asking_to_complain_starts_the_complaint_with_the_rest_of_the_sentence(person, mode_app):
    reply = person.says("我要投诉村主任 评低保也不开会 他一个人说了算")
    assert "已记下您说的：“村主任 评低保也不开会 他一个人说了算”" in reply
    assert "（第1步，最多3步）说完请回复“好了”" in reply
    assert "村主任".encode() not in session_of(mode_app, person), "sealed in the session"
    assert "已收到照片" in person.says("/image https://mmbiz.qpic.cn/a.jpg")
    assert "（第2步，最多3步）" in person.says("好了"), "the step it began with counts"
    person.says("跳过")
    person.says("确认")
    [case] = cases_of(mode_app)
    assert case.category == "投诉" and case.text == "村主任 评低保也不开会 他一个人说了算"


def test_reporting_suggesting_and_applying_in_a_sentence(person, mode_app):
    assert "已记下您说的：“永安村会计私分补贴款”" in person.says("我要举报永安村会计私分补贴款")
    person.says("取消")
    assert "已记下您说的：“村口安几个路灯”" in person.says("建议村口安几个路灯")
    person.says("取消")
    first = person.says("我想申请公开2018年东兴村的村级财务收支明细")
    assert "已记下您要申请公开的信息：“2018年东兴村的村级财务收支明细”" in first
    assert "（第1步，最多8步）您以什么身份申请" in first, "the carried step is not counted"
    summary = fill(person, ["1", "张三", "1", ID_NUMBER, PHONE, "2", "zs@163.com"])
    assert "所需信息：2018年东兴村的村级财务收支明细" in summary
    assert "请说明您要申请公开哪些政府信息" not in summary
    person.says("确认")
    [case] = cases_of(mode_app)
    assert case.text == "2018年东兴村的村级财务收支明细"


def test_a_grievance_is_offered_as_a_complaint_and_one_word_files_it(person, mode_app):
    reply = person.says("路灯坏了没人管")
    assert "回复“投诉”" in reply and "没有找到" not in reply
    assert "路灯".encode() not in session_of(mode_app, person), "the offer is sealed"
    assert "已记下您说的：“路灯坏了没人管”" in person.says("投诉")
    fill(person, ["好了", "跳过", "确认"])
    [case] = cases_of(mode_app)
    assert case.text == "路灯坏了没人管"


def test_an_offer_lasts_one_message(person):
    person.says("垃圾好几天没人拉 都堆到道上了")
    person.says("低保")
    assert "请说明您要投诉的事情" in person.says("投诉"), "nothing carried any more"


def test_a_grievance_gets_the_best_catalogue_match_when_one_is_relevant(person):
    reply = person.says("今年的低保到现在还没发 俺家等着用钱")
    assert "回复“投诉”" in reply and "也许有用的公开信息：" in reply
    assert "最低生活保障" in reply.split("也许有用的公开信息：")[1]
    assert "也许有用" not in person.says("路灯坏了没人管")


def test_a_long_pasted_complaint_is_offered_and_kept_whole(person, mode_app):
    account = "，".join(["俺们屯东头的桥塌了一半"] * 250)  # 2999 characters
    assert "回复“投诉”" in person.says(account)
    assert "已记下您说的" in person.says("投诉")
    fill(person, ["好了", "跳过", "确认"])
    [case] = cases_of(mode_app)
    assert case.text == account


# ---- 2. voice notes ----


def test_a_voice_note_is_its_transcript_and_its_file_is_kept_in_a_complaint(person, mode_app):
    reply = person.says("/voice 嗯，我要投诉路灯坏了。")
    assert "已记下您说的：“路灯坏了”" in reply
    assert "已收到语音，已转成文字" in person.says("/voice 就在村东头。")
    assert "没能转成文字，会作为证据保存" in person.says("/voice")
    summary = fill(person, ["/voice 好了。", "跳过"])
    assert "语音：3条" in summary
    fill(person, ["改 内容", "/voice 路灯坏了，就在村东头。"])
    summary = person.says("好了")
    assert "内容：路灯坏了，就在村东头" in summary and "语音：4条" in summary, "recordings stay"
    person.says("确认")
    [case] = cases_of(mode_app)
    assert case.text == "路灯坏了，就在村东头"
    assert [a.kind for a in case.attachments] == ["voice"] * 4
    assert all(a.media_id.startswith("demo-voice-") for a in case.attachments)


def test_a_voice_note_without_words_outside_a_dialogue_asks_to_type(person):
    reply = person.says("/voice")
    assert "没能转成文字" in reply and "打字" in reply
    assert "/report/2017" in person.says("/voice 年报。")
    assert person.says("/voice 你好啊。").startswith("您好")


def test_a_voice_note_answers_any_step_and_one_without_words_is_asked_again(person, mode_app):
    fill(person, ["申请", "/voice 1。", "/voice 张三。"])
    reply = person.says("/voice")
    assert "这条语音没能转成文字，这一步请打字发送" in reply
    summary = fill(person, ["1", ID_NUMBER, PHONE, "/voice 2025年的村务公开财务明细。", "2"])
    summary = person.says("zs@163.com")
    assert "申请人：张三（自然人）" in summary and "所需信息：2025年的村务公开财务明细" in summary


def test_a_complaint_of_photos_and_an_untranscribed_voice_asks_for_words(person, mode_app):
    fill(person, ["投诉", "/image https://mmbiz.qpic.cn/a.jpg", "/voice"])
    prompt = person.says("好了")
    assert "还没有文字说明" in prompt and "照片和位置已收到" not in prompt
    fill(person, ["垃圾堆在路边", "跳过", "确认"])
    [case] = cases_of(mode_app)
    assert case.text == "垃圾堆在路边"
    assert sorted(a.kind for a in case.attachments) == ["image", "voice"]


def test_voice_attachments_are_listed_for_staff(mode_app, person):
    fill(person, ["/voice 我要投诉路灯坏了", "好了", "跳过", "确认"])
    [case] = cases_of(mode_app)
    page = logged_in(mode_app, "wang", "clerk").page(f"/admin/cases/{case.number}")
    assert (
        "语音（1条" in page
        and "语音1：尚未下载：服务器没有配置公众号的 AppID" in page
        and "照片（" not in page
    )


# ---- 3. correcting before 确认 ----


APPLYING = ["申请", "1", "张三", "1", ID_NUMBER, PHONE, "2025年村务公开明细"]


def test_one_answer_is_changed_at_the_summary_by_its_number_or_its_name(person, mode_app):
    summary = fill(person, [*APPLYING[:5], "13900000000", APPLYING[6], "2", "zs@163.com"])
    assert "3. 联系方式：13900000000" in summary and "6. 电子邮箱：zs@163.com" in summary
    asked = person.says("电话写错了")
    assert "请重新填写“联系方式”" in asked and "（修改）请留下联系方式" in asked
    summary = person.says(PHONE)
    assert f"3. 联系方式：{PHONE}" in summary and "13900000000" not in summary
    assert "请重新填写“电子邮箱”" in person.says("6")
    summary = person.says("ls@163.com")
    assert "6. 电子邮箱：ls@163.com" in summary
    person.says("确认")
    [case] = cases_of(mode_app)
    assert case.phone_masked == "138****1234" and case.email == "ls@163.com"


def test_changing_a_choice_asks_what_it_now_needs_and_drops_what_it_no_longer_does(person):
    summary = fill(person, [*APPLYING, "1", "1", ADDRESS])
    assert f"邮寄地址：{ADDRESS}" in summary
    asked = person.says("改 获取方式")
    assert "希望以什么形式获取信息" in asked
    summary = fill(person, ["2", "zs@163.com"])
    assert "获取方式：电子邮件" in summary and "邮寄地址" not in summary
    assert "电子邮箱：zs@163.com" in summary


def test_a_complaint_changes_its_phone_or_its_text_and_keeps_its_photos(person, mode_app):
    fill(person, ["投诉", "井盖丢了", "/image https://mmbiz.qpic.cn/a.jpg", "好了", PHONE])
    summary = person.says("张先生")
    assert f"电话：{PHONE}" in summary and "称呼：张先生" in summary
    assert "跳过" in person.says("改 电话")
    summary = person.says("跳过")
    assert "电话：不留（匿名）" in summary and "称呼" not in summary
    fill(person, ["改 内容", "村口的井盖丢了三天了"])
    summary = person.says("好了")
    assert "内容：村口的井盖丢了三天了" in summary and "照片：1张" in summary
    person.says("确认")
    [case] = cases_of(mode_app)
    assert case.text == "村口的井盖丢了三天了" and case.anonymous and len(case.attachments) == 1


def test_what_cannot_be_changed_or_is_unclear_says_what_to_send(person):
    fill(person, ["投诉", "井盖丢了", "好了"])
    person.says("跳过")
    assert "要改哪一项？" in person.says("改")
    assert "没有找到“天气”这一项" in person.says("改 天气")
    assert "“类别”不能在这里改" in person.says("改 1")
    assert "无误请回复“确认”" in person.says("嗯")


def test_the_summary_shows_what_was_typed_and_its_cached_copy_is_sealed(person, mode_app):
    fill(person, ["申请", "1", "欧阳娜娜", "1", ID_NUMBER, PHONE, "2025年村务公开明细", "1", "1"])
    last = {"MsgType": "text", "Content": ADDRESS, "MsgId": 424243}
    summary = describe(person.chat.send(last))
    assert "申请人：欧阳娜娜（自然人）" in summary and f"邮寄地址：{ADDRESS}" in summary
    assert f"联系方式：{PHONE}" in summary
    assert "220381********1230" in summary and ID_NUMBER not in summary
    dump = redis_dump(mode_app)
    for secret in ("欧阳娜娜", "毛城子镇某村3组", PHONE, ID_NUMBER):
        assert secret.encode() not in dump, secret
    assert describe(person.chat.send(last)) == summary, "a retry gets the same summary"


# ---- 4. wording ----


def step_counts(replies: list[str]) -> list[tuple[int, str]]:
    found = [re.search(r"（第(\d+)步，(共\d+步|最多\d+步|最后一步)）", r) for r in replies]
    return [(int(m[1]), m[2]) for m in found if m]


def test_the_application_step_count_never_grows_and_ends_on_the_last_step(person):
    replies = [
        person.says(line)
        for line in ["申请", "1", "张三", "1", ID_NUMBER, PHONE, "2025年村务公开明细", "1", "1"]
    ]
    counts = step_counts(replies)
    assert [n for n, _ in counts] == list(range(1, 10))
    totals = [int(re.sub(r"\D", "", total) or n) for n, total in counts]
    assert totals == sorted(totals, reverse=True), counts
    assert counts[-1] == (9, "最后一步")
    assert "请输入邮寄地址" in replies[-1]


def test_acknowledgements_say_what_arrived(person):
    person.says("投诉")
    assert person.says("/image https://mmbiz.qpic.cn/a.jpg").startswith("已收到照片。")
    assert person.says("/location 43.52 124.81 前进村").startswith("已收到位置。")
    assert person.says("路灯坏了").startswith("已收到文字。")


def test_cancel_says_what_to_type_next(person):
    person.says("申请")
    reply = person.says("取消")
    assert "没有提交任何内容" in reply and "发送“申请”重新开始" in reply and "帮助" in reply


def test_contact_gives_office_hours(person, mode_app):
    assert "办公时间：工作日办公" in person.says("联系")
    with mode_app.app_context():
        from bot.models import Body

        session = db.get_session()
        session.scalars(select(Body)).one().hours = "周一至周五 8:30—16:30"
        session.commit()
    assert "办公时间：周一至周五 8:30—16:30" in person.says("联系")


def test_a_sealed_reply_opens_only_with_the_data_key(mode_app, person):
    fill(person, ["投诉", "井盖丢了", "好了"])
    person.says("跳过")
    stored = [
        value
        for key in mode_app.extensions["sunshine.redis"].scan_iter(f"{KEY_PREFIX}delivery:*")
        if (value := mode_app.extensions["sunshine.redis"].get(key)).startswith(b"\x01")
    ]
    assert len(stored) == 1, "the summary, and only it, is kept sealed"
    with mode_app.app_context():
        assert "井盖丢了" in unseal(stored[0][1:].decode())
    assert json.loads(session_of(mode_app, person))["dialogue"]["step"] == "__confirm__"
