"""Several official accounts and bodies through real gunicorn workers, Redis and PostgreSQL.

An account added by ``sunshine account add`` (another process, as an operator runs it)
is served by running workers from its first delivery; the same openid on the configured
account and on the named one is two residents, each with their own cases, photos fetched
with their own account's access token. Three bodies, two accounts: a county account's
resident picks their town, and their complaint reaches that town's inbox.

Needs real Redis and PostgreSQL; skipped without them, except under ``CI=true``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import clock, db
from bot.cases import inbox
from bot.cases.inbox import Filters
from bot.models import Body
from bot.models.cases import STORED, Case
from bot.wechat.chat import ChatError
from bot.wechat.protocol import Keys
from tests import fake_wechat
from tests.servers import Instance, Phone, gunicorn_instances
from tests.support import TOKEN, Services, cli, needs_postgresql, needs_redis

pytestmark = [pytest.mark.slow, pytest.mark.services]

COMPLAINT = ["投诉", "村口路灯坏了三天了", "/image", "好了", "跳过", "确认"]
NAMED = "dongfeng"
NAMED_APPID = "wxdongfeng0001"
NAMED_TOKEN = "dongfengToken2026"
NAMED_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
NAMED_SECRET = "dongfeng-secret"


@dataclass
class Deployment:
    base: str
    instance: Instance
    #: An app on the same database, Redis and data key: the operator's ``sunshine`` command.
    operator: Flask
    api: fake_wechat.FakeWeChat

    def assert_no_errors_logged(self) -> None:
        output = self.instance.output()
        assert "Traceback" not in output and " ERROR " not in output, output[-3000:]

    def cases(self) -> list[Case]:
        with self.operator.app_context():
            query = select(Case).options(selectinload(Case.attachments)).order_by(Case.id)
            return list(db.get_session().scalars(query))


@pytest.fixture
def deployment(
    services: Services,
    make_app: Callable[..., Flask],
    fake_api: fake_wechat.FakeWeChatServer,
    tmp_path: Path,
) -> Iterator[Deployment]:
    redis_url, database_url = needs_redis(services), needs_postgresql(services)
    data_key = Fernet.generate_key().decode()
    fake_api.api.add_app(NAMED_APPID, NAMED_SECRET)
    operator = make_app(
        DATA_KEY=data_key,
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )
    env = {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_WECHAT_APPID": fake_wechat.APPID,
        "SUNSHINE_WECHAT_SECRET": fake_wechat.SECRET,
        "SUNSHINE_WECHAT_API_BASE": fake_api.base_url,
        "SUNSHINE_DATABASE_URL": database_url,
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_SECRET_KEY": "accounts-secret-key",
        "SUNSHINE_DATA_KEY": data_key,
        "SUNSHINE_INSTANCE_PATH": str(tmp_path / "host"),
    }
    with gunicorn_instances([env], tmp_path, app="tests.apps:create_test_app()") as [instance]:
        yield Deployment(instance.base, instance, operator, fake_api.api)


def wait_for_photos(deployment: Deployment, count: int, timeout: float = 15) -> list[Case]:
    deadline = time.monotonic() + timeout
    while True:
        cases = deployment.cases()
        stored = [a for c in cases for a in c.attachments if a.fetch_state == STORED]
        if len(stored) >= count or time.monotonic() > deadline:
            return cases
        time.sleep(0.1)


def number_in(receipt: str) -> str:
    found = re.search(r"编号：(TS\d{8}-\d{4})", receipt)
    assert found, receipt
    return found[1]


def test_an_account_added_while_workers_run_keeps_its_residents_apart(
    deployment: Deployment,
) -> None:
    keys = Keys(NAMED_TOKEN, NAMED_AES_KEY, NAMED_APPID)
    named = Phone(f"{deployment.base}/wechat/{NAMED}", keys, "o-fleet-same", safe=True)
    configured = Phone(f"{deployment.base}/wechat", Keys(TOKEN), "o-fleet-same")
    with pytest.raises(ChatError, match="404"):
        named.says("帮助")

    added = cli(
        deployment.operator,
        "account",
        "add",
        NAMED,
        "--appid",
        NAMED_APPID,
        input=f"{NAMED_TOKEN}\n{NAMED_AES_KEY}\n{NAMED_SECRET}\n",
    )
    assert added.exit_code == 0, added.output

    for _ in range(4):  # both workers, each from its first delivery
        assert "请回复下面的词" in named.says("帮助")
    there = number_in(named.goes_through(COMPLAINT))
    here = number_in(configured.goes_through(COMPLAINT))

    assert there in named.says("我的") and here not in named.says("我的")
    assert here in configured.says("我的") and there not in configured.says("我的")
    cases = wait_for_photos(deployment, 2)
    assert {(c.number, c.account, c.openid) for c in cases} == {
        (there, NAMED, "o-fleet-same"),
        (here, "", "o-fleet-same"),
    }
    assert all(a.fetch_state == STORED for c in cases for a in c.attachments)
    # Each account's photo fetched on its own token, each token fetched once.
    assert deployment.api.fetches_by_app == {NAMED_APPID: 1, fake_wechat.APPID: 1}
    deployment.assert_no_errors_logged()


def test_a_county_accounts_resident_picks_a_town_and_their_complaint_reaches_its_inbox(
    deployment: Deployment,
) -> None:
    operator = deployment.operator
    for slug, name in (("huaide", "公主岭市怀德镇人民政府"), ("dalin", "公主岭市大岭镇人民政府")):
        assert cli(operator, "body", "add", slug, "--name", name).exit_code == 0
    accounts = (
        ("county", "wxcounty", "countyToken", ["town", "huaide"]),
        ("dalin", "wxdalin", "dalinToken", ["dalin"]),
    )
    for slug, appid, token, served in accounts:
        bodies = [arg for body in served for arg in ("--body", body)]
        added = cli(
            operator, "account", "add", slug, *bodies, "--appid", appid, input=f"{token}\n\n\n"
        )
        assert added.exit_code == 0, added.output
    county = Phone(f"{deployment.base}/wechat/county", Keys("countyToken"), "o-fleet-villager")
    dalin = Phone(f"{deployment.base}/wechat/dalin", Keys("dalinToken"), "o-fleet-villager")

    assert "2. 怀德镇" in county.says("投诉")
    assert "好的，您选择了怀德镇" in county.says("怀德")
    for _ in range(3):  # both workers know the town: it is in the session
        assert "现在是怀德镇" in county.says("帮助")
    filed = number_in(
        county.goes_through(["投诉", "怀德镇中心街的路灯坏了", "好了", "跳过", "确认"])
    )
    elsewhere = number_in(
        dalin.goes_through(["投诉", "大岭镇的垃圾没人收", "好了", "跳过", "确认"])
    )

    with operator.app_context():
        session = db.get_session()
        ids = {body.slug: body.id for body in session.scalars(select(Body))}
        today = clock.today()
        inboxes = {
            slug: [
                r.case.number for r in inbox.page(session, ids[slug], Filters(), 0, today, 1).rows
            ]
            for slug in ids
        }
    # Each body numbers its own cases: the two may well carry the same number.
    assert inboxes == {"town": [], "huaide": [filed], "dalin": [elsewhere]}
    assert "共1件" in county.says("我的") and "共1件" in dalin.says("我的")
    deployment.assert_no_errors_logged()
