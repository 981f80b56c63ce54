"""Exactly once: retries and concurrent copies take effect once; one resident's messages in order."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine

from bot import db
from bot.engine.router import Command
from bot.privacy import Resident as Identity
from bot.store import KEY_PREFIX
from bot.wechat.chat import describe
from bot.wechat.delivery import BUSY, STILL_WORKING, when_answered
from bot.wechat.protocol import Keys, message_xml, sign_delivery
from bot.wechat.window import last_message_at
from tests.servers import gunicorn, serve_in_thread
from tests.support import TOKEN, Resident, needs_redis

KEYS = Keys(TOKEN)


def text_fields(content: str, msg_id: int, openid: str = "o-dup") -> dict[str, str | int]:
    return {
        "ToUserName": "gh_town",
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id,
    }


def deliver(base: str, fields: dict[str, str | int]) -> requests.Response:
    """One delivery as WeChat makes it: a fresh signature (nonce) each time, same body."""
    delivery = sign_delivery(KEYS, message_xml(fields))
    return requests.post(
        f"{base}/wechat", params=delivery.query, data=delivery.body.encode(), timeout=10
    )


def concurrently(calls):
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def effects(app) -> int:
    return int(app.extensions["sunshine.redis"].get(f"{KEY_PREFIX}test:effects") or 0)


def test_a_retry_gets_the_same_reply_and_takes_no_second_effect(app, resident):
    fields = text_fields("计数", msg_id=777, openid=resident.chat.openid)
    first = resident.chat.send(fields)
    again = resident.chat.send(fields)
    assert describe(first) == "第1次（副作用1）"
    assert again == first
    assert effects(app) == 1


def test_three_concurrent_copies_take_effect_once(app):
    fields = text_fields("计数", msg_id=4242)
    with serve_in_thread(app) as base:
        responses = concurrently([lambda: deliver(base, fields)] * 3)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert {describe(r.text) for r in responses} == {"第1次（副作用1）"}
    assert effects(app) == 1


def test_same_msgid_from_two_residents_is_two_messages(app, resident):
    one = describe(resident.chat.send(text_fields("计数", 5, openid="o-a")))
    two = describe(resident.chat.send(text_fields("计数", 5, openid="o-b")))
    assert (one, two) == ("第1次（副作用1）", "第1次（副作用2）")


def test_event_retries_are_recognised_by_sender_time_event_and_key(app, resident):
    click = {
        "ToUserName": "gh_town",
        "FromUserName": resident.chat.openid,
        "CreateTime": 1795000000,
        "MsgType": "event",
        "Event": "CLICK",
        "EventKey": "SURVEY",
    }
    assert "第1步" in describe(resident.chat.send(click))
    resident.says("冯十二")
    assert "第1步" in describe(resident.chat.send(click)), "the retry gets the first reply"
    assert "第3步" in resident.says("13800138000"), "and did not restart the dialogue"
    later = {**click, "CreateTime": 1795000060}
    assert "第1步" in describe(resident.chat.send(later)), "a new click at another time counts"


def test_one_residents_messages_run_one_at_a_time(app):
    with serve_in_thread(app) as base:
        responses = concurrently(
            [lambda i=i: deliver(base, text_fields("计数", 9000 + i)) for i in range(3)]
        )
    counts = sorted(int(re.search(r"第(\d)次", describe(r.text))[1]) for r in responses)
    assert counts == [1, 2, 3], "no update of the session was lost"


def test_a_retry_while_the_first_copy_is_still_running_waits_for_its_reply(app):
    fields = text_fields("计数", 31337)
    with serve_in_thread(app) as base, ThreadPoolExecutor(2) as pool:
        first = pool.submit(deliver, base, fields)
        time.sleep(0.1)  # the first copy is inside the 0.3 s handler now
        retry = pool.submit(deliver, base, fields)
        assert describe(retry.result().text) == describe(first.result().text) == "第1次（副作用1）"


def test_when_the_store_is_down_the_resident_is_told_plainly(make_app, resident):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    reply = describe(
        app.test_client()
        .post(
            "/wechat",
            query_string=(d := sign_delivery(KEYS, message_xml(text_fields("帮助", 1)))).query,
            data=d.body,
        )
        .get_data(as_text=True)
    )
    assert reply == "系统繁忙，刚才的消息没有处理，请稍后再发一次。"


@pytest.mark.slow
@pytest.mark.services
def test_two_gunicorn_workers_on_real_redis_take_each_delivery_once(
    services, fresh_database, fresh_store
):
    redis_url = needs_redis(services)
    env = {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_DATABASE_URL": fresh_database,
        "SUNSHINE_SECRET_KEY": "test",
    }
    with gunicorn(env, workers=2) as base:
        for msg_id in (1, 2, 3):
            fields = text_fields("计数", 60000 + msg_id, openid=f"o-gunicorn-{msg_id}")
            responses = concurrently([lambda f=fields: deliver(base, f)] * 3)
            assert [r.status_code for r in responses] == [200, 200, 200]
            assert len({r.text for r in responses}) == 1
        serial = concurrently(
            [lambda i=i: deliver(base, text_fields("计数", 70000 + i, "o-one")) for i in range(4)]
        )
    import redis

    store = redis.Redis.from_url(redis_url)
    assert int(store.get(f"{KEY_PREFIX}test:effects")) == 3 + 4
    counts = sorted(int(re.search(r"第(\d)次", describe(r.text))[1]) for r in serial)
    assert counts == [1, 2, 3, 4]


def test_a_residents_last_message_opens_the_48_hour_window(app, resident):
    with app.app_context():
        assert last_message_at(Identity(resident.chat.openid)) is None
    resident.says("/subscribe")
    with app.app_context():
        assert last_message_at(Identity(resident.chat.openid)) is None, "an event does not open it"
    before = time.time()
    resident.says("帮助")
    with app.app_context():
        seen = last_message_at(Identity(resident.chat.openid))
    assert seen is not None and before - 1 <= seen.timestamp() <= time.time()


def claim_as_a_dead_worker(app, fields: dict[str, str | int], lock_held: bool) -> None:
    """What a worker killed after claiming a delivery leaves in the store."""
    from bot.wechat.delivery import PENDING

    store = app.extensions["sunshine.redis"]
    openid = fields["FromUserName"]
    store.set(f"{KEY_PREFIX}delivery:{openid}:m:{fields['MsgId']}", PENDING + b"deadbeef")
    if lock_held:
        store.set(f"{KEY_PREFIX}lock:{openid}", b"deadbeef", px=60_000)


def test_a_retry_takes_over_from_a_first_copy_whose_worker_died(app, resident):
    fields = text_fields("计数", 5150, openid=resident.chat.openid)
    claim_as_a_dead_worker(app, fields, lock_held=False)  # its lock has lapsed
    assert describe(resident.chat.send(fields)) == "第1次（副作用1）"
    assert describe(resident.chat.send(fields)) == "第1次（副作用1）", "and is cached"
    assert effects(app) == 1


def test_a_retry_never_answers_with_silence_while_the_first_copy_still_runs(make_app):
    app = make_app(RETRY_WAIT=0.2)
    resident = Resident(app)
    fields = text_fields("计数", 5151, openid=resident.chat.openid)
    claim_as_a_dead_worker(app, fields, lock_held=True)  # as if it were still running
    assert (
        describe(resident.chat.send(fields)) == "您的上一条消息还在处理中，请稍等片刻再发这一条。"
    )
    assert effects(app) == 0


# ---- the one-round-trip answer to a stateless command (帮助, 联系, 年报, 统计, their keys) ----


def test_a_stateless_command_is_answered_without_the_lock_or_the_session(
    app, resident, monkeypatch
):
    def full_path(*_: object) -> None:
        raise AssertionError("the full path ran")

    monkeypatch.setattr(app.extensions["sunshine.router"], "respond", full_path)
    assert resident.says("帮助").startswith("请回复下面的词")
    assert "0434-6631321" in resident.says("/click CONTACT")


def test_in_a_dialogue_a_stateless_command_is_left_to_the_dialogue(resident):
    resident.says("登记")
    assert resident.says("帮助").startswith("（第1步，共4步）"), "the step again, not the commands"
    reply = resident.says("/click CONTACT")
    assert "0434-6631321" in reply and "您正在填写的“测试登记”还在" in reply


def test_a_stateless_command_waits_for_the_residents_message_in_hand(make_app):
    app = make_app(LOCK_WAIT=0.2)
    resident = Resident(app)
    store = app.extensions["sunshine.redis"]
    lock = f"{KEY_PREFIX}lock:{resident.chat.openid}"
    store.set(lock, b"another-worker", px=60_000)  # its message (登记, say) is being handled
    assert resident.says("帮助") == STILL_WORKING
    store.delete(lock)
    assert resident.says("帮助").startswith("请回复下面的词")


def test_a_retry_of_a_stateless_command_still_running_is_not_answered_anew(make_app):
    app = make_app(RETRY_WAIT=0.2)
    resident = Resident(app)
    fields = text_fields("帮助", 4040, openid=resident.chat.openid)
    claim_as_a_dead_worker(app, fields, lock_held=True)  # as if it were still running
    assert describe(resident.chat.send(fields)) == STILL_WORKING


def test_a_retry_of_a_stateless_command_gets_the_first_copys_reply(resident):
    resident.says("登记")
    fields = text_fields("帮助", 4041, openid=resident.chat.openid)
    step = describe(resident.chat.send(fields))
    assert step.startswith("（第1步，共4步）")
    resident.says("取消")
    assert describe(resident.chat.send(fields)) == step, "not the commands, though now it would be"


def test_a_failing_stateless_answer_is_logged_and_the_full_path_runs(
    app, resident, monkeypatch, caplog
):
    ran: list[str] = []

    def broken(ctx):
        ran.append(ctx.text)
        raise RuntimeError("broken")

    router = app.extensions["sunshine.router"]
    monkeypatch.setitem(router.words, "帮助", Command("帮助", broken, False, None))
    monkeypatch.setattr(router, "stateless", {broken})
    with caplog.at_level(logging.INFO, logger="bot.wechat.delivery"):
        assert "没有生效" in resident.says("帮助")
    assert ran == ["帮助", "帮助"], "once on each path"
    logged = [r for r in caplog.records if r.name == "bot.wechat.delivery"]
    [swallowed] = [r for r in logged if r.levelno == logging.INFO]
    assert swallowed.getMessage() == "stateless answer failed (RuntimeError); taking the full path"
    assert not swallowed.exc_info, "the traceback is the full path's to log"
    [reported] = [r for r in logged if r.levelno == logging.ERROR]
    assert reported.exc_info is not None


# ---- what a handler leaves for after its reply (docs/security.md, "The webhook, the database, logins and crafted input") ----


def test_work_left_for_after_the_reply_runs_only_when_that_reply_is_sent(
    app, resident, monkeypatch
):
    ran: list[str] = []

    def answers(ctx):
        when_answered(lambda: ran.append("after 联系"))
        return "好的"

    def fails(ctx):
        when_answered(lambda: ran.append("after a failure"))
        raise RuntimeError("broken after it had shown something")

    def stumbles_after(ctx):
        when_answered(lambda: 1 / 0)
        return "照常回复"

    router = app.extensions["sunshine.router"]
    for word, handler in (("联系", answers), ("年报", fails), ("统计", stumbles_after)):
        monkeypatch.setitem(router.words, word, Command(word, handler, False, None))

    assert resident.says("联系") == "好的"
    assert "没有生效" in resident.says("年报")
    assert resident.says("统计") == "照常回复"
    assert ran == ["after 联系"]


def test_a_lock_that_could_lapse_before_the_database_deadline_stops_the_app(make_app):
    with pytest.raises(ValueError, match="SUNSHINE_LOCK_TTL"):
        make_app(LOCK_TTL=4, WECHAT_DB_DEADLINE=3.5)


def test_on_sqlite_a_write_lock_held_elsewhere_costs_the_deadline_not_more(make_app, tmp_path):
    """SQLite's own wait (15 s) would outlast WeChat's patience; a message waits its deadline."""
    path = tmp_path / "locked.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    app = make_app(DATABASE_URL=f"sqlite:///{path}", WECHAT_DB_DEADLINE=0.5)
    resident = Resident(app, openid="o-sqlite-lock")
    for line in ("投诉", "路灯坏了", "好了", "跳过"):
        resident.says(line)
    colleague = sqlite3.connect(path, isolation_level=None)
    colleague.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        stalled = resident.says("确认")
    finally:
        colleague.execute("ROLLBACK")
        colleague.close()
    assert stalled == BUSY and time.monotonic() - started < 2
    assert "编号：TS" in resident.says("确认")
