"""补正 编号 内容: an applicant supplies what a correction notice asked for (Art. 30).

The notice tells the applicant to reply with this command; the day it arrives
(Beijing date) restarts the reply period, and the applicant is told the new
deadline. Staff record a correction handed in on paper in the console instead.
"""

from __future__ import annotations

import re

from bot import clock
from bot.cases import handling, limits, texts
from bot.cases.handling import HandlingError
from bot.cases.numbers import read_number
from bot.clock import beijing_date
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.models.cases import AWAITING_CORRECTION

capability = Capability("补正", order=325)

HOW = "请按这样发送：补正 编号 补充的内容\n例如：补正 SQ20261126-0003 我要的是2025年的低保名单。"
#: A tracking number at the start of the argument, however it was typed.
_LEADING_NUMBER = re.compile(r"^\s*((?:SQ|TS)[\s\-_]*\d{8}[\s\-_]*\d{4,6})\s*[:：,，]?\s*", re.I)


@capability.command("补正", prefix=True)
def correct(ctx: Context) -> str:
    if limits.too_fast(ctx.resident):
        return limits.TOO_OFTEN
    found = _LEADING_NUMBER.match(ctx.argument)
    number = read_number(found.group(1)) if found else None
    if found is None or number is None:
        return HOW
    content = ctx.argument[found.end() :].strip()
    session = get_session()
    case = handling.residents_case(session, ctx.body.id, ctx.resident, number)
    if case is None:
        return texts.NOT_FOUND
    if not content:
        return f"请在编号后面写上补充的内容。\n{HOW}"
    was_waiting = case.status == AWAITING_CORRECTION
    now = clock.now()
    try:
        handling.record_correction(session, case, content, beijing_date(now), now)
    except HandlingError:
        session.rollback()
        return f"{number} 目前不需要补正。发送“进度 {number}”可查看办理情况。"
    session.commit()
    if not was_waiting:
        return f"已收到您对{number}的补充内容。"
    due = texts.due_text(case.due_on, case.due_provisional)
    return f"已收到您对{number}的补正材料。答复期限自今天起重新计算，我们将{due}答复您。"
