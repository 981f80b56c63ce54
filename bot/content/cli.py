"""``sunshine items ...``: the catalogue from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bot import db
from bot.content.importer import ImportRejected, import_items
from bot.models import Body
from bot.models.content import Item
from bot.staff import audit
from bot.staff.cli import body_option


@click.group("items")
def items_group() -> None:
    """Published information (the disclosure catalogue)."""


@items_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@body_option
def import_command(path: Path, body: Body) -> None:
    """Add or update items from a .csv or .xlsx file (all rows, or none if any is wrong).

    The first row names the columns: 标题/title, 类别/category, 发布日期/published_on
    and 渠道/channel are required; 文号/doc_number, 发布机构/publisher, 摘要/summary,
    正文/body, 链接/link, 附件/attachments and 状态/status are optional. A row with a
    document number already held updates that item.

    Rows are stored with the status they give (published when none): this loads a
    catalogue already published elsewhere. Items written or imported in the staff
    console are reviewed before they are published.
    """
    session = db.get_session()
    try:
        summary = import_items(session, body.id, path, audit.CLI)
    except ImportRejected as rejected:
        session.rollback()
        click.echo(f"Nothing was imported from {path.name}; fix these and try again:", err=True)
        for problem in rejected.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    session.commit()
    click.echo(
        f"Imported {summary.created + summary.updated} items from {path.name} into {body.slug}: "
        f"{summary.created} new, {summary.updated} updated."
    )
    if summary.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(summary.ignored_columns)}")


@items_group.command("remove-examples")
@with_appcontext
@body_option
def remove_examples(body: Body) -> None:
    """Delete the example items ``sunshine seed`` put in a body's empty catalogue (before
    going live)."""
    session = db.get_session()
    examples = list(session.scalars(select(Item).where(Item.body_id == body.id, Item.is_example)))
    for item in examples:
        session.delete(item)
    session.commit()
    click.echo(f"Removed {len(examples)} example items from {body.slug}.")
