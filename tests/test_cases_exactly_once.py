"""One dialogue, one case, one receipt: retries, concurrent copies, lost replies, two instances."""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot import clock, db
from bot.cases import intake
from bot.cases.intake import ComplaintForm, Photo
from bot.models.cases import Attachment, Case
from bot.privacy import Resident as Identity
from bot.store import KEY_PREFIX
from bot.wechat.chat import describe
from bot.wechat.protocol import Keys, message_xml, sign_delivery
from tests.support import TOKEN, Resident, flask_transport, needs_redis, town

STEPS = ["投诉", "路灯坏了", "/image https://mmbiz.qpic.cn/a.jpg", "好了", "跳过"]
OPENID = "o-resident-1"


def count(app, model=Case) -> int:
    with app.app_context():
        return db.get_session().scalar(select(func.count()).select_from(model))


def confirm_delivery(msg_id: int) -> tuple[dict[str, str], bytes]:
    xml = message_xml(
        {
            "ToUserName": "gh_town",
            "FromUserName": OPENID,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": "确认",
            "MsgId": msg_id,
        }
    )
    delivery = sign_delivery(Keys(TOKEN), xml)
    return delivery.query, delivery.body.encode()


def concurrently(app, deliveries: list[tuple[dict[str, str], bytes]]) -> list[str]:
    start = threading.Barrier(len(deliveries))

    def send(delivery: tuple[dict[str, str], bytes]) -> str:
        post = flask_transport(app)
        start.wait()
        status, body = post(*delivery)
        assert status == 200
        return describe(body)

    with ThreadPoolExecutor(len(deliveries)) as pool:
        return list(pool.map(send, deliveries))


def test_three_copies_of_one_confirm_file_one_case_and_answer_alike(app, resident):
    for line in STEPS:
        resident.says(line)
    replies = concurrently(app, [confirm_delivery(9001)] * 3)
    assert len(set(replies)) == 1 and "已收到您的投诉" in replies[0]
    assert (count(app), count(app, Attachment)) == (1, 1)


def test_three_confirms_with_distinct_msgids_file_one_case(app, resident):
    for line in STEPS:
        resident.says(line)
    replies = concurrently(app, [confirm_delivery(n) for n in (9101, 9102, 9103)])
    receipts = [r for r in replies if "已收到您的投诉" in r]
    assert len(receipts) == 1
    for other in replies:
        if other not in receipts:
            assert "没有正在填写的内容" in other or "还在处理中" in other
    assert count(app) == 1


def test_a_second_confirm_files_nothing(app, resident):
    for line in STEPS:
        resident.says(line)
    resident.says("确认")
    assert "没有正在填写的内容" in resident.says("确认")
    assert count(app) == 1


def test_a_confirm_replayed_after_its_reply_was_lost_gets_the_same_receipt(app, resident):
    """Redis lost the reply and the session change (say, it restarted right after the commit)."""
    for line in STEPS:
        resident.says(line)
    redis = app.extensions["sunshine.redis"]
    key = f"{KEY_PREFIX}session:{resident.chat.openid}"
    before = redis.get(key)
    first = resident.says("确认")
    redis.set(key, before)  # the dialogue state as it was before the confirm
    again = resident.says("确认")
    assert again == first
    assert count(app) == 1 and count(app, Attachment) == 1


@pytest.mark.services
def test_steps_alternating_between_two_instances_file_one_case(make_app, services):
    needs_redis(services)
    one, two = make_app(), make_app()
    phones = [Resident(one), Resident(two)]
    for n, line in enumerate([*STEPS, "确认"]):
        reply = phones[n % 2].says(line)
    assert "已收到您的投诉" in reply
    assert count(one) == 1
    assert (
        json.loads(one.extensions["sunshine.redis"].get(f"{KEY_PREFIX}session:{OPENID}") or "{}")
        == {}
    )


def test_concurrent_submissions_get_consecutive_numbers(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 26, 4, 0, tzinfo=UTC))

    def submit(n: int) -> str:
        with app.app_context():
            form = ComplaintForm(category="投诉", text=f"第{n}件", photos=(Photo(f"m{n}", None),))
            session = db.get_session()
            return intake.file_complaint(
                session, town(session), Identity(f"o-{n}"), f"sub-{n}", form, 10
            ).case.number

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(submit, range(20)))
    assert sorted(numbers) == [f"TS20261126-{n:04d}" for n in range(1, 21)]


def test_the_same_submission_filed_concurrently_is_one_case(app):
    form = ComplaintForm(category="举报", text="同一件事")
    start = threading.Barrier(4)

    def submit(_: int) -> tuple[str, bool]:
        with app.app_context():
            start.wait()
            session = db.get_session()
            filed = intake.file_complaint(
                session, town(session), Identity("o-same"), "the-same-dialogue", form, 10
            )
            return filed.case.number, filed.new

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(submit, range(4)))
    assert len({number for number, _ in results}) == 1
    assert sum(new for _, new in results) == 1
    assert re.fullmatch(r"TS\d{8}-0001", results[0][0])
    assert count(app) == 1
