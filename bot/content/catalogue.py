"""The town's disclosure catalogue: its categories, and the rules for one item's fields.

The categories follow the township standard catalogue (基层政务公开标准目录),
simplified; imports and the staff console accept only these. Document numbers
are compared in one canonical form, so ``毛政发[2017]12号`` and
``毛政发〔2017〕12号`` are the same document.

A field that does not follow the rules raises ``FieldProblem``: a ``ValueError``
whose message is English (the ``sunshine items`` commands) and whose ``chinese``
says the same to staff in the console.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from bot.models.content import CHANNEL_LABELS, STATUS_LABELS, Channel, ItemStatus

CATEGORIES: tuple[str, ...] = (
    "机构职能",
    "政策文件",
    "规划计划",
    "财政预决算",
    "民生保障",
    "农业农村",
    "扶贫开发",
    "招标采购",
    "人事信息",
    "征地拆迁",
    "应急管理",
    "环境保护",
    "公示公告",
    "工作动态",
    "信息公开",
)


class FieldProblem(ValueError):
    """A field breaks the catalogue's rules: ``str()`` in English, ``chinese`` for the console."""

    def __init__(self, english: str, chinese: str) -> None:
        super().__init__(english)
        self.chinese = chinese


_YEAR_BRACKETS = re.compile(r"[\[【(（〔]\s*(\d{4})\s*[\]】)）〕]")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def canonical_doc_number(raw: str | None) -> str | None:
    """``毛政发 [2017] 12 号`` → ``毛政发〔2017〕12号``; empty → None."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.sub(r"\s+", "", text)
    text = _YEAR_BRACKETS.sub(r"〔\1〕", text)
    return text or None


def parse_date(value: object) -> date:
    """A date from a spreadsheet cell: a date, or text like 2017-03-01, 2017/3/1, 2017年3月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise FieldProblem(
            "the date is empty (write it as 2017-03-01)", "日期是空的（请写成 2017-03-01）"
        )
    found = _DATE.match(text)
    if found is None:
        raise FieldProblem(
            f"'{text}' is not a date; write it as 2017-03-01",
            f"“{text}”不是日期，请写成 2017-03-01",
        )
    year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise FieldProblem(
            f"'{text}' is not a real day of the calendar", f"日历上没有“{text}”这一天"
        ) from None


def parse_channel(value: object) -> Channel:
    text = str(value or "").strip().lower()
    choices = "、".join(CHANNEL_LABELS.values())
    if not text:
        raise FieldProblem(
            f"the channel is empty (one of {choices})", f"发布渠道是空的（应为{choices}之一）"
        )
    for channel, label in CHANNEL_LABELS.items():
        if text in (channel.value, label, f"政府{label}"):
            return channel
    raise FieldProblem(
        f"channel '{text}' is not one of {choices} (or website, wechat, other)",
        f"发布渠道“{text}”不是{choices}之一",
    )


def parse_status(value: object) -> ItemStatus:
    text = str(value or "").strip().lower()
    if not text:
        return ItemStatus.PUBLISHED
    for status, label in STATUS_LABELS.items():
        if text in (status.value, label):
            return status
    choices = "、".join(STATUS_LABELS.values())
    raise FieldProblem(
        f"status '{text}' is not one of {choices} (or draft, reviewed, published)",
        f"状态“{text}”不是{choices}之一",
    )


def parse_category(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        raise FieldProblem("the category is empty", "类别是空的")
    if text not in CATEGORIES:
        raise FieldProblem(
            f"category '{text}' is not in the catalogue ({'、'.join(CATEGORIES)})",
            f"类别“{text}”不在公开目录的类别中（{'、'.join(CATEGORIES)}）",
        )
    return text
