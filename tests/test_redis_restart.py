"""A real Redis restarted in the middle of a dialogue: the resident is told, nothing crashes."""

from __future__ import annotations

import pytest

from tests.servers import REDIS_SERVER, OwnRedis
from tests.support import Resident, needs_program

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis():
    needs_program(
        REDIS_SERVER, "redis-server is not installed (Debian: apt-get install redis-server)"
    )
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def test_redis_restarted_mid_dialogue(make_app, own_redis):
    app = make_app(REDIS_URL=own_redis.url)
    resident = Resident(app)
    assert "第1步" in resident.says("登记")
    assert "第2步" in resident.says("陈十三")
    own_redis.stop()
    assert resident.says("13800138000") == "系统繁忙，刚才的消息没有处理，请稍后再发一次。"
    own_redis.start()
    reply = resident.says("13800138000")
    assert "系统刚才中断过" in reply and "“登记”" in reply
    assert "第1步" in resident.says("登记"), "starting again works on the new Redis"
