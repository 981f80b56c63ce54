"""进度 编号 and 我的: status, deadlines and staff replies of the resident's own cases.

A case is looked up by its number AND the sender's openid in one query, so a
number that exists but belongs to someone else gets exactly the "not found" of
a number that does not exist. Staff replies that have not reached the resident
(outside WeChat's 48-hour window) are shown here in full and marked read once this
reply has gone back to WeChat (``bot.cases.replies``); ``我的`` says which cases have
them. The usual summary cuts long replies and links to all of them in full, and a
closed application also gets the link to its formal reply (答复书) — links only this
resident is given (``bot.cases.links``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.cases import limits, replies, texts
from bot.cases.formal import has_formal_reply
from bot.cases.links import Page, link
from bot.cases.numbers import read_number
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.models.cases import Case
from bot.wechat.delivery import when_answered

capability = Capability("办理进度", order=320)

#: How many cases ``我的`` lists, newest first.
LISTED = 10


@capability.command(
    "进度", "查进度", "查询进度", prefix=True, help="进度 编号 / 我的 — 查询办理进度和答复"
)
def progress(ctx: Context) -> str:
    if not ctx.argument:
        return mine(ctx)
    if limits.too_fast(ctx.openid):
        return limits.TOO_OFTEN
    number = read_number(ctx.argument)
    case = None
    if number is not None:
        case = (
            get_session()
            .scalars(
                select(Case)
                .options(selectinload(Case.replies), selectinload(Case.rating))
                .where(Case.number == number, Case.openid == ctx.openid)
            )
            .first()
        )
    if case is None:
        return texts.NOT_FOUND
    formal = link(Page.FORMAL_REPLY, case) if has_formal_reply(case) else None
    shown = replies.show_unread(case, formal_link=formal)
    if shown is None:
        return texts.detail(case, link(Page.ALL_REPLIES, case), formal)
    when_answered(lambda: replies.mark_read(get_session(), shown.reply_ids))
    return shown.text


@capability.command("我的", "我的事项", "我的申请", "我的投诉")
@capability.menu("PROGRESS")
def mine(ctx: Context) -> str:
    if limits.too_fast(ctx.openid):
        return limits.TOO_OFTEN
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Case).where(Case.openid == ctx.openid))
    cases = session.scalars(
        select(Case).where(Case.openid == ctx.openid).order_by(Case.id.desc()).limit(LISTED)
    ).all()
    listing = texts.listing(list(cases), total or 0)
    hint = replies.unread_hint(session, ctx.openid)
    return f"{hint}\n{listing}" if hint else listing
