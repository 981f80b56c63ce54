"""The ``sunshine`` command: the app factory's Flask CLI group, plus ``sunshine demo``.

Apart from the app's own commands (``bot.cli`` and each package's ``init_app``), it
serves ``sunshine demo``, which builds an app of its own on embedded defaults. The app
is built for the command line: each command logs only the warnings about settings that
concern it (``bot.logs.concerns``); ``sunshine run``, a server, logs them all.
"""

from __future__ import annotations

import copy
import functools
import logging
import secrets
import sys
import threading
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command
from werkzeug.serving import make_server

from bot import create_app, db, logs
from bot.admin.accounts import ensure_demo_accounts
from bot.cli import run_chat
from bot.seed import seed
from bot.wechat.chat import ChatClient, http_transport
from bot.wechat.protocol import Keys


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="Port on 127.0.0.1.")
def demo_command(port: int) -> None:
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
    client = ChatClient(http_transport(f"{base}/wechat"), Keys(token))
    click.echo(
        "You are a resident chatting with the account. "
        "Try: 帮助, 你好, 年报, 我要投诉路灯坏了, /voice 进度怎么样了"
    )
    run_chat(client, [], interactive=True)
    server.shutdown()


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
