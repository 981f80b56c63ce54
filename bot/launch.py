"""The ``sunshine`` command: the app factory's Flask CLI group, plus ``sunshine demo``.

Apart from the app's own commands (``bot.cli`` and each package's ``init_app``), it
serves ``sunshine demo``, which builds an app of its own on embedded defaults. With
``--county`` the demo is a county's deployment: a second town, a county account serving
both towns and the second town's own account; ``/account SLUG`` in the chat moves the
resident to another account. The app is built for the command line: each command logs
only the warnings about settings that concern it (``bot.logs.concerns``); ``sunshine
run``, a server, logs them all.
"""

from __future__ import annotations

import copy
import functools
import logging
import secrets
import sys
import threading
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command
from werkzeug.serving import make_server

from bot import create_app, db, logs
from bot.admin.accounts import ensure_demo_accounts
from bot.cases import privacy
from bot.cli import run_chat
from bot.seed import first_body_slug, seed, seed_demo_town
from bot.staff import audit, bodies
from bot.store import get_redis
from bot.wechat import accounts
from bot.wechat.chat import ChatClient, ChatError, http_transport
from bot.wechat.protocol import Keys, message_xml


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--county",
    is_flag=True,
    help="A county's deployment: two towns, a county account serving both, a town's own.",
)
def demo_command(port: int, county: bool) -> None:
    """Serve a seeded demo on embedded defaults and chat with it in this terminal."""
    token = secrets.token_hex(16)
    app = create_app(
        {
            "WECHAT_TOKEN": token,
            "WECHAT_AES_KEY": None,
            "WECHAT_APPID": None,
            "WECHAT_SECRET": None,
            "REDIS_URL": None,
            "DATABASE_URL": None,
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",  # the chat shares the terminal
        },
        command_line=True,  # its defaults are chosen: no warnings about them
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with app.app_context():
        db.upgrade(db.get_engine())
        seed(db.get_session())
    named = county_accounts(app) if county else {}
    try:
        server = make_server("127.0.0.1", port, app, threaded=True)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}); try: make demo PORT=8080"
        ) from error
    base = f"http://127.0.0.1:{port}"
    click.echo(
        f"Sunshine demo serving at {base} (SQLite in {app.instance_path}, in-process store).\n"
        f"  Webhook: {base}/wechat   Health: {base}/healthz\n"
        f"  Token for this session: {token}\n"
        f"  From another terminal: SUNSHINE_WECHAT_TOKEN={token} .venv/bin/sunshine chat "
        f"--url {base}/wechat"
    )
    for slug, keys in named.items():
        click.echo(f"  Account {slug}: {base}/wechat/{slug}   Token: {keys.token}")
    with app.app_context():
        logins = ensure_demo_accounts(db.get_session())
    click.echo(f"  Staff console: {base}/admin   two logins, to try what needs two people:")
    for account, password in logins:
        click.echo(f"    {account.username} / {password}   ({account.role.value}: {account.part})")
    click.echo(
        "  Two-person review: draft an item as demo, then log in as demo-head in another "
        "browser (or a private window) to review and publish it."
    )
    if not sys.stdin.isatty():
        click.echo("No terminal on stdin: serving only. Stop with Ctrl-C.")
        server.serve_forever()
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    phones = {"": ChatClient(http_transport(f"{base}/wechat"), Keys(token))}
    if county:
        phones |= {
            slug: ChatClient(http_transport(f"{base}/wechat/{slug}"), keys)
            for slug, keys in named.items()
        }
        click.echo(
            "You are a resident of the county account: pick your town, then try 联系, 低保, "
            "投诉, 切换. Move to another account with /account huaide, /account county or "
            "/account (the configured one)."
        )
        run_chat(Switchboard(phones, "county"), [], interactive=True)
    else:
        click.echo(
            "You are a resident chatting with the account. "
            "Try: 帮助, 你好, 年报, 我要投诉路灯坏了, /voice 进度怎么样了"
        )
        run_chat(phones[""], [], interactive=True)
    server.shutdown()


def county_accounts(app: Flask) -> dict[str, Keys]:
    """The demo county's accounts, made on first use: ``county`` serving the first town and
    the second, ``huaide`` the second only; the keys each signs with."""
    keys: dict[str, Keys] = {}
    with app.app_context():
        session = db.get_session()
        towns = [bodies.chosen(session, first_body_slug()), seed_demo_town(session)]
        registry = accounts.get_accounts()
        for slug, served in (("county", towns), ("huaide", towns[1:])):
            held = registry.find(slug)
            if held is not None:
                keys[slug] = held.keys
                continue
            token = secrets.token_hex(16)
            given = accounts.Secrets(token, None, None)
            accounts.add(session, audit.SYSTEM, slug, f"wxdemo{slug}", given, privacy.seal, served)
            session.commit()
            keys[slug] = Keys(token)
        accounts.announce(get_redis())
    return keys


@dataclass
class Switchboard:
    """The demo resident's phone on several accounts: ``/account SLUG`` changes the one the
    next lines go to (``/account`` alone: the configured one at /wechat)."""

    phones: dict[str, ChatClient]
    current: str

    def line(self, line: str) -> str:
        words = line.split()
        if not words or words[0] != "/account":
            return self.phones[self.current].line(line)
        slug = words[1] if len(words) > 1 else ""
        if slug not in self.phones:
            raise ChatError(f"no account {slug!r}; try: " + ", ".join(sorted(self.phones)))
        self.current = slug
        where = f"/wechat/{slug}" if slug else "/wechat"
        return message_xml({"MsgType": "text", "Content": f"（现在发往公众号 {where}）"})


def command_line_app() -> Flask:
    return create_app(command_line=True)


def serving(command: click.Command) -> click.Command:
    """Flask's ``run``, which serves: every warning about the settings concerns it."""
    served = command.callback
    assert served is not None

    @functools.wraps(served)
    def callback(*args: Any, **kwargs: Any) -> Any:
        logs.announce(click.get_current_context().ensure_object(ScriptInfo).load_app())
        return served(*args, **kwargs)

    announcing = copy.copy(command)
    announcing.callback = callback
    return announcing


def main() -> None:
    group = FlaskGroup(
        create_app=command_line_app,
        add_version_option=False,
        help="Sunshine (阳光): the government-disclosure WeChat account's backend.",
    )
    group.add_command(serving(run_command))
    group.add_command(demo_command)
    group(prog_name="sunshine")
