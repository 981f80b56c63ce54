"""Per-resident limits: how fast a resident may send to these dialogues, and the daily mark.

The message rate is an anti-abuse limit: counters live in Redis (rebuildable), each
refusal is a polite sentence, and it never applies to ``确认`` (the dialogue guard
is not asked at the confirmation step), so no submission is lost to it. The daily
count of cases refuses nothing (Art. 35 of the Regulation: an office must receive
an application before it may ask for reasons): ``bot.cases.intake`` marks the
cases beyond ``SUNSHINE_CASE_DAILY_LIMIT`` for staff, and the receipt is given.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import current_app

from bot.privacy import Resident
from bot.store import get_redis

if TYPE_CHECKING:
    from bot.engine.router import Context

TOO_FAST = "您发送得太快了，请稍等一分钟再发。刚才这条没有记下。"
TOO_OFTEN = "您查询得太频繁了，请稍等一分钟再试。"
WINDOW_S = 60


def daily_limit() -> int:
    """Cases per resident and Beijing day beyond which staff see them marked."""
    return current_app.config["CASE_DAILY_LIMIT"]


def too_fast(resident: Resident) -> bool:
    """Count one message in this minute's window; True when over ``CASE_MESSAGE_RATE``."""
    key = f"{resident.key('case-rate')}:{int(time.time() // WINDOW_S)}"
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, 2 * WINDOW_S)
    count, _ = pipe.execute()
    return count > current_app.config["CASE_MESSAGE_RATE"]


def refusal(ctx: Context) -> str | None:
    """Why a dialogue is not started or an answer not taken now (sent too fast), or None.

    Never a count of cases filed: those are received, and marked for staff when many.
    """
    return TOO_FAST if too_fast(ctx.resident) else None
