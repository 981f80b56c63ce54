"""``sunshine staff add|list|passwd|role|join|leave|disable|enable``: console accounts from the
command line.

A password is never an argument (it would stay in the shell history and show in
``ps``): it is asked for twice at a hidden prompt, or read as one line from stdin
when stdin is not a terminal (``echo "$PW" | sunshine staff add wang --role handler``).
``staff add`` names the bodies the member works in (``--body SLUG``, repeated), with the
role in each; with a single body in the deployment it may be left out. ``staff join`` and
``staff leave`` change the bodies of an existing account, ``staff role`` its role in one.
Every command that changes an account, and the listing, writes an audit entry
with the actor ``cli``.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click
import redis
from flask.cli import with_appcontext

from bot import clock
from bot.admin import accounts
from bot.admin.accounts import AccountError
from bot.admin.console import beijing_time
from bot.db import get_session
from bot.logs import Concern, concerns
from bot.models import Body
from bot.models.staff import Staff
from bot.staff import audit
from bot.staff.bodies import BodyProblem, chosen
from bot.staff.cli import body_option
from bot.staff.roles import Role
from bot.store import get_redis


@click.group("staff")
def staff_group() -> None:
    """Staff accounts of the web console (/admin)."""


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def read_password(username: str) -> str:
    """A checked new password: from a hidden prompt on a terminal, else one line of stdin."""

    def checked(password: str) -> str:
        try:
            accounts.check_password(password, username)
        except AccountError as error:
            raise click.UsageError(str(error)) from error
        return password

    if stdin_is_terminal():
        return click.prompt(
            f"New password for '{username}' (at least {accounts.MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="Repeat the password",
            value_proc=checked,
        )
    line = sys.stdin.readline().rstrip("\r\n")
    try:
        accounts.check_password(line, username)
    except AccountError as error:
        raise click.ClickException(f"{error} (read from stdin)") from error
    return line


def _failed(error: AccountError) -> click.ClickException:
    return click.ClickException(str(error))


@staff_group.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="What the account may do (see bot/staff/roles.py).",
)
@click.option(
    "--body",
    "body_slugs",
    metavar="SLUG",
    multiple=True,
    help="A body they work in, with that role (repeat for several; `sunshine body list`). "
    "May be left out while there is a single body.",
)
@click.option("--name", "display_name", help="The name shown in the console, e.g. 王芳.")
@with_appcontext
def add_command(
    username: str, role: str, body_slugs: tuple[str, ...], display_name: str | None
) -> None:
    """Create an account working in the bodies named; the password is asked for (or read
    from stdin)."""
    session = get_session()
    try:
        member_of = [chosen(session, slug) for slug in dict.fromkeys(body_slugs or [None])]
    except BodyProblem as problem:
        raise click.UsageError(str(problem)) from problem
    try:
        username = accounts.check_username(username)
        accounts.refuse_taken(session, username)
        password = read_password(username)
        staff = accounts.add_account(
            session, audit.CLI, username, role, password, display_name, member_of
        )
    except AccountError as error:
        raise _failed(error) from error
    session.commit()
    click.echo(
        f"Created staff account '{staff.username}' ({staff.display_name}, {staff.role} in "
        f"{', '.join(body.slug for body in member_of)}). They can log in at /admin/login."
    )


@staff_group.command("list")
@with_appcontext
def list_command() -> None:
    """Show every account with its role and state."""
    session = get_session()
    members = accounts.members(session, audit.CLI)
    session.commit()
    if not members:
        click.echo("No staff accounts yet. Create one with: sunshine staff add USER --role admin")
        return
    now = clock.now()
    rows = [("USERNAME", "BODIES:ROLES", "STATE", "LAST LOGIN (BEIJING)", "NAME")]
    for member in members:
        if not member.active:
            state = "disabled"
        else:
            locked = _lockouts(member, now)
            state = f"active, locked out from {locked} address(es)" if locked else "active"
        rows.append(
            (
                member.username,
                accounts.membership_text(session, member) or f"(no body):{member.role}",
                state,
                beijing_time(member.last_login_at) or "never",
                member.display_name,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        click.echo("  ".join([*padded, row[4]]))


@staff_group.command("passwd")
@click.argument("username")
@with_appcontext
@concerns(Concern.STORE)
def passwd_command(username: str) -> None:
    """Set a new password (asked for, or read from stdin); also ends a lock-out."""
    session = get_session()
    try:
        staff = accounts.get(session, username)
        accounts.change_password(staff, audit.CLI, read_password(staff.username))
    except AccountError as error:
        raise _failed(error) from error
    session.commit()
    click.echo(f"Password changed for '{staff.username}'. Their open console sessions have ended.")
    _lift_lockouts(staff)


@staff_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@with_appcontext
@body_option
def role_command(username: str, role: str, body: Body) -> None:
    """Give an account another role in a body (see bot/staff/roles.py)."""
    session = get_session()
    try:
        staff = accounts.get(session, username)
        changed = accounts.change_role(staff, audit.CLI, role, body.id)
    except AccountError as error:
        raise _failed(error) from error
    if not changed:
        click.echo(f"'{staff.username}' already has the role {role}.")
        return
    session.commit()
    click.echo(f"'{staff.username}' now has the role {role}; it applies from their next page.")


@staff_group.command("join")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Their role in that body (see bot/staff/roles.py).",
)
@with_appcontext
@body_option
def join_command(username: str, role: str, body: Body) -> None:
    """Let an account work in one more body, with a role there."""
    session = get_session()
    try:
        staff = accounts.get(session, username)
        accounts.join_body(staff, audit.CLI, body, role)
    except AccountError as error:
        raise _failed(error) from error
    session.commit()
    click.echo(
        f"'{staff.username}' now works in {body.slug} as {role} "
        f"({accounts.membership_text(session, staff)}); it applies from their next page."
    )


@staff_group.command("leave")
@click.argument("username")
@with_appcontext
@body_option
def leave_command(username: str, body: Body) -> None:
    """Stop an account working in a body: from their next page they see none of its records."""
    session = get_session()
    try:
        staff = accounts.get(session, username)
        accounts.leave_body(staff, audit.CLI, body)
    except AccountError as error:
        raise _failed(error) from error
    session.commit()
    click.echo(
        f"'{staff.username}' no longer works in {body.slug} "
        f"(now: {accounts.membership_text(session, staff)})."
    )


@staff_group.command("disable")
@click.argument("username")
@with_appcontext
def disable_command(username: str) -> None:
    """Stop an account from logging in (accounts are never deleted: the audit log names them)."""
    _set_active(username, active=False)


@staff_group.command("enable")
@click.argument("username")
@with_appcontext
@concerns(Concern.STORE)
def enable_command(username: str) -> None:
    """Let a disabled account log in again."""
    _set_active(username, active=True)


def _set_active(username: str, *, active: bool) -> None:
    session = get_session()
    try:
        staff = accounts.get(session, username)
    except AccountError as error:
        raise _failed(error) from error
    if not accounts.set_active(staff, audit.CLI, active=active):
        click.echo(f"'{staff.username}' is already {'enabled' if active else 'disabled'}.")
        return
    session.commit()
    if active:
        click.echo(f"Enabled '{staff.username}': they can log in again.")
        _lift_lockouts(staff)
    else:
        click.echo(
            f"Disabled '{staff.username}': they can no longer log in, and their open console "
            "sessions have ended."
        )


def _lockouts(member: Staff, now: datetime) -> int:
    try:
        return accounts.lockouts(get_redis(), member.username, now)
    except redis.RedisError:
        return 0  # unknown without the store; the listing goes on


def _lift_lockouts(staff: Staff) -> None:
    """Let every address try the account again; say so, or why it could not be done."""
    try:
        accounts.lift_lockouts(get_redis(), staff.username)
    except redis.RedisError as error:
        click.echo(
            f"Could not lift lock-outs of '{staff.username}': Redis is unreachable ({error}). "
            "They end by themselves after SUNSHINE_ADMIN_LOCKOUT seconds.",
            err=True,
        )
        return
    click.echo("Any lock-out is lifted.")
