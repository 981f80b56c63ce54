"""最新 and the menu's 最新公开: the latest published items, paged by ``下一页``."""

from __future__ import annotations

from bot.content.listing import first_page
from bot.engine.router import Capability, Context

capability = Capability("最新公开", order=110)


@capability.command("最新", "最新公开", help="最新 — 最近公开的信息")
@capability.menu("LATEST")
def latest(ctx: Context) -> str:
    reply, found = first_page(ctx.session, ctx.body, None)
    if found:
        return reply
    return "还没有公开的信息。发送“年报”可以看年度报告，发送“帮助”查看其他功能。"
