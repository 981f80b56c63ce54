"""统计: disclosure counts by year and channel, from the reports and from the items held."""

from __future__ import annotations

from bot.content import stats
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.staff.bodies import pages_path
from bot.urls import public_url

capability = Capability("公开统计", order=130)

MAX_YEARS = 6


@capability.command("统计", "公开统计", help="统计 — 每年各渠道公开了多少条", stateless=True)
def statistics(ctx: Context) -> str:
    session = get_session()
    lines = ["政府信息公开统计（百分比按条数计算）"]
    for period in stats.report_history(session, ctx.body.id):
        lines.append(f"【{period.source}】{period.period}共{period.total}条：")
        lines.append(_shares(period))
    held = stats.held_by_year(session, ctx.body.id)
    combined = stats.combined(held)  # None when nothing is held
    if combined is not None:
        lines.append(f"【本系统收录】共{combined.total}条" + _examples(combined) + "：")
        for year in held[:MAX_YEARS]:
            lines.append(f"{year.period}{year.total}条：{_shares(year)}{_examples(year)}")
        if len(held) > MAX_YEARS:
            lines.append("（更早的年份见公开目录）")
    else:
        lines.append("本系统还没有收录公开信息。")
    lines.append(f"图表：{public_url(pages_path(session, ctx.body, '/items#stats'))}")
    return "\n".join(lines)


def _shares(counts: stats.ChannelCounts) -> str:
    return "，".join(f"{share.label}{share.count}（{share.percent}）" for share in counts.shares)


def _examples(counts: stats.ChannelCounts) -> str:
    return f"，其中示例{counts.examples}条" if counts.examples else ""
