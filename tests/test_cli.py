"""The ``sunshine`` command as an operator and a newcomer use it."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from bot import create_app, db
from bot.launch import Switchboard
from bot.models import Body
from bot.wechat.chat import ChatClient, describe, http_transport
from bot.wechat.protocol import Keys
from tests.servers import ROOT, free_port, serve_in_thread, wait_until_healthy
from tests.support import AES_KEY, APPID, TOKEN, cli

SUNSHINE = [sys.executable, "-c", "from bot.launch import main; main()"]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        SUNSHINE + args,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
    )


def test_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert db.get_session().scalar(select(func.count()).select_from(Body)) == 1


def test_db_upgrade_and_current(app):
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and "Database schema at revision" in upgraded.output
    current = runner.invoke(args=["db", "current"]).output.strip()
    assert re.fullmatch(r"\w+", current)


# ---- what a command prints: nothing about settings that do not concern it ----

#: What a server warns of with nothing configured; a command that neither serves nor calls
#: WeChat must print none of it.
SERVER_WARNINGS = ("WECHAT", "webhook", "SECRET_KEY", "REDIS_URL")


@pytest.mark.slow
def test_commands_print_no_warnings_about_settings_they_do_not_use(tmp_path):
    unset = {key: value for key, value in os.environ.items() if not key.startswith("SUNSHINE_")}
    env = unset | {"SUNSHINE_INSTANCE_PATH": str(tmp_path)}

    def sunshine(*args: str) -> str:
        result = subprocess.run(
            SUNSHINE + list(args), capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    printed = {
        "seed": sunshine("seed"),
        "cases export": sunshine("cases", "export", "-o", str(tmp_path / "cases.csv")),
        "calendar list": sunshine("calendar", "list"),
        "digest": sunshine("digest"),
    }
    for command, output in printed.items():
        assert not [word for word in SERVER_WARNINGS if word in output], f"{command}:\n{output}"
    assert printed["seed"].startswith("Seeded body ")
    assert "SUNSHINE_DATA_KEY is not set" in printed["cases export"], "export unseals: it is told"
    retry = sunshine("replies", "retry")
    assert "SUNSHINE_WECHAT_APPID/SUNSHINE_WECHAT_SECRET not set" in retry, "retry pushes: told"
    assert "webhook" not in retry and "SECRET_KEY" not in retry


def test_an_app_built_for_a_command_keeps_the_warnings_for_the_commands_they_concern(
    tmp_path, caplog
):
    caplog.set_level(logging.WARNING)
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None},
        command_line=True,
    )
    assert caplog.records == [], "nothing at start-up"
    with app.app_context():
        db.upgrade(db.get_engine())
    assert cli(app, "calendar", "list").exit_code == 0
    assert caplog.records == []
    assert cli(app, "replies", "retry").exit_code == 0
    assert [record.name for record in caplog.records] == ["bot.wechat.api"]
    caplog.clear()
    create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": None})
    warned = {record.name for record in caplog.records}
    assert {"bot", "bot.store", "bot.wechat.api", "bot.wechat.webhook"} <= warned, "a server: all"


@pytest.mark.slow
def test_chat_reads_lines_and_prints_replies(app):
    with serve_in_thread(app) as base:
        result = run(
            ["chat", "--url", f"{base}/wechat"],
            {"SUNSHINE_WECHAT_TOKEN": TOKEN},
            stdin="帮助\n联系\n/click CONTACT\n",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("0434-6631321") == 2
    assert "请回复下面的词" in result.stdout


@pytest.mark.slow
def test_chat_in_safe_mode_encrypts_and_decrypts(safe_app):
    with serve_in_thread(safe_app) as base:
        result = run(
            ["chat", "--url", f"{base}/wechat"],
            {
                "SUNSHINE_WECHAT_TOKEN": TOKEN,
                "SUNSHINE_WECHAT_AES_KEY": AES_KEY,
                "SUNSHINE_WECHAT_APPID": APPID,
            },
            stdin="联系\n",
        )
    assert result.returncode == 0, result.stderr
    assert "0434-6631321" in result.stdout


@pytest.mark.slow
def test_chat_with_the_wrong_token_says_the_server_refused(app):
    with serve_in_thread(app) as base:
        result = run(
            ["chat", "--url", f"{base}/wechat"], {"SUNSHINE_WECHAT_TOKEN": "wrong"}, "帮助\n"
        )
    assert result.returncode == 1
    assert "HTTP 403" in result.stderr


@pytest.mark.slow
def test_chat_without_a_server_explains(app):
    result = run(
        ["chat", "--url", "http://127.0.0.1:1/wechat"], {"SUNSHINE_WECHAT_TOKEN": TOKEN}, "帮助\n"
    )
    assert result.returncode == 1
    assert "cannot reach the server" in result.stderr


def start_demo(folder: Path, port: int, *options: str) -> subprocess.Popen:
    """``sunshine demo`` without a terminal (it serves only), its instance in ``folder``."""
    return subprocess.Popen(
        [*SUNSHINE, "demo", *options, "--port", str(port)],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SUNSHINE_INSTANCE_PATH": str(folder)},
    )


@pytest.mark.slow
def test_demo_without_a_terminal_seeds_and_serves(tmp_path):
    port = free_port()
    process = start_demo(tmp_path, port)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        time.sleep(0.2)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["store"]["kind"] == "in-process"
        assert health["database"]["backend"] == "sqlite"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    token = re.search(r"Token for this session: (\w+)", output)
    assert token, output
    assert "serving only" in output
    assert (tmp_path / "sunshine.sqlite").exists()


@pytest.mark.slow
def test_the_county_demo_serves_a_county_account_and_a_towns_own(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_demo(tmp_path, port, "--county")
    try:
        assert process.stdout is not None
        output = ""
        while "serving only" not in output:
            line = process.stdout.readline()
            assert line, output
            output += line
        tokens = dict(re.findall(r"Account (\w+): \S+ +Token: (\w+)", output))
        assert set(tokens) == {"county", "huaide"}, output
        wait_until_healthy(base, process)
        phones = {
            slug: ChatClient(http_transport(f"{base}/wechat/{slug}"), Keys(token))
            for slug, token in tokens.items()
        }
        resident = Switchboard(phones, "county")

        asked = describe(resident.line("联系"))
        assert "1. 毛城子镇" in asked and "2. 怀德镇" in asked
        assert "怀德镇" in describe(resident.line("2"))
        assert "公主岭市怀德镇人民政府" in describe(resident.line("联系"))
        assert "/wechat/huaide" in describe(resident.line("/account huaide"))
        town_own = describe(resident.line("联系"))
        assert "公主岭市怀德镇人民政府" in town_own and "请先选择" not in town_own
    finally:
        process.terminate()
        process.communicate(timeout=10)
