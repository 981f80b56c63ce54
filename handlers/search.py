"""Finding published information: any other text, ``查询 关键词`` and ``下一页``.

This is the app's text fallback: whatever a resident types outside a dialogue
that no command claims is searched. When nothing matches, the reply says so and
lists the commands.
"""

from __future__ import annotations

from bot.cases.privacy import mask_id_numbers
from bot.content.listing import first_page, next_page
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.staff.bodies import pages_path
from bot.urls import public_url

capability = Capability("查询", order=100)

QUOTE_CHARS = 20


@capability.command(
    "查询",
    "搜索",
    "查找",
    prefix=True,
    help="查询 关键词 — 查找公开的信息（直接发关键词也行），回复“下一页”看更多",
)
def search_command(ctx: Context) -> str:
    if not ctx.argument:
        return "请在“查询”后面写上要找的内容，例如：查询 低保"
    return _search(ctx, ctx.argument)


@capability.command("下一页", "更多")
def more(ctx: Context) -> str:
    return next_page(ctx.session, ctx.body)


@capability.fallback
def search_text(ctx: Context) -> str:
    return _search(ctx, ctx.text)


def _search(ctx: Context, query: str) -> str:
    reply, found = first_page(ctx.session, ctx.body, query)
    if found:
        return reply
    quoted = mask_id_numbers(query)  # the reply is cached in Redis for WeChat's retries
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[:QUOTE_CHARS] + "…"
    return (
        f"没有找到与“{quoted}”相关的公开信息。可以换个说法再试，比如“低保”“危房改造”“预算”，"
        f"或打开公开目录：{public_url(pages_path(get_session(), ctx.body, '/items'))}\n{ctx.router.help_text()}"
    )
