"""很满意 … 很不满意: the resident rates the final reply to their latest case.

The final reply ends by asking for one of the five words, so the rating is about
the case that most recently got a final reply. Only the exact words count
(``一般`` alone, not ``一般公共预算``, which is still searched), and no digits: a
number is what residents type to search. A poor rating puts the case on the
console's call-back list.
"""

from __future__ import annotations

from bot import clock
from bot.cases import handling, limits
from bot.cases.handling import HandlingError
from bot.db import get_session
from bot.engine.dialogue import normalise
from bot.engine.router import Capability, Context
from bot.models.cases import POOR_RATINGS, RATINGS

capability = Capability("办理评价", order=330)

NOTHING_TO_RATE = "您目前没有需要评价的事项。办理完成后，我们会请您评价。"


@capability.command(*RATINGS)
def rate(ctx: Context) -> str:
    if limits.too_fast(ctx.resident):
        return limits.TOO_OFTEN
    word = normalise(ctx.text)
    session = get_session()
    case = handling.latest_rated_case(session, ctx.body.id, ctx.resident)
    if case is None:
        return NOTHING_TO_RATE
    if case.rating is not None:
        return f"您已经对{case.number}作过评价（{case.rating.rating}），谢谢！"
    try:
        handling.rate(case, word, clock.now())
    except HandlingError:
        return NOTHING_TO_RATE
    session.commit()
    if word not in POOR_RATINGS:
        return f"感谢您对{case.number}的评价（{word}）！"
    if case.phone_sealed is None:
        return (
            f"收到您对{case.number}的评价（{word}），很抱歉没有让您满意。您没有留电话，"
            "如愿意说明情况，请发送“联系”查看办公室电话。"
        )
    return (
        f"收到您对{case.number}的评价（{word}），很抱歉没有让您满意。工作人员会尽快打电话了解情况。"
    )
