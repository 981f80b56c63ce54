"""Several app hosts behind one address, sharing Redis and PostgreSQL (deploy/README.md, part 2).

Two gunicorn instances (deploy/gunicorn.conf.py, 2 workers each, each with its own
instance folder as separate hosts have) stand behind nginx, which alternates between
them. Residents' dialogues hop from one instance to the other at every message; each
dialogue files one case with a correct receipt, and both instances call the WeChat API
(the fake one: photos are downloaded by the instance that filed the complaint) on one
access token fetched for the whole fleet.

Needs real Redis and PostgreSQL (``SUNSHINE_TEST_REDIS_URL``,
``SUNSHINE_TEST_DATABASE_URL``) and Debian's nginx; skipped without them, except under
``CI=true``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import db
from bot.models.cases import STORED, Case
from bot.wechat.protocol import Keys
from tests import fake_wechat
from tests.servers import Instance, Phone, balancer, find_nginx, gunicorn_instances
from tests.support import (
    PERSON_STEPS,
    TOKEN,
    Services,
    needs_postgresql,
    needs_program,
    needs_redis,
)

pytestmark = [pytest.mark.slow, pytest.mark.services]

COMPLAINT = ["投诉", "村口路灯坏了三天了，晚上很黑", "/image", "好了", "跳过", "确认"]
RECEIPT_NUMBER = re.compile(r"编号：((?:TS|SQ)\d{8}-\d{4})")


@dataclass
class Fleet:
    base: str
    instances: list[Instance]
    api: fake_wechat.FakeWeChat
    #: An app on the fleet's database, for looking at what was filed.
    app: Flask
    folder: Path

    def phone(self, openid: str) -> Phone:
        return Phone(f"{self.base}/wechat", Keys(TOKEN), openid)

    def cases(self) -> list[Case]:
        with self.app.app_context():
            query = select(Case).options(selectinload(Case.attachments)).order_by(Case.id)
            return list(db.get_session().scalars(query))

    def media(self, number: int) -> list[Path]:
        """The photos host ``number`` (1 or 2) stored in its own media folder."""
        return sorted((self.folder / f"host-{number}" / "media").rglob("*.jpg"))

    def assert_no_errors_logged(self) -> None:
        for instance in self.instances:
            output = instance.output()
            assert "Traceback" not in output and " ERROR " not in output, output[-3000:]


@pytest.fixture
def fleet(
    services: Services,
    make_app: Callable[..., Flask],
    fake_api: fake_wechat.FakeWeChatServer,
    tmp_path: Path,
) -> Iterator[Fleet]:
    redis_url, database_url = needs_redis(services), needs_postgresql(services)
    nginx = needs_program(
        find_nginx(), "the fleet test needs nginx (Debian: apt-get install nginx)"
    )
    app = make_app()  # seeds the shared database
    shared = {
        # What deploy/README.md asks every host to share.
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_WECHAT_APPID": fake_wechat.APPID,
        "SUNSHINE_WECHAT_SECRET": fake_wechat.SECRET,
        "SUNSHINE_WECHAT_API_BASE": fake_api.base_url,
        "SUNSHINE_DATABASE_URL": database_url,
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_SECRET_KEY": "fleet-secret-key",
        "SUNSHINE_DATA_KEY": Fernet.generate_key().decode(),
        "SUNSHINE_PUBLIC_URL": "https://gzl.example.gov.cn",
        "WEB_CONCURRENCY": "2",
    }
    envs = [{**shared, "SUNSHINE_INSTANCE_PATH": str(tmp_path / f"host-{n}")} for n in (1, 2)]
    with gunicorn_instances(envs, tmp_path) as instances:
        upstreams = [instance.address for instance in instances]
        with balancer(nginx, upstreams, tmp_path / "nginx") as base:
            yield Fleet(base, instances, fake_api.api, app, tmp_path)


def wait_for_photos(fleet: Fleet, count: int, timeout: float = 15) -> list[Case]:
    """Photos are downloaded in the background after the receipt: wait for ``count`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        cases = fleet.cases()
        stored = [a for c in cases for a in c.attachments if a.fetch_state == STORED]
        if len(stored) >= count or time.monotonic() > deadline:
            return cases
        time.sleep(0.1)


def number_in(receipt: str) -> str:
    found = RECEIPT_NUMBER.search(receipt)
    assert found, f"no tracking number in the reply: {receipt!r}"
    return found[1]


def test_dialogues_hop_between_the_hosts_and_each_files_one_case(fleet: Fleet) -> None:
    first, applicant, second = (
        fleet.phone("o-fleet-complainant-1"),
        fleet.phone("o-fleet-applicant"),
        fleet.phone("o-fleet-complainant-2"),
    )
    receipts = {
        first.openid: first.goes_through(COMPLAINT),
        applicant.openid: applicant.goes_through([*PERSON_STEPS, "确认"]),
        # nginx alternates: after the application's odd count of messages, this 确认
        # lands on the other host (add a message here if PERSON_STEPS gets even).
        second.openid: second.goes_through(
            COMPLAINT if len(PERSON_STEPS) % 2 == 0 else ["帮助", *COMPLAINT]
        ),
    }

    hosts = {instance.address for instance in fleet.instances}
    for phone in (first, applicant, second):
        assert set(phone.answered_by) == hosts, f"{phone.openid} was served by {phone.answered_by}"
    cases = wait_for_photos(fleet, 2)
    assert sorted(c.openid for c in cases) == sorted(receipts)
    for case in cases:
        receipt = receipts[case.openid]
        assert number_in(receipt) == case.number
        assert receipt.startswith(
            f"已收到您的{'政府信息公开申请' if case.kind == 'application' else '投诉'}"
        )
    complaints = [c for c in cases if c.kind == "complaint"]
    [application] = [c for c in cases if c.kind == "application"]
    assert [c.number[:2] for c in complaints] == ["TS", "TS"]
    assert complaints[1].number.endswith("-0002")
    assert (application.name, application.text) == ("张三", "2025年村务公开的财务收支明细")
    for complaint in complaints:
        assert complaint.text == "村口路灯坏了三天了，晚上很黑"
        assert [a.fetch_state for a in complaint.attachments] == [STORED]
    # Each host downloaded one photo; one of them fetched the token, the other reused it.
    assert (len(fleet.media(1)), len(fleet.media(2))) == (1, 1)
    assert fleet.api.calls["/cgi-bin/media/get"] == 2
    assert fleet.api.token_fetches == 1
    fleet.assert_no_errors_logged()


def test_many_residents_at_once_share_one_access_token(fleet: Fleet) -> None:
    phones = [fleet.phone(f"o-fleet-crowd-{n}") for n in range(8)]
    with ThreadPoolExecutor(len(phones)) as pool:
        receipts = dict(
            zip(
                [p.openid for p in phones],
                pool.map(lambda phone: phone.goes_through(COMPLAINT), phones),
                strict=True,
            )
        )

    cases = wait_for_photos(fleet, len(phones))
    assert {c.openid: c.number for c in cases} == {
        openid: number_in(receipt) for openid, receipt in receipts.items()
    }
    assert len({c.number for c in cases}) == len(phones)
    assert all(a.fetch_state == STORED for c in cases for a in c.attachments)
    served = [host for phone in phones for host in phone.answered_by]
    assert {served.count(i.address) for i in fleet.instances} == {len(served) // 2}
    assert len(fleet.media(1)) + len(fleet.media(2)) == len(phones)
    assert fleet.api.token_fetches == 1
    fleet.assert_no_errors_logged()
