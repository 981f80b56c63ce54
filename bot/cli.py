"""The ``sunshine`` command: Flask's CLI on the app factory, plus ``sunshine demo``."""

from __future__ import annotations

import json
import logging
import secrets
import sys
import threading
from collections.abc import Iterable
from typing import Any

import click
import requests
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from wechatpy.exceptions import WeChatClientException
from werkzeug.serving import make_server

from bot import db
from bot.chat import COMMANDS, ChatClient, ChatError, describe, http_transport
from bot.menu import build_menu, menu_problems
from bot.protocol import Keys
from bot.seed import seed


def init_app(app: Flask) -> None:
    for command in (seed_command, db_group, menu_group, chat_command):
        app.cli.add_command(command)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the schema if missing and load the 2017 report and example content."""
    with db.schema_owner() as engine:
        db.upgrade(engine)
    seed(db.get_session())
    click.echo(
        "Seeded: the office's contact details and the 2017 report, example items (into an "
        "empty catalogue) and the holiday calendars."
    )


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest), as the schema's owner
    (SUNSHINE_MIGRATION_DATABASE_URL, else SUNSHINE_DATABASE_URL)."""
    with db.schema_owner() as engine:
        db.upgrade(engine, revision)
        click.echo(f"Database schema at revision {db.current_revision(engine)}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema's revision."""
    click.echo(db.current_revision(db.get_engine()) or "empty database (run: sunshine db upgrade)")


@click.group("menu")
def menu_group() -> None:
    """The account's custom menu."""


def _checked_menu() -> dict[str, Any]:
    public_url = current_app.config["PUBLIC_URL"]
    if not public_url:
        raise click.ClickException(
            "SUNSHINE_PUBLIC_URL is not set: the menu's 公开目录 button links to PUBLIC_URL/items"
        )
    menu = build_menu(public_url)
    problems = menu_problems(menu, set(current_app.extensions["sunshine.router"].menu_keys))
    if problems:
        raise click.ClickException("the menu breaks WeChat's rules:\n- " + "\n- ".join(problems))
    return menu


@menu_group.command("show")
@click.option(
    "--remote", is_flag=True, help="Show what WeChat has instead of what would be pushed."
)
@with_appcontext
def menu_show(remote: bool) -> None:
    """Print the menu as JSON (checked against WeChat's limits)."""
    menu = _call_wechat(lambda client: client.menu.get()) if remote else _checked_menu()
    click.echo(json.dumps(menu, ensure_ascii=False, indent=2))


@menu_group.command("push")
@with_appcontext
def menu_push() -> None:
    """Check the menu, then send it to WeChat."""
    menu = _checked_menu()
    _call_wechat(lambda client: client.menu.create(menu))
    click.echo("Menu pushed. WeChat shows it to followers within a few minutes.")


def _call_wechat(call):  # type: ignore[no-untyped-def]
    from bot.wechat_api import WeChatUnavailable, get_client

    try:
        return call(get_client())
    except WeChatUnavailable as error:
        raise click.ClickException(str(error)) from error
    except WeChatClientException as error:
        raise click.ClickException(f"WeChat refused: {error.errcode} {error.errmsg}") from error
    except requests.RequestException as error:
        raise click.ClickException(f"cannot reach the WeChat API: {error}") from error


@click.command("chat")
@click.option("--url", help="The webhook (default: SUNSHINE_PUBLIC_URL/wechat or local port 5000).")
@click.option("--openid", default="o-demo-resident", show_default=True, help="The resident.")
@with_appcontext
def chat_command(url: str | None, openid: str) -> None:
    """Chat with the bot as a resident: one message per line on stdin."""
    config = current_app.config
    if not config["WECHAT_TOKEN"]:
        raise click.ClickException("SUNSHINE_WECHAT_TOKEN is not set: cannot sign messages")
    base = (config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")
    keys = Keys(config["WECHAT_TOKEN"], config["WECHAT_AES_KEY"], config["WECHAT_APPID"])
    client = ChatClient(
        http_transport(url or f"{base}/wechat"), keys, safe_mode=bool(keys.aes_key), openid=openid
    )
    if not run_chat(client, sys.stdin, interactive=sys.stdin.isatty()):
        sys.exit(1)


def run_chat(client: ChatClient, lines: Iterable[str], *, interactive: bool) -> bool:
    """Send each line and print the reply; False when the server could not be used."""
    if interactive:
        click.echo(f"Type a message and press Enter; Ctrl-D to quit. Also: {COMMANDS}")
        lines = _prompted_lines()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        try:
            reply = describe(client.line(line))
        except ChatError as error:
            click.echo(f"error: {error}", err=True)
            if not interactive:
                return False
            continue
        except requests.RequestException as error:
            click.echo(f"error: cannot reach the server: {error}", err=True)
            return False
        click.echo(f"阳光> {reply}" if interactive else reply)
        if not interactive:
            click.echo("")
    return True


def _prompted_lines() -> Iterable[str]:
    while True:
        try:
            yield input("你> ")
        except EOFError:
            click.echo("")
            return


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Port on 127.0.0.1.")
def demo_command(port: int) -> None:
    """Serve a seeded demo on embedded defaults and chat with it in this terminal."""
    from bot import create_app

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
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with app.app_context():
        db.upgrade(db.get_engine())
        seed(db.get_session())
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
    from bot.admin.accounts import DEMO_USERNAME, ensure_demo_account

    with app.app_context():
        staff_password = ensure_demo_account(db.get_session())
    click.echo(f"  Staff console: {base}/admin   login: {DEMO_USERNAME} / {staff_password}")
    if not sys.stdin.isatty():
        click.echo("No terminal on stdin: serving only. Stop with Ctrl-C.")
        server.serve_forever()
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = ChatClient(http_transport(f"{base}/wechat"), Keys(token))
    click.echo("You are a resident chatting with the account. Try: 帮助, 联系, 年报")
    run_chat(client, [], interactive=True)
    server.shutdown()


def main() -> None:
    from bot import create_app

    group = FlaskGroup(
        create_app=create_app,
        add_version_option=False,
        help="Sunshine (阳光): the government-disclosure WeChat account's backend.",
    )
    group.add_command(demo_command)
    group(prog_name="sunshine")
