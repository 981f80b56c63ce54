"""``sunshine report stats YEAR``: the statutory tables of a year, checked, as text, CSV or XLSX."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from bot.annual import tables as annual
from bot.annual import writers
from bot.annual.outline import FORMAT_2021
from bot.db import get_session
from bot.files import output_option, refuse_binary_to_terminal, write_output
from bot.models import Body
from bot.staff.cli import body_option


@click.group("report")
def report_group() -> None:
    """The annual disclosure report."""


@report_group.command("stats")
@click.argument("year", type=click.IntRange(2008, 2100))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "xlsx"]),
    default="text",
    show_default=True,
)
@output_option
@with_appcontext
@body_option
def report_stats(year: int, fmt: str, output: Path | None, body: Body) -> None:
    """The statutory tables 二, 三 and 四 of YEAR (2021 national format), checked.

    Exits with status 1 when table 三 does not add up (一 + 二 = 三(七) + 四), after
    writing the tables and saying why on stderr.
    """
    refuse_binary_to_terminal(fmt, output)
    result = annual.compute(get_session(), body.id, year)
    if fmt == "xlsx":
        write_output(
            output, fmt, lambda stream: writers.write_xlsx(result.tables, stream, year=year)
        )
    else:
        writer = writers.write_text if fmt == "text" else writers.write_csv
        write_output(output, fmt, lambda stream: writer(result.tables, stream))
    if year < FORMAT_2021:
        click.echo(f"Note: reports for {year} used an earlier format than these tables.", err=True)
    if output:
        click.echo(f"Wrote the {year} tables to {output}.", err=True)
    problems = annual.check_lines(result.check)
    if problems:
        for line in problems:
            click.echo(f"CHECK FAILED: {line}", err=True)
        sys.exit(1)
    click.echo(
        f"Check passed: received + carried over = closed + carried forward ({year}).", err=True
    )
