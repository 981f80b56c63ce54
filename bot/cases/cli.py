"""Commands: ``sunshine cases export``, ``calendar add|list|template``, ``media fetch``, ``digest``,
``replies retry`` and ``report stats``."""

from __future__ import annotations

import io
import logging
import shlex
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import clock
from bot.cases import county, export, media, replies
from bot.cases.calendar import (
    ScheduleError,
    loaded_years,
    parse_schedule,
    schedule_json,
    store_schedule,
    template,
)
from bot.cases.digest import DIGEST_DAYS, digest_for, digest_text
from bot.cases.intake import recompute_open_deadlines
from bot.cases.privacy import SealError
from bot.db import get_session
from bot.files import output_option, refuse_binary_to_terminal, write_output
from bot.logs import Concern, concerns
from bot.models import Body
from bot.staff import audit
from bot.staff.cli import bodies_option, body_option
from bot.wechat.api import WeChatUnavailable, get_client

log = logging.getLogger(__name__)


@click.group("cases")
def cases_group() -> None:
    """Applications and complaints."""


@cases_group.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "xlsx"]),
    default="json",
    show_default=True,
)
@output_option
@click.option(
    "--with-contact",
    is_flag=True,
    help="Show identity numbers, phones, e-mail and postal addresses in full.",
)
@with_appcontext
@concerns(Concern.DATA_KEY)
@body_option
def export_command(fmt: str, output: Path | None, with_contact: bool, body: Body) -> None:
    """Export every application and complaint of the body, one record each.

    Each export is written to the audit log first (the operator's OS user, the command,
    how many cases and how many with contact details in full).
    """
    refuse_binary_to_terminal(fmt, output)
    session = get_session()
    options = ["--body", body.slug, "--format", fmt, *(["-o", str(output)] if output else [])]
    options += ["--with-contact"] if with_contact else []
    try:
        rows = export.exported(
            session,
            body.id,
            audit.CLI,
            with_contact=with_contact,
            destination=str(output) if output else "stdout",
            command=f"{click.get_current_context().command_path} {shlex.join(options)}",
        )
    except SealError as error:
        raise click.ClickException(str(error)) from error
    session.commit()
    if with_contact:
        log.warning("cases exported with contact details in full (%d records)", len(rows))
    writers: dict[str, Callable[[list[dict[str, Any]], IO[Any]], None]] = {
        "xlsx": export.write_xlsx,
        "json": export.write_json,
        "csv": export.write_csv,
    }
    writer = writers[fmt]
    write_output(output, fmt, lambda stream: writer(rows, stream))
    if output:
        click.echo(f"Exported {len(rows)} case(s) of {body.slug} to {output}.", err=True)


@click.group("calendar")
def calendar_group() -> None:
    """The working-day calendar: official holiday schedules by year."""


@calendar_group.command("add")
@click.argument("year", type=int)
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--replace", is_flag=True, help="Replace a year that is already loaded.")
@with_appcontext
def calendar_add(year: int, file: io.TextIOBase, replace: bool) -> None:
    """Load YEAR's holiday schedule from FILE (JSON) and recompute open deadlines.

    Start from `sunshine calendar template YEAR`.
    """
    try:
        schedule = parse_schedule(file.read(), year)
    except ScheduleError as error:
        raise click.ClickException(f"{getattr(file, 'name', 'FILE')}: {error}") from error
    session = get_session()
    if any(row.year == year for row in loaded_years(session)) and not replace:
        raise click.ClickException(f"{year} is already loaded; add --replace to replace it")
    store_schedule(session, schedule)
    session.commit()
    click.echo(
        f"Loaded {year}: {len(schedule.days_off)} day(s) off, "
        f"{len(schedule.working_days)} weekend working day(s) ({schedule.source})."
    )
    changes = recompute_open_deadlines(session)
    for change in changes:
        click.echo(f"  {change.number}: {change.before} -> {change.after}")
    click.echo(f"Recomputed open deadlines: {len(changes)} changed.")


@calendar_group.command("list")
@with_appcontext
def calendar_list() -> None:
    """Show which years' schedules are loaded."""
    years = loaded_years(get_session())
    if not years:
        click.echo("No schedule loaded: every deadline is provisional. Run: sunshine seed")
        return
    for row in years:
        click.echo(f"{row.year}  {row.source}")
    click.echo(f"Deadlines reaching past {years[-1].year} are provisional until it is added.")


@calendar_group.command("template")
@click.argument("year", type=int)
def calendar_template(year: int) -> None:
    """Print YEAR's schedule file from chinese-calendar, or an empty one to fill in."""
    schedule = template(year)
    click.echo(schedule_json(schedule))
    if not schedule.days_off:
        click.echo(
            f"chinese-calendar has no {year} yet: fill days_off and working_days from the "
            f"State Council's notice, then run: sunshine calendar add {year} FILE",
            err=True,
        )


@click.group("media")
def media_group() -> None:
    """Residents' photos."""


@media_group.command("fetch")
@with_appcontext
def media_fetch() -> None:
    """Download the photos still waiting (WeChat deletes them after 3 days)."""
    session = get_session()
    waiting = media.pending(session)
    if not waiting:
        click.echo("No photo is waiting.")
        return
    problems = []
    for account in sorted({attachment.case.account for attachment in waiting}):
        try:
            get_client(account)
        except WeChatUnavailable as error:
            problems.append(str(error))
    if len(problems) == len({attachment.case.account for attachment in waiting}):
        raise click.ClickException(f"{len(waiting)} photo(s) wait, but {'; '.join(problems)}")
    report = media.fetch_pending(session, get_client, media.media_dir(current_app))
    click.echo(
        f"Stored {len(report.stored)} photo(s); {len(report.failed)} failed and stay pending; "
        f"{len(report.expired)} expired (WeChat no longer has them)."
    )
    if report.failed:
        sys.exit(1)


@click.command("digest")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), help="As of this Beijing date.")
@click.option(
    "--days", default=DIGEST_DAYS, show_default=True, help="Also list cases due within DAYS."
)
@with_appcontext
@bodies_option
def digest_command(on: datetime | None, days: int, bodies: list[Body]) -> None:
    """Print the daily digest (每日督办单) for staff, in Chinese like /admin/digest: the
    overdue open cases, then those due soon, then the county's 督办 notices of the last
    ``ESCALATIONS_SHOWN_DAYS`` days — one body's, or every body's one after another (for
    a daily timer on a deployment serving several)."""
    today = on.date() if on else clock.today()
    session = get_session()
    since = clock.now() - timedelta(days=ESCALATIONS_SHOWN_DAYS)
    texts = [
        digest_text(
            digest_for(session, body, today, days),
            county.escalations(session, [body.id], since=since),
        )
        for body in bodies
    ]
    click.echo(f"\n\n{DIGEST_RULE}\n\n".join(texts))


#: Between two bodies' digests in ``sunshine digest``'s output.
DIGEST_RULE = "=" * 40


#: How far back ``sunshine digest`` lists the county's 督办 notices.
ESCALATIONS_SHOWN_DAYS = 7


@click.group("replies")
def replies_group() -> None:
    """Staff replies to residents (pushed through WeChat)."""


@replies_group.command("retry")
@with_appcontext
@concerns(Concern.WECHAT_API)
def replies_retry() -> None:
    """Push replies that failed, or wait for a resident who has written again (for a timer)."""
    report = replies.retry_all(get_session())
    click.echo(
        f"Pushed {len(report.pushed)} reply(ies); {len(report.notified)} announced by "
        f"subscription message; {len(report.waiting)} wait for the resident; "
        f"{len(report.failed)} failed and will be retried."
    )
    if report.failed:
        sys.exit(1)


GROUPS = (cases_group, calendar_group, media_group, digest_command, replies_group)
