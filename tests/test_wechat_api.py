"""The WeChat API client against a fake WeChat on loopback: one token for the fleet, the menu."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from wechatpy.exceptions import WeChatClientException

from bot.wechat.api import WeChatUnavailable, get_client
from bot.wechat.menu import build_menu, menu_problems
from tests import fake_wechat
from tests.servers import ROOT
from tests.support import PUBLIC_URL, needs_redis


@pytest.fixture
def api_app(make_app, fake_api):
    return make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )


def test_calls_use_one_cached_token(api_app, fake_api):
    with api_app.app_context():
        client = get_client()
        assert client.menu.get() is None  # no menu yet (46003)
        client.menu.create(build_menu(PUBLIC_URL))
        assert client.menu.get()["menu"]["button"][0]["name"] == "信息公开"
    assert fake_api.api.token_fetches == 1


def test_a_rejected_token_is_refreshed_once_and_the_call_retried(api_app, fake_api):
    with api_app.app_context():
        client = get_client()
        client.menu.create(build_menu(PUBLIC_URL))
        fake_api.api.invalidate_tokens()  # someone fetched a token elsewhere
        assert client.menu.get()["menu"]
    assert fake_api.api.token_fetches == 2


def test_a_token_rejected_again_after_refresh_is_an_error_not_a_loop(api_app, fake_api):
    fake_api.api.always_reject_tokens = True
    with api_app.app_context(), pytest.raises(WeChatClientException) as raised:
        get_client().menu.get()
    assert raised.value.errcode == 40001
    assert fake_api.api.calls["/cgi-bin/menu/get"] == 2, "tried, refreshed once, retried once"


def test_threads_of_one_process_fetch_the_token_once(api_app, fake_api):
    def call() -> None:
        with api_app.app_context():
            get_client().menu.get()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: call(), range(8)))
    assert fake_api.api.token_fetches == 1


@pytest.mark.slow
@pytest.mark.services
def test_concurrent_processes_fetch_the_token_once(services, fake_api, fresh_database, fresh_store):
    redis_url = needs_redis(services)
    script = (
        "from bot import create_app\n"
        "from bot.wechat.api import get_client\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    get_client().menu.get()\n"
        "print('ok')\n"
    )
    env = {
        **os.environ,
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_DATABASE_URL": fresh_database,
        "SUNSHINE_WECHAT_APPID": fake_wechat.APPID,
        "SUNSHINE_WECHAT_SECRET": fake_wechat.SECRET,
        "SUNSHINE_WECHAT_API_BASE": fake_api.base_url,
    }
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60)[0].decode().strip() for p in processes]
    assert outputs == ["ok"] * 6
    assert fake_api.api.token_fetches == 1


def test_without_appid_api_calls_are_disabled_with_a_clear_message(app):
    with app.app_context(), pytest.raises(WeChatUnavailable, match="SUNSHINE_WECHAT_APPID"):
        get_client()


# ---- the menu ----


def test_the_products_menu_is_within_wechats_limits_and_every_key_is_answered(app):
    menu = build_menu(PUBLIC_URL)
    keys = set(app.extensions["sunshine.router"].menu_keys)
    assert menu_problems(menu, keys) == []
    clicks = {s["key"] for b in menu["button"] for s in b["sub_button"] if s["type"] == "click"}
    assert {"REPORT", "LATEST", "APPLY", "COMPLAIN", "PROGRESS", "CONTACT", "HELP"} <= clicks
    views = [s["url"] for b in menu["button"] for s in b["sub_button"] if s["type"] == "view"]
    assert views == [f"{PUBLIC_URL}/items"]


def test_menu_limits_are_enforced():
    too_many = {"button": [{"type": "click", "name": f"按钮{i}", "key": "HELP"} for i in range(4)]}
    assert "4 top-level buttons (1 to 3 allowed)" in menu_problems(too_many, {"HELP"})
    long_name = {"button": [{"type": "click", "name": "很长的菜单名字超过十六", "key": "HELP"}]}
    assert any("must be 1 to 16 bytes" in p for p in menu_problems(long_name, {"HELP"}))
    unknown = {"button": [{"type": "click", "name": "帮助", "key": "NOBODY"}]}
    assert menu_problems(unknown, {"HELP"}) == ["'帮助': no handler answers key 'NOBODY'"]
    subs = {
        "button": [
            {"name": "多", "sub_button": [{"type": "click", "name": "a", "key": "HELP"}] * 6}
        ]
    }
    assert any("6 sub-buttons (max 5)" in p for p in menu_problems(subs, {"HELP"}))
    bad_url = {"button": [{"type": "view", "name": "目录", "url": "ftp://x"}]}
    assert any("url must be" in p for p in menu_problems(bad_url, set()))


def test_menu_push_and_show_from_the_cli(api_app, fake_api):
    runner = api_app.test_cli_runner()
    pushed = runner.invoke(args=["menu", "push"])
    assert pushed.exit_code == 0, pushed.output
    assert "Menu pushed" in pushed.output
    assert fake_api.api.menu == build_menu(PUBLIC_URL)
    shown = runner.invoke(args=["menu", "show", "--remote"])
    assert json.loads(shown.output)["menu"] == build_menu(PUBLIC_URL)


def test_menu_push_without_credentials_or_public_url_explains(make_app):
    no_api = make_app().test_cli_runner().invoke(args=["menu", "push"])
    assert no_api.exit_code == 1 and "SUNSHINE_WECHAT_APPID" in no_api.output
    no_url = make_app(PUBLIC_URL=None).test_cli_runner().invoke(args=["menu", "show"])
    assert no_url.exit_code == 1 and "SUNSHINE_PUBLIC_URL" in no_url.output


def test_menu_push_when_wechat_is_unreachable_explains(make_app):
    app = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE="http://127.0.0.1:1",
    )
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 1 and "cannot reach the WeChat API" in result.output
