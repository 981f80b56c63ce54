"""Annual reports: reading a narrative report's text into sections and figures, and storing it.

A pre-2019 report such as the 2017 one is prose: a title, a preamble that names
its parts (``本报告由基本做法、主动公开政府信息情况、…等共三部分组成``), the parts
under headings, and the issuing body and date at the end. Its statistics are
sentences (``其中政府网站发布111条，占比43%``); the tables the printed report had
are not in the text, so only what the sentences say becomes figures; a table
caption with no data after it is kept as a ``missing_table`` block, so that pages
say a table was there instead of inventing its numbers. A signed report is an
official document: every sentence stays as printed, the one with the channel
counts too (after the table computed from them), and a printed percentage that
the counts contradict gets an erratum note where it is shown
(``bot.content.stats.errata``), never a silent correction.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models.content import Channel, ItemStatus, Report, ReportFigure

_PARTS = re.compile(r"本报告由(?P<parts>.+?)等?共[一二三四五六七八九十\d]+部分组成")
_NUMBERING = re.compile(r"^[一二三四五六七八九十]+[、.．]\s*|^\d+[、.．]\s*")
_DATE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
_TITLE_YEAR = re.compile(r"(?P<year>\d{4})年")
_SENTENCE_PUNCTUATION = re.compile(r"[。，；：！？]")
_PERIOD = re.compile(r"(?P<first>\d{4})年至(?P<last>\d{4})年")
_CHANNEL_COUNT = re.compile(r"(?P<label>(?:政府)?网站|微信|其他)发布(?P<count>\d+)条")
_TOTAL = re.compile(r"累计向社会公开政府信息(?P<count>\d+)条")
_THIS_YEAR = re.compile(r"今年(?P<label>[^，。]*?)公布政府信息(?P<count>\d+)条")

CHANNEL_WORDS = {"政府网站": Channel.WEBSITE, "网站": Channel.WEBSITE, "微信": Channel.WECHAT}
HEADING_MAX_CHARS = 30
#: ``first_year`` of a cumulative total until the channel table tells its first year.
CUMULATIVE = 0


@dataclass(frozen=True)
class Figure:
    label: str
    first_year: int
    last_year: int
    count: int
    channel: Channel | None = None


@dataclass
class ParsedReport:
    year: int
    title: str
    issuer: str | None
    issued_on: date | None
    sections: list[dict[str, Any]]
    figures: list[Figure] = field(default_factory=list)


class ReportFormatError(ValueError):
    """The text does not look like an annual report this parser understands."""


def parse_report(text: str) -> ParsedReport:
    """Read a narrative annual report's text (see the module docstring)."""
    lines = [line.strip(" \t\u3000") for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 3:
        raise ReportFormatError("the text is too short to be an annual report")
    title_lines: list[str] = []
    while lines and not _SENTENCE_PUNCTUATION.search(lines[0]) and len(title_lines) < 3:
        title_lines.append(lines.pop(0))
    title = "".join(title_lines)
    year_match = _TITLE_YEAR.search(title)
    if year_match is None:
        raise ReportFormatError(f"no year in the title {title!r}")
    issuer, issued_on = _signature(lines)
    parts = _named_parts(" ".join(lines))
    sections: list[dict[str, Any]] = [{"title": "", "blocks": []}]
    figures: list[Figure] = []
    caption: str | None = None
    for line in lines:
        heading = _heading(line, parts)
        blocks = sections[-1]["blocks"]
        if caption is not None and (heading is not None or _looks_like_caption(line)):
            blocks.append({"kind": "missing_table", "caption": caption})
            caption = None
        if heading is not None:
            sections.append({"title": heading, "blocks": []})
            continue
        if _looks_like_caption(line):
            caption = line
            continue
        found = _channel_figures(line, caption)
        if found:
            figures.extend(found)
            blocks.append({"kind": "figures", "caption": caption or ""})
            blocks.append({"kind": "paragraph", "text": line})
        else:
            if caption is not None:
                blocks.append({"kind": "missing_table", "caption": caption})
            figures.extend(_sentence_figures(line, int(year_match["year"])))
            blocks.append({"kind": "paragraph", "text": line})
        caption = None
    if caption is not None:
        sections[-1]["blocks"].append({"kind": "missing_table", "caption": caption})
    if not sections[0]["blocks"]:
        sections.pop(0)
    return ParsedReport(
        year=int(year_match["year"]),
        title=title,
        issuer=issuer,
        issued_on=issued_on,
        sections=sections,
        figures=_settle_totals(figures),
    )


def _signature(lines: list[str]) -> tuple[str | None, date | None]:
    """Remove and return the issuing body and date that close the report."""
    if not lines:
        return None, None
    found = _DATE.match(lines[-1])
    if found is None:
        return None, None
    lines.pop()
    issued_on = date(int(found["y"]), int(found["m"]), int(found["d"]))
    issuer = None
    if lines and not _SENTENCE_PUNCTUATION.search(lines[-1]) and len(lines[-1]) <= 30:
        issuer = lines.pop()
    return issuer, issued_on


def _named_parts(text: str) -> list[str]:
    found = _PARTS.search(text)
    return [part.strip() for part in re.split(r"[、，,]", found["parts"])] if found else []


def _heading(line: str, parts: list[str]) -> str | None:
    """The heading of a part: the line names a part the preamble listed (numbering aside).

    Headings may be shortened (``主动公开信息情况`` for ``主动公开政府信息情况``), so a
    line is a heading when its characters are those of a part, in order.
    """
    if len(line) > HEADING_MAX_CHARS or _SENTENCE_PUNCTUATION.search(line):
        return None
    bare = _NUMBERING.sub("", line).strip()
    for part in parts:
        if _in_order(bare, part) or _in_order(part, bare):
            return bare
    return None


def _in_order(shorter: str, longer: str) -> bool:
    rest = iter(longer)
    return len(shorter) >= 2 and all(char in rest for char in shorter)


def _looks_like_caption(line: str) -> bool:
    """A table's caption: short, no sentence punctuation (``2014年至2017年…统计表``)."""
    return len(line) <= HEADING_MAX_CHARS and not _SENTENCE_PUNCTUATION.search(line)


def _channel_figures(line: str, caption: str | None) -> list[Figure]:
    """``其中政府网站发布111条，占比43%，微信发布54条…`` under a caption naming the years."""
    counts = list(_CHANNEL_COUNT.finditer(line))
    if len(counts) < 2:
        return []
    period = _PERIOD.search(caption or "") or _PERIOD.search(line)
    if period is None:
        raise ReportFormatError(f"channel counts without the years they cover: {line!r}")
    first, last = int(period["first"]), int(period["last"])
    return [
        Figure(
            label=f"{found['label']}发布",
            first_year=first,
            last_year=last,
            count=int(found["count"]),
            channel=CHANNEL_WORDS.get(found["label"], Channel.OTHER),
        )
        for found in counts
    ]


def _sentence_figures(line: str, year: int) -> list[Figure]:
    """Counts stated in prose: the total so far, and this year's count on a platform."""
    found: list[Figure] = []
    total = _TOTAL.search(line)
    if total:
        found.append(Figure("累计公开政府信息", CUMULATIVE, year, int(total["count"])))
    this_year = _THIS_YEAR.search(line)
    if this_year:
        found.append(
            Figure(f"{this_year['label']}公布政府信息", year, year, int(this_year["count"]))
        )
    return found


def _settle_totals(figures: list[Figure]) -> list[Figure]:
    """Give a cumulative total (``累计…``) the channel table's years, and check the sum.

    The total is stated before the table that tells which years it covers; the
    channel counts must add up to it.
    """
    channels = [f for f in figures if f.channel is not None]
    settled: list[Figure] = []
    for figure in figures:
        if figure.first_year == CUMULATIVE:
            summed = sum(f.count for f in channels)
            if channels and summed != figure.count:
                raise ReportFormatError(
                    f"the channel counts add up to {summed}, the report says {figure.count}"
                )
            first = min((f.first_year for f in channels), default=figure.last_year)
            figure = Figure(figure.label, first, figure.last_year, figure.count)
        settled.append(figure)
    return settled


# -- stored reports -----------------------------------------------------------------------


def save_report(
    session: Session, body_id: int, parsed: ParsedReport, source_text: str | None
) -> Report:
    """Create or replace the body's report of ``parsed.year`` (an uploaded original PDF is kept).

    The text is that of an issued report, so a new one is published; a report
    already held keeps its status.
    """
    report = stored_report(session, body_id, parsed.year)
    if report is None:
        report = Report(body_id=body_id, year=parsed.year, status=ItemStatus.PUBLISHED)
        session.add(report)
    report.title = parsed.title
    report.issuer = parsed.issuer
    report.issued_on = parsed.issued_on
    report.sections = parsed.sections
    report.source_text = source_text
    report.figures = [
        ReportFigure(
            position=position,
            label=figure.label,
            first_year=figure.first_year,
            last_year=figure.last_year,
            channel=figure.channel.value if figure.channel else None,
            count=figure.count,
        )
        for position, figure in enumerate(parsed.figures)
    ]
    return report


def attach_original_pdf(report: Report, data: bytes, filename: str) -> None:
    """Serve ``data`` (the signed original) at ``/report/<year>.pdf`` instead of a generated one."""
    if not data.startswith(b"%PDF-"):
        raise ValueError(f"{filename} is not a PDF file")
    report.original_pdf = data
    report.original_pdf_name = filename


# Residents see published reports only: the chat (年报), /report and the statistics.
PUBLISHED = Report.status == ItemStatus.PUBLISHED


def latest_report(session: Session, body_id: int) -> Report | None:
    """The body's newest published report."""
    query = (
        select(Report)
        .where(Report.body_id == body_id, PUBLISHED)
        .order_by(Report.year.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def report_for(session: Session, body_id: int, year: int) -> Report | None:
    """The body's published report of ``year``."""
    query = select(Report).where(Report.body_id == body_id, Report.year == year, PUBLISHED)
    return session.scalars(query).first()


def report_years(session: Session, body_id: int) -> list[int]:
    """Years of the body's published reports, newest first."""
    query = select(Report.year).where(Report.body_id == body_id, PUBLISHED)
    return list(session.scalars(query.order_by(Report.year.desc())))


def stored_report(session: Session, body_id: int, year: int) -> Report | None:
    """The body's report of ``year`` whatever its status (staff's side: drafts too)."""
    query = select(Report).where(Report.body_id == body_id, Report.year == year)
    return session.scalars(query).first()


def content_key(report: Report) -> str:
    """A hash of everything a generated PDF shows: it changes exactly when the PDF must."""
    shown = {
        "year": report.year,
        "title": report.title,
        "issuer": report.issuer,
        "issued_on": report.issued_on.isoformat() if report.issued_on else None,
        "sections": report.sections,
        "statutory_tables": report.statutory_tables or [],
        "figures": [
            [f.label, f.first_year, f.last_year, f.channel, f.count] for f in report.figures
        ],
    }
    encoded = json.dumps(shown, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
