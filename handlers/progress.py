"""进度 编号 and 我的: status, deadlines and staff replies of the resident's own cases.

A case is looked up by its number AND the sender (their openid on the account the
message came to) in one query, so a number that exists but belongs to someone
else, or was filed through another account, gets exactly the "not found" of a
number that does not exist. Staff replies that have not reached the resident
(outside WeChat's 48-hour window) are shown here in full and marked read once this
reply has gone back to WeChat (``bot.cases.replies``); ``我的`` says which cases have
them. The usual summary cuts long replies and links to all of them in full, and a
closed application also gets the link to its formal reply (答复书) — links only this
resident is given (``bot.cases.links``). A sentence about the resident's own case
(``投诉有结果了吗``, ``TS20261201-0012咋样了``) is read first of all sentences
(``Stage.CASE``): with a number it is that case, without one the list.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.cases import limits, replies, texts
from bot.cases.formal import has_formal_reply
from bot.cases.links import Page, link
from bot.cases.numbers import find_number
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.engine.sentences import Stage
from bot.models.cases import Case
from bot.wechat.delivery import when_answered

capability = Capability("办理进度", order=320)

#: How many cases ``我的`` lists, newest first.
LISTED = 10

#: Asking how a case one filed is going (``申请有回音没``, ``俺那个事咋样了 给办了没``).
FOLLOWING_UP = (
    "进度",
    "进渡",
    "进展",
    "回音",
    "有信没",
    "有信儿没",
    "回复",
    "答复",
    "有结果",
    "处理结果",
    "处理得",
    "处理到",
    "处理完",
    "办完",
    "处理了吗",
    "处理了没",
    "处理没",
    "办到哪",
    "到哪一步",
    "到哪步",
    "办好了没",
    "办了没",
    "动静",
    "管不管",
    "咋样了",
    "怎么样了",
    "提交过",
    "寄过来",
    "看了没",
    "有消息",
    "没人回",
    "有人管没",
)


@capability.command(
    "进度",
    "查进度",
    "查询进度",
    "查询结果",
    "查询处理结果",
    prefix=True,
    help="进度 编号 / 我的 — 查询办理进度和答复",
)
@capability.sense(
    Stage.CASE,
    words=FOLLOWING_UP,
    patterns=(
        r"(?i)(?:sq|ts)[\s\-_]*\d{8}[\s\-_]*\d{4,6}",
        r"(?:我|俺)(?:的|那个|上次的?|上回的?)\s*(?:投诉|申请|举报|建议|反映)",
        r"(?:之前|上次|上回|前几天|上个月|上礼拜)\S{0,4}(?:投诉|申请|举报|反映|提)的",
    ),
    max_chars=50,
)
def progress(ctx: Context) -> str:
    number = find_number(ctx.argument)
    if number is None and not any(char.isdigit() for char in ctx.argument):
        return mine(ctx)  # 进度, 进度怎么样了, 我的投诉有结果了吗
    if limits.too_fast(ctx.resident):
        return limits.TOO_OFTEN
    case = None
    if number is not None:
        case = (
            get_session()
            .scalars(
                select(Case)
                .options(selectinload(Case.replies), selectinload(Case.rating))
                .where(
                    Case.body_id == ctx.body.id, Case.number == number, Case.filed_by(ctx.resident)
                )
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
    if limits.too_fast(ctx.resident):
        return limits.TOO_OFTEN
    session = get_session()
    theirs = (Case.body_id == ctx.body.id, Case.filed_by(ctx.resident))
    total = session.scalar(select(func.count()).select_from(Case).where(*theirs))
    cases = session.scalars(
        select(Case).where(*theirs).order_by(Case.id.desc()).limit(LISTED)
    ).all()
    listing = texts.listing(list(cases), total or 0)
    hint = replies.unread_hint(session, ctx.resident)
    return f"{hint}\n{listing}" if hint else listing
