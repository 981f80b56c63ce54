"""``sunshine items import FILE.csv|FILE.xlsx``: the catalogue from a spreadsheet, all or nothing.

Every row is checked before anything is written; problems are listed by the
row number the spreadsheet shows. A row whose document number (in canonical
form) is already held updates that item; a row without one updates the item
with the same title and date, else it is added. Headers may be Chinese or English
(``标题``/``title``…); columns the importer does not know, such as ``序号``, are
ignored and named in the summary.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.catalogue import (
    canonical_doc_number,
    parse_category,
    parse_channel,
    parse_date,
    parse_status,
)
from bot.models.content import Item

COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "名称", "title"),
    "category": ("类别", "分类", "category"),
    "doc_number": ("文号", "发文字号", "doc_number", "document number"),
    "publisher": ("发布机构", "发布单位", "publisher"),
    "published_on": ("发布日期", "日期", "published_on", "date"),
    "channel": ("渠道", "发布渠道", "channel"),
    "summary": ("摘要", "summary"),
    "body": ("正文", "内容", "body"),
    "link": ("链接", "网址", "link", "url"),
    "attachments": ("附件", "attachments"),
    "status": ("状态", "status"),
}
REQUIRED = ("title", "category", "published_on", "channel")
LIMITS = {"title": 300, "doc_number": 100, "publisher": 100, "link": 500}
COLUMN_NAMES = {
    "title": "title",
    "doc_number": "document number",
    "publisher": "publisher",
    "link": "link",
}


class ImportRejected(Exception):
    """The file was not imported; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def read_table(path: Path) -> list[tuple[Any, ...]]:
    """The rows of a CSV (UTF-8 or GB18030, as Excel saves it in China) or the first XLSX sheet."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]
        finally:
            workbook.close()
    if suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]
        raise ImportRejected([f"{path.name} is neither UTF-8 nor GB18030 text"])
    raise ImportRejected([f"{path.name}: only .csv and .xlsx files can be imported"])


def validate(table: Sequence[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The items the table describes and the ignored column names; raises with every problem."""
    if not table:
        raise ImportRejected(["the file is empty: the first row must name the columns"])
    columns, ignored = _columns(table[0])
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        expected = "; ".join(f"{name} ({' or '.join(COLUMNS[name][:2])})" for name in missing)
        raise ImportRejected([f"row 1: these columns are missing: {expected}"])
    items: list[dict[str, Any]] = []
    problems: list[str] = []
    numbers: dict[str, int] = {}
    for row_number, row in enumerate(table[1:], start=2):
        cells = {name: _cell(row, index) for name, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        fields, row_problems = _item_fields(cells)
        problems += [f"row {row_number}: {problem}" for problem in row_problems]
        number = fields.get("doc_number")
        if number:
            if number in numbers:
                problems.append(
                    f"row {row_number}: document number {number} is also on row {numbers[number]}"
                )
            numbers.setdefault(number, row_number)
        items.append(fields)
    if problems:
        raise ImportRejected(problems)
    if not items:
        raise ImportRejected(["the file has a header row but no items"])
    return items, ignored


def import_items(session: Session, path: Path) -> ImportSummary:
    """Validate the whole file, then add or update every item in one transaction."""
    items, ignored = validate(read_table(path))
    summary = ImportSummary(ignored_columns=ignored)
    for fields in items:
        existing = _existing(session, fields)
        if existing is None:
            session.add(Item(**fields, is_example=False))
            summary.created += 1
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.is_example = False
            summary.updated += 1
    session.commit()
    return summary


def _columns(header: tuple[Any, ...]) -> tuple[dict[str, int], list[str]]:
    aliases = {alias: name for name, names in COLUMNS.items() for alias in names}
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, heading in enumerate(header):
        text = str(heading or "").strip()
        name = aliases.get(text.lower()) or aliases.get(text)
        if name is None:
            if text:
                ignored.append(text)
        else:
            columns.setdefault(name, index)
    return columns, ignored


def _cell(row: tuple[Any, ...], index: int) -> Any:
    value = row[index] if index < len(row) else None
    return value.strip() if isinstance(value, str) else value


def _item_fields(cells: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    fields: dict[str, Any] = {}

    def text(name: str) -> str | None:
        value = cells.get(name)
        return None if value in (None, "") else str(value)

    fields["title"] = text("title")
    if not fields["title"]:
        problems.append("the title is empty")
    fields["doc_number"] = canonical_doc_number(text("doc_number"))
    fields["publisher"] = text("publisher")
    fields["summary"] = text("summary")
    fields["body"] = text("body")
    fields["link"] = text("link")
    for name, limit in LIMITS.items():
        if fields[name] and len(fields[name]) > limit:
            problems.append(f"the {COLUMN_NAMES[name]} is longer than {limit} characters")
    if fields["link"] and not fields["link"].startswith(("http://", "https://")):
        problems.append(f"the link '{fields['link']}' does not start with http:// or https://")
    for name, parse in (
        ("category", parse_category),
        ("published_on", parse_date),
        ("channel", parse_channel),
        ("status", parse_status),
    ):
        try:
            fields[name] = parse(cells.get(name))
        except ValueError as error:
            problems.append(str(error))
    try:
        fields["attachments"] = parse_attachments(text("attachments"))
    except ValueError as error:
        problems.append(str(error))
    return fields, problems


def parse_attachments(value: str | None) -> list[dict[str, str]]:
    """``附件1.xlsx|https://…`` entries, one per line or separated by ``;``; a bare URL names itself."""
    if not value:
        return []
    attachments = []
    for entry in _split_entries(value):
        name, _, url = entry.rpartition("|") if "|" in entry else ("", "", entry)
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the attachment '{entry}' needs a web address (name|https://...)")
        attachments.append({"name": name.strip() or url.rsplit("/", 1)[-1], "url": url})
    return attachments


def _split_entries(value: str) -> Iterable[str]:
    for line in value.replace("；", ";").replace("\n", ";").split(";"):
        if line.strip():
            yield line.strip()


def _existing(session: Session, fields: dict[str, Any]) -> Item | None:
    if fields["doc_number"]:
        return session.scalars(select(Item).where(Item.doc_number == fields["doc_number"])).first()
    published_on: date = fields["published_on"]
    return session.scalars(
        select(Item).where(
            Item.doc_number.is_(None),
            Item.title == fields["title"],
            Item.published_on == published_on,
        )
    ).first()
