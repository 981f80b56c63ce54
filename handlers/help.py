"""帮助: the list of commands (built from what is registered), the welcome, non-text messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import get_session
from bot.engine.router import ANY_MESSAGE, Capability, Context
from bot.models import Office

capability = Capability("帮助", order=900)


@capability.command("帮助", "?", "help", "菜单", help="帮助 — 再看这份说明", stateless=True)
@capability.menu("HELP")
def show_help(ctx: Context) -> str:
    return ctx.router.help_text()


@capability.event("subscribe", "subscribe_scan")
def welcome(ctx: Context) -> str:
    office = get_session().scalars(select(Office).limit(1)).first()
    name = office.account_name or office.name if office else "本服务号"
    return (
        f"您好，欢迎关注{name}！在这里可以查找政府公开的信息、查看年度报告、"
        f"申请信息公开、投诉和提建议。\n{ctx.router.help_text()}"
    )


@capability.message(ANY_MESSAGE)
def not_text(ctx: Context) -> str:
    return f"暂时只能看懂文字消息。\n{ctx.router.help_text()}"
