"""Finding published information: any other text, ``查询 关键词`` and ``下一页``.

This is the app's text fallback: whatever a resident types outside a dialogue
that no command claims is searched. When nothing matches, the reply says so and
lists the commands. On a county account, the resident's town is searched first, then
the best match in each other town it serves is added, labelled with the town's name.
"""

from __future__ import annotations

from bot.cases.privacy import mask_id_numbers
from bot.content.listing import best_match, first_page, next_page
from bot.db import get_session
from bot.engine import towns
from bot.engine.router import Capability, Context
from bot.models import Body
from bot.staff.bodies import pages_path
from bot.urls import public_url
from bot.wechat.replies import TEXT_MAX_BYTES

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
    served = towns.served(ctx.account)
    elsewhere = _elsewhere(served, ctx.body_id, query)
    if found:
        joined = f"{reply}\n\n{elsewhere}" if elsewhere else reply
        return joined if len(joined.encode("utf-8")) <= TEXT_MAX_BYTES else reply
    quoted = mask_id_numbers(query)  # the reply is cached in Redis for WeChat's retries
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[:QUOTE_CHARS] + "…"
    nothing = f"没有找到与“{quoted}”相关的公开信息。"
    if elsewhere:
        here = next((town.name for town in served if town.body_id == ctx.body_id), "")
        return f"{here}{nothing}\n{elsewhere}"
    return (
        f"{nothing}可以换个说法再试，比如“低保”“危房改造”“预算”，"
        f"或打开公开目录：{public_url(pages_path(get_session(), ctx.body, '/items'))}\n"
        f"{ctx.help_text()}"
    )


def _elsewhere(served: tuple[towns.Town, ...], body_id: int | None, query: str) -> str:
    """On a county account: the best match in each other town it serves, labelled."""
    session = get_session()
    others = [town for town in served if town.body_id != body_id]
    found = [(town.name, best_match(session.get_one(Body, town.body_id), query)) for town in others]
    lines = [f"【{name}】{match}" for name, match in found if match]
    return "其他乡镇的相关信息：\n" + "\n".join(lines) if lines else ""
