"""Staff replies reaching residents: pushed in the 48-hour window, announced or waiting outside it,
retried after failures, never lost; then the resident's rating and the call-back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from bot import clock, db
from bot.cases import replies
from bot.models.cases import CaseReply
from bot.privacy import Resident as Identity
from bot.store import EXTENSION as STORE
from bot.wechat.window import seen_key
from tests import fake_wechat
from tests.support import (
    Resident,
    audit_entries,
    case_row,
    file_application,
    file_complaint,
    logged_in,
    post,
)

OPENID = "o-resident-1"


@pytest.fixture
def api_app(make_app, fake_api) -> Flask:
    return make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )


def close_window(app: Flask, openid: str = OPENID) -> None:
    """As if the resident's last message were more than 48 hours old."""
    app.extensions[STORE].delete(seen_key(Identity(openid)))


def texts_sent(fake_api, openid: str = OPENID) -> list[str]:
    return [m["text"]["content"] for m in fake_api.api.sent_messages if m["touser"] == openid]


def reply_states(app: Flask, number: str) -> list[str]:
    return [reply.delivery for reply in case_row(app, number).replies]


# ---- the window is open ----


def test_a_reply_inside_the_window_is_pushed_to_the_right_resident(api_app, fake_api):
    resident = Resident(api_app)
    Resident(api_app, openid="o-neighbour").says("帮助")
    number = file_complaint(resident)
    console = logged_in(api_app, "wang", "handler")

    response = post(console, f"/admin/cases/{number}/reply", body="已安排电工明天维修。")

    assert response.status_code == 302
    [sent] = fake_api.api.sent_messages
    assert sent["touser"] == OPENID and sent["msgtype"] == "text"
    assert sent["text"]["content"] == f"【{number}】您的投诉有新的答复：\n已安排电工明天维修。"
    assert reply_states(api_app, number) == ["pushed"]
    page = console.page(f"/admin/cases/{number}")
    assert "已通过客服消息推送给居民" in page and "送达情况：已通过客服消息推送" in page


def test_a_final_reply_asks_for_a_rating(api_app, fake_api):
    resident = Resident(api_app)
    number = file_application(resident)
    console = logged_in(api_app, "wang", "handler")
    post(console, f"/admin/cases/{number}/close", outcome="1", body="所需信息见附件，已邮寄。")
    [text] = texts_sent(fake_api)
    assert "办理结果：予以公开" in text and "60日内" in text and "6个月内" in text
    assert text.endswith(replies.RATING_PROMPT)


# ---- outside the window ----


def test_outside_the_window_a_reply_waits_until_the_resident_asks(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    close_window(api_app)
    console = logged_in(api_app, "wang", "handler")

    post(console, f"/admin/cases/{number}/reply", body="已转交村委会处理。")

    assert fake_api.api.sent_messages == []
    assert reply_states(api_app, number) == ["waiting"]
    page = console.page(f"/admin/cases/{number}")
    assert "等待居民来问" in page and "重新推送</button>" in page
    mine = resident.says("我的")
    assert mine.startswith(f"您有新的答复：{number}。")
    shown = resident.says(f"进度 {number}")
    assert "工作人员答复：" in shown and "已转交村委会处理。" in shown
    assert reply_states(api_app, number) == ["read"]
    assert "居民已在对话中查看" in console.page(f"/admin/cases/{number}")
    assert "您有新的答复" not in resident.says("我的")
    assert "工作人员答复（共1条）" in resident.says(f"进度 {number}"), "then the usual summary"


def test_long_waiting_replies_come_one_message_at_a_time(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    for word in ("第一条", "第二条", "第三条"):
        post(console, f"/admin/cases/{number}/reply", body=word + "长" * 590)

    shown = [resident.says(f"进度 {number}") for _ in range(4)]

    assert "第一条" in shown[0] and "还有2条答复" in shown[0] and "第二条" not in shown[0]
    assert "第二条" in shown[1] and "还有1条答复" in shown[1]
    assert "第三条" in shown[2] and "还有" not in shown[2]
    assert "工作人员答复（共3条）" in shown[3]
    assert all(len(text.encode()) <= 2047 for text in shown)
    assert reply_states(app, number) == ["read", "read", "read"]


def test_a_waiting_reply_is_pushed_once_the_resident_writes_again(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    close_window(api_app)
    console = logged_in(api_app, "wang", "handler")
    post(console, f"/admin/cases/{number}/reply", body="已转交村委会处理。")
    runner = api_app.test_cli_runner()

    quiet = runner.invoke(args=["replies", "retry"])
    assert quiet.exit_code == 0 and "Pushed 0" in quiet.output
    assert fake_api.api.sent_messages == []

    resident.says("联系")  # the resident writes: the window opens again
    pushed = runner.invoke(args=["replies", "retry"])

    assert pushed.exit_code == 0 and "Pushed 1 reply(ies)" in pushed.output
    assert texts_sent(fake_api) == [f"【{number}】您的投诉有新的答复：\n已转交村委会处理。"]
    assert reply_states(api_app, number) == ["pushed"]
    again = runner.invoke(args=["replies", "retry"])
    assert "Pushed 0" in again.output and len(fake_api.api.sent_messages) == 1


def test_a_subscription_message_announces_a_reply_when_configured(make_app, fake_api):
    app = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
        REPLY_TEMPLATE_ID="tmpl-progress",
        REPLY_TEMPLATE_KEYS="character_string1, phrase2, time3",
    )
    resident = Resident(app)
    number = file_complaint(resident)
    close_window(app)
    console = logged_in(app, "wang", "handler")

    post(console, f"/admin/cases/{number}/reply", body="已转交村委会处理。")

    [sent] = fake_api.api.sent_subscriptions
    assert sent["touser"] == OPENID and sent["template_id"] == "tmpl-progress"
    assert sent["data"]["character_string1"]["value"] == f"投诉{number}"
    assert sent["data"]["phrase2"]["value"] == "有答复"
    assert set(sent["data"]) == {"character_string1", "phrase2", "time3"}
    [reply] = case_row(app, number).replies
    assert reply.delivery == "waiting" and reply.notified_at is not None
    page = console.page(f"/admin/cases/{number}")
    assert "已发送订阅消息提醒" in page
    post(console, f"/admin/cases/{number}/push")
    assert len(fake_api.api.sent_subscriptions) == 1, "announced once per reply"


def test_a_resident_who_refused_subscriptions_waits_for_the_reply(make_app, fake_api):
    app = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
        REPLY_TEMPLATE_ID="tmpl-progress",
    )
    fake_api.api.refuse_subscriptions = True
    resident = Resident(app)
    number = file_complaint(resident)
    close_window(app)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/reply", body="已处理。")
    [reply] = case_row(app, number).replies
    assert reply.delivery == "waiting" and "43101" in reply.last_error


def test_without_the_wechat_api_a_reply_waits_for_the_resident(app, resident):
    number = file_complaint(resident)
    console = logged_in(app, "wang", "handler")
    response = post(console, f"/admin/cases/{number}/reply", body="已处理。")
    assert response.status_code == 302
    [reply] = case_row(app, number).replies
    assert reply.delivery == "waiting" and "未配置微信接口" in reply.last_error
    page = console.page(f"/admin/cases/{number}")
    assert "未配置微信接口，不能推送" in page and "重新推送</button>" not in page
    assert "已处理。" in resident.says(f"进度 {number}")


# ---- failures ----


def test_a_failed_push_is_visible_and_retried_until_it_goes_through(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    console = logged_in(api_app, "wang", "handler")
    fake_api.api.fail_sends_with = -1  # WeChat's "system busy"

    post(console, f"/admin/cases/{number}/reply", body="第一条答复")
    post(console, f"/admin/cases/{number}/reply", body="第二条答复")

    assert reply_states(api_app, number) == ["retry", "waiting"], "the second waits its turn"
    page = console.page(f"/admin/cases/{number}")
    assert "推送失败，等待重试" in page and "微信接口错误 -1" in page
    runner = api_app.test_cli_runner()
    failing = runner.invoke(args=["replies", "retry"])
    assert failing.exit_code == 1 and "1 failed and will be retried" in failing.output

    fake_api.api.fail_sends_with = None
    done = runner.invoke(args=["replies", "retry"])

    assert done.exit_code == 0 and "Pushed 2 reply(ies)" in done.output
    assert [t.split("\n")[1] for t in texts_sent(fake_api)] == ["第一条答复", "第二条答复"]
    assert reply_states(api_app, number) == ["pushed", "pushed"]
    with api_app.app_context():
        attempts = db.get_session().scalars(select(CaseReply.push_attempts)).all()
    # The first: the console, the second reply's push (it goes first), two timer runs.
    assert sorted(attempts) == [1, 4]


def test_a_reply_claimed_by_another_process_is_not_pushed_twice(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    close_window(api_app)
    console = logged_in(api_app, "wang", "handler")
    post(console, f"/admin/cases/{number}/reply", body="已处理。")
    resident.says("联系")
    now = clock.now()
    with api_app.app_context():
        session = db.get_session()
        session.execute(update(CaseReply).values(delivery="sending", attempted_at=now))
        session.commit()
        reply = session.scalars(select(CaseReply)).one()
        assert replies.deliver(session, reply, now) is False
        assert fake_api.api.sent_messages == []
        later = now + replies.STALE_CLAIM + timedelta(seconds=1)
        assert replies.deliver(session, reply, later) is True
        assert reply.delivery == "pushed"
    assert len(fake_api.api.sent_messages) == 1


# ---- ratings and call-backs ----


def test_the_resident_rates_the_final_reply(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    console = logged_in(api_app, "wang", "handler")
    assert "没有需要评价的事项" in resident.says("满意")
    post(console, f"/admin/cases/{number}/accept")
    post(console, f"/admin/cases/{number}/close", outcome="C.support", body="路灯已修好。")

    thanks = resident.says("满意")

    assert f"感谢您对{number}的评价（满意）" in thanks
    assert case_row(api_app, number).rating.rating == "满意"
    assert "已经对" in resident.says("很满意")
    [entry] = audit_entries(api_app, "case.rated")
    assert entry.actor == "system" and entry.details == {"rating": "满意"}
    assert "满意" in console.page(f"/admin/cases/{number}").split("居民评价")[1]
    searched = resident.says("一般公共预算")
    assert "评价" not in searched, "only the bare words rate; anything longer is searched"


def test_a_poor_rating_puts_the_case_on_the_call_back_list(api_app, fake_api):
    resident = Resident(api_app)
    number = file_complaint(resident)
    console = logged_in(api_app, "wang", "handler", name="王芳")
    post(console, f"/admin/cases/{number}/decline", reason="不属于本镇职责。")

    answer = resident.says("很不满意")

    assert "工作人员会尽快打电话了解情况" in answer
    listing = console.page("/admin/callbacks")
    assert number in listing and "待回访" in listing and "很不满意" in listing
    assert "待回访" in console.page("/admin/dashboard")
    empty = post(console, f"/admin/cases/{number}/callback", note=" ")
    assert empty.status_code == 422

    post(console, f"/admin/cases/{number}/callback", note="已电话说明，居民表示理解。")

    rating = case_row(api_app, number).rating
    assert (
        rating.called_back_at is not None and rating.callback_note == "已电话说明，居民表示理解。"
    )
    listing = console.page("/admin/callbacks")
    assert "王芳" in listing and "已回访" in listing and "待回访" not in listing
    [entry] = audit_entries(api_app, "case.callback")
    assert entry.actor == "wang" and entry.target_id == number


def test_an_anonymous_resident_with_a_poor_rating_is_told_how_to_reach_the_office(app):
    resident = Resident(app)
    number = file_complaint(resident, phone=None)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/decline", reason="不属于本镇职责。")
    assert "发送“联系”查看办公室电话" in resident.says("不满意")
