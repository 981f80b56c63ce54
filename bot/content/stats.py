"""Disclosure statistics: counts by year and channel, with percentages computed from the counts.

Two sources: the channel figures printed in the annual reports (history from
before the system existed) and the published items the system holds. A report's
printed percentages are never used: 91 of 256 is 35.5%, whatever was printed.
Where a signed report's text is shown as printed, ``errata`` finds the printed
shares its own counts contradict, for an erratum note beside them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from bot.models.content import CHANNEL_LABELS, Channel, Item, ItemStatus, Report, ReportFigure


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` to one decimal place, rounded half up: ``35.5%``."""
    if whole <= 0:
        return "0.0%"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


#: ``其他发布91条，占比34%``: a count and the share printed for it.
_PRINTED_SHARE = re.compile(
    r"(?P<label>[^，,。；;\s]*?)发布(?P<count>\d+)条[，,]\s*占比(?P<printed>\d+(?:\.\d+)?)%"
)


@dataclass(frozen=True)
class Erratum:
    """A share printed in a report that its own counts contradict."""

    quoted: str
    count: int
    total: int

    @property
    def note(self) -> str:
        return (
            f"勘误说明：原文“{self.quoted}”有误，按条数计算应为"
            f"{self.count}÷{self.total}＝{percent(self.count, self.total)}。"
            "原文为已发布的正式文本，照录未改。"
        )


def errata(text: str, total: int) -> list[Erratum]:
    """The printed shares in ``text`` (``…发布91条，占比34%``) that differ from the count's
    share of ``total`` at the precision printed: 43% for 111 of 256 stands, 34% for 91 does not."""
    if total <= 0:
        return []
    found = []
    for share in _PRINTED_SHARE.finditer(text):
        printed = Decimal(share["printed"])
        # rounded to as many decimals as were printed
        computed = (Decimal(int(share["count"])) * 100 / Decimal(total)).quantize(
            printed, ROUND_HALF_UP
        )
        if computed != printed:
            found.append(Erratum(share.group(0).strip(), int(share["count"]), total))
    return found


@dataclass(frozen=True)
class Share:
    channel: Channel
    count: int
    percent: str

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self.channel]


@dataclass(frozen=True)
class ChannelCounts:
    """How many items of a period went out on each channel."""

    first_year: int
    last_year: int
    counts: dict[Channel, int]
    examples: int = 0
    source: str = ""

    @property
    def period(self) -> str:
        if self.first_year == self.last_year:
            return f"{self.first_year}年"
        return f"{self.first_year}—{self.last_year}年"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def shares(self) -> list[Share]:
        return [
            Share(
                channel,
                self.counts.get(channel, 0),
                percent(self.counts.get(channel, 0), self.total),
            )
            for channel in Channel
        ]


def report_history(session: Session, body_id: int) -> list[ChannelCounts]:
    """The channel counts printed in a body's published reports, newest report first."""
    rows = session.execute(
        select(Report.year, ReportFigure)
        .join(ReportFigure, ReportFigure.report_id == Report.id)
        .where(
            Report.body_id == body_id,
            ReportFigure.channel.is_not(None),
            Report.status == ItemStatus.PUBLISHED,
        )
        .order_by(Report.year.desc(), ReportFigure.position)
    )
    periods: dict[tuple[int, int, int], dict[Channel, int]] = defaultdict(dict)
    for year, figure in rows:
        counts = periods[(year, figure.first_year, figure.last_year)]
        assert figure.channel is not None  # the query keeps figures with a channel
        channel = Channel(figure.channel)
        counts[channel] = counts.get(channel, 0) + figure.count
    return [
        ChannelCounts(first, last, counts, source=f"{year}年度报告")
        for (year, first, last), counts in periods.items()
    ]


def held_by_year(session: Session, body_id: int) -> list[ChannelCounts]:
    """A body's published items, by year of publication (newest first) and channel."""
    year = extract("year", Item.published_on)
    rows = session.execute(
        select(year, Item.channel, Item.is_example, func.count())
        .where(Item.body_id == body_id, Item.status == ItemStatus.PUBLISHED)
        .group_by(year, Item.channel, Item.is_example)
    )
    counts: dict[int, dict[Channel, int]] = defaultdict(dict)
    examples: dict[int, int] = defaultdict(int)
    for item_year, channel, is_example, count in rows:
        by_channel = counts[int(item_year)]
        by_channel[Channel(channel)] = by_channel.get(Channel(channel), 0) + count
        if is_example:
            examples[int(item_year)] += count
    return [
        ChannelCounts(item_year, item_year, counts[item_year], examples=examples[item_year])
        for item_year in sorted(counts, reverse=True)
    ]


def combined(years: list[ChannelCounts]) -> ChannelCounts | None:
    """All ``years`` together."""
    if not years:
        return None
    counts: dict[Channel, int] = defaultdict(int)
    for year in years:
        for channel, count in year.counts.items():
            counts[channel] += count
    return ChannelCounts(
        min(y.first_year for y in years),
        max(y.last_year for y in years),
        dict(counts),
        examples=sum(y.examples for y in years),
    )
