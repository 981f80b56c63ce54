"""The ``sunshine`` command: Flask's CLI on the app factory, plus ``sunshine demo``.

Here: ``seed``, ``db``, ``menu``, ``chat`` and ``account`` (official accounts besides
the ``SUNSHINE_WECHAT_*`` one; their secrets are read from stdin, never arguments, which
would stay in the shell history and show in ``ps``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import click
import requests
from flask import Flask, current_app
from flask.cli import with_appcontext
from wechatpy.exceptions import WeChatClientException

from bot import db
from bot.cases import privacy
from bot.models import Body
from bot.seed import seed
from bot.staff import audit, bodies
from bot.store import get_redis
from bot.wechat import accounts
from bot.wechat.chat import COMMANDS, ChatClient, ChatError, describe, http_transport
from bot.wechat.menu import build_menu, menu_problems
from bot.wechat.protocol import Keys

if TYPE_CHECKING:
    from bot.wechat.api import SharedTokenClient


def init_app(app: Flask) -> None:
    for command in (seed_command, body_group, db_group, menu_group, chat_command, account_group):
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
    created = body is None
    body = seed(session, body)
    details = "its contact details, " if created else ""
    click.echo(
        f"Seeded body {body.slug}: {details}the 2017 report, example items (into an empty "
        "catalogue); and the holiday calendars."
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


ACCOUNT_OPTION = click.option(
    "--account",
    default="",
    metavar="SLUG",
    help="A named account (sunshine account list); default: the SUNSHINE_WECHAT_* one.",
)
MENU_BODY_OPTION = click.option(
    "--body",
    "body_slug",
    metavar="SLUG",
    help="The body whose catalogue 公开目录 opens (`sunshine body list`); default: the "
    "account's (a county account's first), or the only body.",
)


def _menu_body(account: str, body_slug: str | None) -> Body:
    """The body whose catalogue the menu of ``account`` opens: the one named (it must be the
    account's), else the account's first, else the only body."""
    session = db.get_session()
    try:
        if not account:
            return bodies.chosen(session, body_slug)
        served = accounts.held(session, account).bodies
    except (bodies.BodyProblem, accounts.AccountError) as problem:
        raise click.UsageError(str(problem)) from problem
    named = [body for body in served if body_slug in (None, body.slug)]
    if not named:
        raise click.UsageError(f"account {account!r} does not serve body {body_slug!r}")
    return named[0]


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
@ACCOUNT_OPTION
@MENU_BODY_OPTION
@with_appcontext
def menu_show(remote: bool, account: str, body_slug: str | None) -> None:
    """Print the menu as JSON (checked against WeChat's limits); its 公开目录 opens the body's."""
    if remote:
        menu = _call_wechat(lambda client: client.menu.get(), account)
    else:
        menu = _checked_menu(_menu_body(account, body_slug))
    click.echo(json.dumps(menu, ensure_ascii=False, indent=2))


@menu_group.command("push")
@ACCOUNT_OPTION
@MENU_BODY_OPTION
@with_appcontext
def menu_push(account: str, body_slug: str | None) -> None:
    """Check the menu, then send it to WeChat (to the account given, or the configured one);
    its 公开目录 opens the body's catalogue."""
    body = _menu_body(account, body_slug)
    menu = _checked_menu(body)
    _call_wechat(lambda client: client.menu.create(menu), account)
    shown = f"Menu pushed to account {account}" if account else "Menu pushed"
    click.echo(
        f"{shown} (公开目录: body {body.slug}). WeChat shows it to followers within a few minutes."
    )


def _call_wechat(call: Callable[[SharedTokenClient], Any], account: str = "") -> Any:
    from bot.wechat.api import WeChatUnavailable, get_client

    try:
        return call(get_client(account))
    except WeChatUnavailable as error:
        raise click.ClickException(str(error)) from error
    except WeChatClientException as error:
        raise click.ClickException(f"WeChat refused: {error.errcode} {error.errmsg}") from error
    except requests.RequestException as error:
        raise click.ClickException(f"cannot reach the WeChat API: {error}") from error


@click.command("chat")
@click.option(
    "--url", help="The webhook (default: SUNSHINE_PUBLIC_URL/wechat[/SLUG] or local port 5000)."
)
@click.option("--openid", default="o-demo-resident", show_default=True, help="The resident.")
@ACCOUNT_OPTION
@with_appcontext
def chat_command(url: str | None, openid: str, account: str) -> None:
    """Chat with the bot as a resident: one message per line on stdin."""
    config = current_app.config
    base = (config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")
    if account:
        found = accounts.get_accounts().find(account)
        if found is None:
            raise click.ClickException(f"no account {account!r} (see: sunshine account list)")
        keys, path = found.keys, f"/wechat/{account}"
    elif config["WECHAT_TOKEN"]:
        keys = Keys(config["WECHAT_TOKEN"], config["WECHAT_AES_KEY"], config["WECHAT_APPID"])
        path = "/wechat"
    else:
        raise click.ClickException("SUNSHINE_WECHAT_TOKEN is not set: cannot sign messages")
    client = ChatClient(
        http_transport(url or f"{base}{path}"), keys, safe_mode=bool(keys.aes_key), openid=openid
    )
    if not run_chat(client, sys.stdin, interactive=sys.stdin.isatty()):
        sys.exit(1)


class Phone(Protocol):
    """What sends a typed line and returns the reply body (``ChatClient``)."""

    def line(self, line: str) -> str: ...


def run_chat(client: Phone, lines: Iterable[str], *, interactive: bool) -> bool:
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


# ---- official accounts ----


@click.group("account")
def account_group() -> None:
    """Official accounts besides the SUNSHINE_WECHAT_* one, each at /wechat/SLUG."""


@account_group.command("add")
@click.argument("slug")
@click.option(
    "--body",
    "body_slugs",
    multiple=True,
    metavar="BODY",
    help="A body it serves (sunshine body list); repeat for a county account, whose residents "
    "pick their town. May be left out while the deployment has one body.",
)
@click.option("--appid", required=True, help="The account's AppID (WeChat's console).")
@with_appcontext
def account_add(slug: str, body_slugs: tuple[str, ...], appid: str) -> None:
    """Add an account. Reads three lines from stdin: the Token, the EncodingAESKey (empty
    line: plaintext mode) and the AppSecret (empty line: no API calls)."""
    session = db.get_session()
    try:
        served = [bodies.chosen(session, name) for name in body_slugs or (None,)]
    except bodies.BodyProblem as problem:
        raise click.UsageError(str(problem)) from problem
    given = _read_secrets()
    try:
        added = accounts.add(session, audit.CLI, slug, appid, given, privacy.seal, served)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    session.commit()
    accounts.announce(get_redis())
    base = (current_app.config["PUBLIC_URL"] or "https://YOUR-HOST").rstrip("/")
    api = "API calls enabled" if given.secret else "no API calls (no AppSecret)"
    towns = ", ".join(body.slug for body in served)
    choice = "; residents pick their town" if len(served) > 1 else ""
    click.echo(
        f"Account {added.slug} added, serving {towns}{choice} ({accounts.mode(added)} mode, "
        f"{api}).\n"
        f"In WeChat's console set the server URL to {base}/wechat/{added.slug} with the same "
        "Token and EncodingAESKey; running workers serve it from its first delivery."
    )


def _read_secrets() -> accounts.Secrets:
    """The Token, EncodingAESKey and AppSecret: hidden prompts on a terminal, else three lines."""
    labels = ("Token", "EncodingAESKey (empty: plaintext mode)", "AppSecret (empty: no API calls)")
    if sys.stdin.isatty():
        values = [
            str(click.prompt(label, hide_input=True, default="", show_default=False)).strip()
            for label in labels
        ]
    else:
        values = [sys.stdin.readline().strip() for _ in labels]
    if not values[0]:
        raise click.ClickException(
            "expected three lines on stdin: the Token, the EncodingAESKey (empty line: "
            "plaintext mode) and the AppSecret (empty line: no API calls)"
        )
    return accounts.Secrets(values[0], values[1] or None, values[2] or None)


@account_group.command("list")
@with_appcontext
def account_list() -> None:
    """List the accounts (never their secrets)."""
    held = accounts.listed(db.get_session())
    if not held:
        click.echo("No account besides SUNSHINE_WECHAT_* (add one: sunshine account add).")
        return
    for account in held:
        api = "api" if account.secret_sealed else "no api"
        served = ",".join(body.slug for body in account.bodies)
        click.echo(
            f"{account.slug}\t{account.appid}\t{accounts.mode(account)}\t{api}\t{served}\t"
            f"/wechat/{account.slug}\tadded {account.created_at:%Y-%m-%d}"
        )


@account_group.command("remove")
@click.argument("slug")
@with_appcontext
def account_remove(slug: str) -> None:
    """Remove an account: its webhook answers 404; cases filed through it stay on record."""
    session = db.get_session()
    try:
        accounts.remove(session, audit.CLI, slug)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    session.commit()
    accounts.announce(get_redis())
    click.echo(f"Account {slug} removed: /wechat/{slug} now answers 404.")
