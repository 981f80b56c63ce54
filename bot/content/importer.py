"""``sunshine items import FILE.csv|FILE.xlsx``: the catalogue from a spreadsheet, all or nothing.

Every row is checked before anything is written; problems are listed by the
row number the spreadsheet shows. A row whose document number (in canonical
form) is already held updates that item; a row without one updates the item
with the same title and date, else it is added. Headers may be Chinese or English
(``标题``/``title``…); columns the importer does not know, such as ``序号``, are
ignored and named in the summary.

Problems are kept in English (the command line) and in Chinese (the staff
console's import page): ``ImportRejected.details``. Both imports write one
``item.import`` audit entry (``import_items`` from the command line,
``import_drafts`` from the console, whose rows become drafts to review).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content import review
from bot.content.catalogue import (
    FieldProblem,
    canonical_doc_number,
    parse_category,
    parse_channel,
    parse_date,
    parse_status,
)
from bot.models.content import Item, ItemStatus, ReviewAction
from bot.models.staff import Staff
from bot.staff import audit

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
    "title": ("title", "标题"),
    "doc_number": ("document number", "文号"),
    "publisher": ("publisher", "发布机构"),
    "link": ("link", "链接"),
}


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused, on a row the spreadsheet shows (None: the whole file)."""

    row: int | None
    english: str
    chinese: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.english}" if self.row else self.english


class ImportRejected(Exception):
    """The file was not imported; ``problems`` says why in English, ``details`` by row in both."""

    def __init__(self, details: list[Problem]) -> None:
        self.details = details
        self.problems = [str(problem) for problem in details]
        super().__init__("\n".join(self.problems))


def _refused(english: str, chinese: str, row: int | None = None) -> ImportRejected:
    return ImportRejected([Problem(row, english, chinese)])


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    #: Console imports: rows that changed nothing of the item held (counted as updated otherwise).
    unchanged: int = 0
    #: Console imports: published items the import changed, back to review.
    withdrawn: int = 0


def read_table(path: Path) -> list[tuple[Any, ...]]:
    """The rows of a CSV (UTF-8 or GB18030, as Excel saves it in China) or the first XLSX sheet."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise _not_a_table(path.name)
    return read_upload(path.read_bytes(), path.name)


def read_upload(data: bytes, filename: str) -> list[tuple[Any, ...]]:
    """Like ``read_table``, for a file's content and name (an upload in the console)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError):
            raise _refused(
                f"{filename} is not a readable .xlsx workbook",
                f"{filename} 不是可以读取的 Excel（.xlsx）文件，请用 Excel 重新另存后再导入",
            ) from None
        try:
            return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]
        finally:
            workbook.close()
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]
        raise _refused(
            f"{filename} is neither UTF-8 nor GB18030 text",
            f"{filename} 的文字编码无法识别（应为 UTF-8 或 GB18030）",
        )
    raise _not_a_table(filename)


def _not_a_table(filename: str) -> ImportRejected:
    return _refused(
        f"{filename}: only .csv and .xlsx files can be imported",
        f"{filename}：只能导入 .csv 或 .xlsx 文件",
    )


def validate(table: Sequence[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The items the table describes and the ignored column names; raises with every problem."""
    if not table:
        raise _refused(
            "the file is empty: the first row must name the columns",
            "文件是空的：第一行应是列名（标题、类别、发布日期、渠道……）",
        )
    columns, ignored = _columns(table[0])
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        expected = "; ".join(f"{name} ({' or '.join(COLUMNS[name][:2])})" for name in missing)
        names = "、".join(f"“{COLUMNS[name][0]}”" for name in missing)
        raise _refused(f"these columns are missing: {expected}", f"缺少这些列：{names}", row=1)
    items: list[dict[str, Any]] = []
    problems: list[Problem] = []
    numbers: dict[str, int] = {}
    for row_number, row in enumerate(table[1:], start=2):
        cells = {name: _cell(row, index) for name, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        fields, row_problems = _item_fields(cells)
        problems += [Problem(row_number, *problem) for problem in row_problems]
        number = fields.get("doc_number")
        if number:
            if number in numbers:
                problems.append(
                    Problem(
                        row_number,
                        f"document number {number} is also on row {numbers[number]}",
                        f"文号 {number} 与第 {numbers[number]} 行重复",
                    )
                )
            numbers.setdefault(number, row_number)
        items.append(fields)
    if problems:
        raise ImportRejected(problems)
    if not items:
        raise _refused("the file has a header row but no items", "文件只有列名，没有信息")
    return items, ignored


@dataclass(frozen=True)
class Merged:
    """What ``merge`` did with one row."""

    item: Item
    created: bool
    #: Whether any field of an item already held changed (always True for a new one).
    changed: bool


def merge(
    session: Session,
    body_id: int,
    items: Iterable[dict[str, Any]],
    *,
    new_status: ItemStatus | None = None,
) -> list[Merged]:
    """Add each item to the body's, or update the one it holds with its document number (else
    title and date).

    New items get ``new_status`` when given (else the row's). Updated items stop
    being examples. Nothing is committed.
    """
    merged: list[Merged] = []
    for fields in items:
        existing = _existing(session, body_id, fields)
        if existing is None:
            item = Item(**fields, body_id=body_id, is_example=False)
            if new_status is not None:
                item.status = new_status
            session.add(item)
            merged.append(Merged(item, created=True, changed=True))
            continue
        changed = existing.is_example or any(
            getattr(existing, name) != value for name, value in fields.items()
        )
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.is_example = False
        merged.append(Merged(existing, created=False, changed=changed))
    return merged


def import_items(session: Session, body_id: int, path: Path, actor: Staff | str) -> ImportSummary:
    """Validate the whole file, then add or update every item with the status its row gives,
    and write ``item.import`` (the caller commits)."""
    items, ignored = validate(read_table(path))
    summary = ImportSummary(ignored_columns=ignored)
    for result in merge(session, body_id, items):
        if result.created:
            summary.created += 1
        else:
            summary.updated += 1
    _audit_import(actor, body_id, path.name, summary)
    return summary


def import_drafts(
    session: Session,
    body_id: int,
    rows: list[dict[str, Any]],
    ignored: list[str],
    staff: Staff,
    filename: str,
) -> ImportSummary:
    """Add or update the validated ``rows`` as drafts imported by ``staff``, and write
    ``item.import`` (the caller commits). A status column does not publish: every new or
    changed item is reviewed; a published one that changes leaves residents until then."""
    note = f"导入自 {filename}"
    for row in rows:
        row.pop("status", None)
    summary = ImportSummary(ignored_columns=ignored)
    for result in merge(session, body_id, rows, new_status=ItemStatus.DRAFT):
        if result.created:
            session.flush()
            session.add(review.authored(result.item, staff, ReviewAction.IMPORT, note, new=True))
            summary.created += 1
        elif result.changed:
            summary.withdrawn += result.item.status == ItemStatus.PUBLISHED
            session.add(review.authored(result.item, staff, ReviewAction.IMPORT, note))
            summary.updated += 1
        else:
            summary.unchanged += 1
    _audit_import(staff, body_id, filename, summary)
    return summary


def _audit_import(actor: Staff | str, body_id: int, filename: str, summary: ImportSummary) -> None:
    audit.record(
        actor,
        "item.import",
        "item",
        None,
        body_id=body_id,
        file=filename,
        created=summary.created,
        updated=summary.updated,
    )


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


def _item_fields(cells: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's fields, and its problems as (English, Chinese) pairs."""
    problems: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}

    def text(name: str) -> str | None:
        value = cells.get(name)
        return None if value in (None, "") else str(value)

    fields["title"] = text("title")
    if not fields["title"]:
        problems.append(("the title is empty", "标题是空的"))
    fields["doc_number"] = canonical_doc_number(text("doc_number"))
    fields["publisher"] = text("publisher")
    fields["summary"] = text("summary")
    fields["body"] = text("body")
    fields["link"] = text("link")
    for name, limit in LIMITS.items():
        if fields[name] and len(fields[name]) > limit:
            english, chinese = COLUMN_NAMES[name]
            problems.append(
                (f"the {english} is longer than {limit} characters", f"{chinese}超过 {limit} 个字")
            )
    if fields["link"]:
        try:
            check_link(fields["link"])
        except FieldProblem as problem:
            problems.append((str(problem), problem.chinese))
    for name, parse in (
        ("category", parse_category),
        ("published_on", parse_date),
        ("channel", parse_channel),
        ("status", parse_status),
        ("attachments", parse_attachments),
    ):
        try:
            fields[name] = parse(cells.get(name) if name != "attachments" else text(name))
        except FieldProblem as problem:
            problems.append((str(problem), problem.chinese))
    return fields, problems


def check_link(link: str) -> str:
    if not link.startswith(("http://", "https://")):
        raise FieldProblem(
            f"the link '{link}' does not start with http:// or https://",
            f"链接“{link}”应以 http:// 或 https:// 开头",
        )
    return link


def parse_attachments(value: str | None) -> list[dict[str, str]]:
    """``附件1.xlsx|https://…`` entries, one per line or separated by ``;``; a bare URL names itself."""
    if not value:
        return []
    attachments = []
    for entry in _split_entries(value):
        name, _, url = entry.rpartition("|") if "|" in entry else ("", "", entry)
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise FieldProblem(
                f"the attachment '{entry}' needs a web address (name|https://...)",
                f"附件“{entry}”缺少网址（写成 名称|https://...）",
            )
        attachments.append({"name": name.strip() or url.rsplit("/", 1)[-1], "url": url})
    return attachments


def attachments_text(attachments: Iterable[dict[str, str]]) -> str:
    """The attachments as ``parse_attachments`` reads them, one per line (for a form)."""
    return "\n".join(f"{a['name']}|{a['url']}" for a in attachments)


def _split_entries(value: str) -> Iterable[str]:
    for line in value.replace("；", ";").replace("\n", ";").split(";"):
        if line.strip():
            yield line.strip()


def _existing(session: Session, body_id: int, fields: dict[str, Any]) -> Item | None:
    held = select(Item).where(Item.body_id == body_id)
    if fields["doc_number"]:
        return session.scalars(held.where(Item.doc_number == fields["doc_number"])).first()
    published_on: date = fields["published_on"]
    return session.scalars(
        held.where(
            Item.doc_number.is_(None),
            Item.title == fields["title"],
            Item.published_on == published_on,
        )
    ).first()
