"""年报 [年份] and the menu's 年度报告: a news reply linking to the report's page and its PDF.

The year is read from the words (``2017年报``, ``16年的年报``, ``去年的年报``); without
one (``年报``, ``年报在哪下载``, ``今年的年报``) the latest report is shown.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot import clock
from bot.content.reports import latest_report, report_for, report_years
from bot.content.stats import percent
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.engine.sentences import Stage
from bot.models.content import Report
from bot.staff.bodies import pages_path
from bot.urls import public_url
from bot.wechat.replies import Article, News

capability = Capability("年度报告", order=120)

_YEAR = re.compile(r"(?<!\d)(?:(\d{4})|(\d{2})(?=年))(?!\d)")
#: Years said in words, as years before this one.
YEARS_AGO = {"前年": 2, "去年": 1, "上一年": 1, "上年": 1}


def wanted_year(text: str, today: date) -> int | None:
    """The year a resident asks for: four digits, two (``16年``), or ``去年``; None: the latest."""
    folded = unicodedata.normalize("NFKC", text)
    found = _YEAR.search(folded)
    if found:
        return int(found[1]) if found[1] else 2000 + int(found[2])
    ago = next((years for word, years in YEARS_AGO.items() if word in folded), None)
    return today.year - ago if ago else None


@capability.command(
    "年报",
    "年度报告",
    prefix=True,
    help="年报 — 政府信息公开年度报告（如：年报 2017）",
    stateless=True,
)
@capability.menu("REPORT")
@capability.sense(
    Stage.ANSWER,
    words=("年报", "年抱", "年度报告", "nianbao"),
    patterns=(r"年度\S{0,3}报告", r"公开\S{0,6}报告", r"每年\S{0,8}报告"),
    only=("报告",),
    max_chars=60,
)
def annual_report(ctx: Context) -> News | str:
    session = get_session()
    year = wanted_year(ctx.argument, clock.today())
    body_id = ctx.body.id
    report = report_for(session, body_id, year) if year else latest_report(session, body_id)
    if report is None:
        years = report_years(session, body_id)
        if not years:
            return "还没有发布年度报告。发送“帮助”查看其他功能。"
        listed = "、".join(f"{year}年" for year in years)
        return f"没有{year or ''}年的年度报告。现有：{listed}。请发送“年报 {years[0]}”。"
    return News(
        Article(
            title=report.title,
            description=describe(report),
            url=public_url(pages_path(session, ctx.body, f"/report/{report.year}")),
            image=public_url("/static/report-cover.png"),
        )
    )


def describe(report: Report) -> str:
    """One or two lines under the title: who issued it and the channel shares."""
    parts = []
    if report.issuer and report.issued_on:
        parts.append(f"{report.issuer}{report.issued_on.year}年{report.issued_on.month}月发布。")
    channels = [f for f in report.figures if f.channel is not None]
    total = sum(f.count for f in channels)
    if channels and total:
        shares = "、".join(
            f"{f.label.removesuffix('发布')}{percent(f.count, total)}" for f in channels
        )
        first, last = channels[0].first_year, channels[0].last_year
        years = f"{first}年" if first == last else f"{first}—{last}年"
        parts.append(f"{years}公开{total}条：{shares}。")
    parts.append("点开阅读全文，可下载PDF。")
    return "".join(parts)
