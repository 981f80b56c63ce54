"""The ``sunshine`` command: Flask's CLI on the app factory, plus ``sunshine demo``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click
import requests
from flask import Flask, current_app
from flask.cli import with_appcontext
from wechatpy.exceptions import WeChatClientException

from bot import db
from bot.models import Body
from bot.seed import seed
from bot.staff import audit, bodies
from bot.staff.cli import body_option
from bot.wechat.chat import COMMANDS, ChatClient, ChatError, describe, http_transport
from bot.wechat.menu import build_menu, menu_problems
from bot.wechat.protocol import Keys

if TYPE_CHECKING:
    from bot.wechat.api import SharedTokenClient


def init_app(app: Flask) -> None:
    for command in (seed_command, body_group, db_group, menu_group, chat_command):
        app.cli.add_command(command)


@click.command("seed")
@click.option(
    "--body",
    "body_slug",
    metavar="SLUG",
    help="The body to seed (`sunshine body list`); needed when there are several.",
)
@with_appcontext
def seed_command(body_slug: str | None) -> None:
    """Create the schema if missing and load the 2017 report and example content.

    On a deployment without a body, the first body is created from the report's
    contact details (slug SUNSHINE_FIRST_BODY_SLUG, default "town").
    """
    with db.schema_owner() as engine:
        db.upgrade(engine)
    session = db.get_session()
    body = None
    if body_slug or bodies.default(session) is not None:
        try:
            body = bodies.chosen(session, body_slug)
        except bodies.BodyProblem as problem:
            raise click.UsageError(str(problem)) from problem
    body = seed(session, body)
    click.echo(
        f"Seeded body {body.slug}: its contact details and the 2017 report, example items "
        "(into an empty catalogue); and the holiday calendars."
    )


@click.group("body")
def body_group() -> None:
    """The bodies (行政机关: towns, county departments) this deployment serves."""


@body_group.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Its name, e.g. 公主岭市怀德镇人民政府.")
@with_appcontext
def body_add(slug: str, name: str) -> None:
    """Add a body SLUG (lower-case letters, digits, hyphens: it goes in its pages' paths)."""
    session = db.get_session()
    try:
        body = bodies.add(session, audit.CLI, slug, name)
    except bodies.BodyProblem as problem:
        raise click.ClickException(str(problem)) from problem
    session.commit()
    click.echo(
        f"Added body {body.slug}: {body.name}. Its pages: /b/{body.slug}/items; "
        "staff fill its contact details at /admin/office."
    )


@body_group.command("list")
@with_appcontext
def body_list() -> None:
    """List the bodies: slug and name; the default one (served at /wechat) is marked."""
    listed = bodies.listed(db.get_session())
    if not listed:
        click.echo("No body yet: run `sunshine seed` or `sunshine body add SLUG --name NAME`.")
        return
    width = max(len(body.slug) for body in listed)
    for number, body in enumerate(listed):
        mark = "  (default)" if number == 0 else ""
        click.echo(f"{body.slug:<{width}}  {body.name}{mark}")


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


def _checked_menu(body: Body) -> dict[str, Any]:
    public_url = current_app.config["PUBLIC_URL"]
    if not public_url:
        raise click.ClickException(
            "SUNSHINE_PUBLIC_URL is not set: the menu's 公开目录 button links to PUBLIC_URL/items"
        )
    menu = build_menu(public_url, bodies.pages_path(db.get_session(), body, "/items"))
    problems = menu_problems(menu, set(current_app.extensions["sunshine.router"].menu_keys))
    if problems:
        raise click.ClickException("the menu breaks WeChat's rules:\n- " + "\n- ".join(problems))
    return menu


@menu_group.command("show")
@click.option(
    "--remote", is_flag=True, help="Show what WeChat has instead of what would be pushed."
)
@with_appcontext
@body_option
def menu_show(remote: bool, body: Body) -> None:
    """Print the menu as JSON (checked against WeChat's limits); its 公开目录 opens the body's."""
    menu = _call_wechat(lambda client: client.menu.get()) if remote else _checked_menu(body)
    click.echo(json.dumps(menu, ensure_ascii=False, indent=2))


@menu_group.command("push")
@with_appcontext
@body_option
def menu_push(body: Body) -> None:
    """Check the menu, then send it to WeChat; its 公开目录 opens the body's catalogue."""
    menu = _checked_menu(body)
    _call_wechat(lambda client: client.menu.create(menu))
    click.echo("Menu pushed. WeChat shows it to followers within a few minutes.")


def _call_wechat(call: Callable[[SharedTokenClient], Any]) -> Any:
    from bot.wechat.api import WeChatUnavailable, get_client

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
