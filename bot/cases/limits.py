"""Per-resident limits: cases filed per day, and how fast a resident may send to these dialogues.

Counters live in Redis (rebuildable: a restart only forgets today's counts).
Each limit answers with a polite sentence instead of an error.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import redis
from flask import current_app

from bot.cases.deadlines import beijing_date
from bot.store import KEY_PREFIX, get_redis

if TYPE_CHECKING:
    from bot.router import Context

log = logging.getLogger(__name__)

DAILY_LIMIT = (
    "您今天已经提交了{count}件，达到了每天的上限。请明天再来；情况紧急请发送“联系”查看办公室电话。"
)
TOO_FAST = "您发送得太快了，请稍等一分钟再发。刚才这条没有记下。"
TOO_OFTEN = "您查询得太频繁了，请稍等一分钟再试。"
WINDOW_S = 60


def _daily_key(openid: str, day: date) -> str:
    return f"{KEY_PREFIX}cases-filed:{openid}:{day:%Y%m%d}"


def daily_refusal(openid: str, today: date) -> str | None:
    """The polite refusal when the resident has filed the day's maximum of cases, else None."""
    filed = int(get_redis().get(_daily_key(openid, today)) or 0)
    if filed >= current_app.config["CASE_DAILY_LIMIT"]:
        return DAILY_LIMIT.format(count=filed)
    return None


def count_filed(openid: str, today: date) -> None:
    """Count a case filed today. It runs after the case is committed, so a store failure is
    logged, not raised: the resident must get the receipt (a lost count only allows one more)."""
    key = _daily_key(openid, today)
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, 2 * 24 * 3600)
    try:
        pipe.execute()
    except redis.RedisError:
        log.warning("store unavailable: a filed case was not counted towards the daily limit")


def too_fast(openid: str) -> bool:
    """Count one message in this minute's window; True when over ``CASE_MESSAGE_RATE``."""
    key = f"{KEY_PREFIX}case-rate:{openid}:{int(time.time() // WINDOW_S)}"
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, 2 * WINDOW_S)
    count, _ = pipe.execute()
    return count > current_app.config["CASE_MESSAGE_RATE"]


def refusal_to_start(ctx: Context) -> str | None:
    """Why the resident may not start a new application or complaint now, or None."""
    if too_fast(ctx.openid):
        return TOO_FAST
    return daily_refusal(ctx.openid, beijing_date(datetime.now(UTC)))


def refusal_to_answer(ctx: Context) -> str | None:
    """Why a dialogue answer is refused for now (sent faster than the rate allows), or None."""
    return TOO_FAST if too_fast(ctx.openid) else None
