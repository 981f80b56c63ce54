"""Getting staff replies to residents: pushed while WeChat allows it, never lost when it does not.

A reply is committed first (``case_reply``), then delivered:

- while the resident's 48-hour window is open (``bot.wechat.window.last_message_at``),
  by a customer-service message (``message/custom/send``) with the full text;
- outside it, when ``SUNSHINE_REPLY_TEMPLATE_ID`` names a subscription template,
  by a subscription message saying that an answer is waiting (``message/subscribe/bizsend``);
  the full text then waits like the next case;
- otherwise it waits for the resident: ``进度 编号`` shows it in full (and marks it
  read once that reply has gone back to WeChat, not when it is written: a reply lost
  to a stall stays unread), ``我的`` says which cases have new answers, and once the
  resident writes anything, the window is open again and ``sunshine replies retry``
  pushes it.

A WeChat API failure (network, an error code) leaves the reply in ``retry``:
``sunshine replies retry`` (a timer) tries again, and so does the next push to the
same resident, oldest first. The console shows each reply's state.

States (``CaseReply.delivery``): ``waiting``, ``sending`` (claimed by one process),
``retry``, ``pushed`` (customer-service message) and ``read`` (shown in the chat);
``recorded`` for replies written before delivery was tracked (``进度`` shows them as it
always did; they are never pushed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import requests
from flask import current_app
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, selectinload
from wechatpy.exceptions import WeChatClientException

from bot import clock
from bot.cases.outcomes import MESSAGE_BYTES, utf8_size
from bot.cases.texts import FORMAL_LINK_MAX, formal_link_line, kind_text, moment_text
from bot.clock import in_beijing
from bot.models.cases import APPLICATION, STATUS_LABELS, Case, CaseReply
from bot.privacy import Resident
from bot.wechat.api import WeChatUnavailable, get_client
from bot.wechat.window import last_message_at

log = logging.getLogger(__name__)

WAITING, SENDING, RETRY, PUSHED, READ = "waiting", "sending", "retry", "pushed", "read"
RECORDED = "recorded"
UNDELIVERED = (WAITING, RETRY, SENDING)
#: What the console says about each state.
STATE_LABELS = {
    WAITING: "等待居民来问（居民发送“进度”时送达）",
    SENDING: "正在推送",
    RETRY: "推送失败，等待重试",
    PUSHED: "已通过客服消息推送",
    READ: "居民已在对话中查看",
    RECORDED: "未推送（旧记录，居民发送“进度”可查看）",
}
#: A claim older than this belonged to a process that died mid-push: try again.
STALE_CLAIM = timedelta(minutes=2)
#: WeChat's "the 48-hour window has closed" and "too many messages in the window".
WINDOW_CLOSED = frozenset({45015, 45047})
#: WeChat's "the resident has not accepted (or has refused) this subscription message".
NOT_SUBSCRIBED = frozenset({43101})

RATING_PROMPT = "请您评价本次办理，直接回复：很满意、满意、一般、不满意 或 很不满意。"


# ---- what the resident reads ----


def compose(case: Case, body: str, *, final: bool) -> str:
    """A reply as the resident receives it, asking for a rating after a final reply."""
    lines = [f"【{case.number}】您的{kind_text(case)}有新的答复：", body]
    if final and case.rating is None:
        lines.append(RATING_PROMPT)
    return "\n".join(lines)


def message_text(reply: CaseReply) -> str:
    return compose(reply.case, reply.body, final=reply.final)


def unread(case: Case) -> list[CaseReply]:
    return [reply for reply in case.replies if reply.delivery in (WAITING, RETRY)]


def _progress_head(case: Case, status: str) -> str:
    return f"编号：{case.number}（{kind_text(case)}），状态：{status}"


def _progress_block(moment: str, body: str) -> str:
    return f"{moment} 工作人员答复：\n{body}"


def renderings(case: Case, body: str, *, final: bool) -> list[str]:
    """The forms in which the resident may receive a reply (pushed, or shown by ``进度``),
    at their longest: a reply is written only if each fits in one message."""
    status = max(STATUS_LABELS.values(), key=len)
    shown = [_progress_head(case, status)]
    if final and case.kind == APPLICATION:
        shown.append(formal_link_line("x" * FORMAL_LINK_MAX))
    shown.append(_progress_block("2000年12月31日 23:59", body))
    if final:
        shown.append(RATING_PROMPT)
    return [compose(case, body, final=final), "\n\n".join(shown)]


@dataclass(frozen=True)
class Shown:
    """What ``进度`` shows of the replies waiting for the resident, and which they are."""

    text: str
    reply_ids: list[int]


def show_unread(case: Case, formal_link: str | None = None) -> Shown | None:
    """``进度 编号`` for a case with answers the resident has not received: show them in full.

    As many as fit in one message, oldest first; the caller marks them read once the
    message has reached the resident (``mark_read``). None when nothing is waiting
    (``进度`` then shows the usual summary). ``formal_link`` leads to a closed
    application's 答复书.
    """
    waiting = unread(case)
    if not waiting:
        return None
    parts = [_progress_head(case, STATUS_LABELS.get(case.status, case.status))]
    if formal_link:
        parts.append(formal_link_line(formal_link))
    shown: list[CaseReply] = []
    for reply in waiting:
        block = _progress_block(moment_text(reply.created_at), reply.body)
        prompt = case.rating is None and any(r.final for r in [*shown, reply])
        ends = [RATING_PROMPT] if prompt else []
        rest = len(waiting) - len(shown) - 1
        if rest:
            ends.append(f"还有{rest}条答复，请再发送“进度 {case.number}”查看。")
        if shown and utf8_size("\n\n".join([*parts, block, *ends])) > MESSAGE_BYTES:
            break
        parts.append(block)
        shown.append(reply)
    if case.rating is None and any(reply.final for reply in shown):
        parts.append(RATING_PROMPT)
    rest = len(waiting) - len(shown)
    if rest:
        parts.append(f"还有{rest}条答复，请再发送“进度 {case.number}”查看。")
    return Shown("\n\n".join(parts), [reply.id for reply in shown])


def mark_read(session: Session, reply_ids: list[int], now: datetime | None = None) -> None:
    """Mark the replies read that the resident was just shown (unless pushed meanwhile)."""
    session.execute(
        update(CaseReply)
        .where(CaseReply.id.in_(reply_ids), CaseReply.delivery.in_((WAITING, RETRY)))
        .values(delivery=READ, pushed_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )
    session.commit()


def unread_hint(session: Session, resident: Resident) -> str | None:
    """For ``我的``: which of the resident's cases have answers waiting for them."""
    numbers = session.scalars(
        select(Case.number)
        .join(CaseReply, CaseReply.case_id == Case.id)
        .where(Case.filed_by(resident), CaseReply.delivery.in_((WAITING, RETRY)))
        .group_by(Case.number)
        .order_by(Case.number.desc())
    ).all()
    if not numbers:
        return None
    shown = "、".join(numbers[:3]) + ("等" if len(numbers) > 3 else "")
    return f"您有新的答复：{shown}。发送“进度 编号”查看全文。"


# ---- pushing ----


@dataclass
class Report:
    """What one round of delivery did, reply ids by outcome."""

    pushed: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def add(self, reply: CaseReply, notified_before: datetime | None) -> None:
        if reply.delivery == PUSHED:
            self.pushed.append(reply.id)
        elif reply.delivery == RETRY:
            self.failed.append(reply.id)
        elif reply.notified_at is not None and notified_before is None:
            self.notified.append(reply.id)
        else:
            self.waiting.append(reply.id)


def deliver_pending(session: Session, resident: Resident, now: datetime | None = None) -> Report:
    """Push every reply the resident has not received, oldest first; stop at a failure.

    Stopping keeps the order: a later reply never overtakes an earlier one that failed.
    """
    report = Report()
    replies = session.scalars(
        select(CaseReply)
        .join(Case, CaseReply.case_id == Case.id)
        .options(selectinload(CaseReply.case).selectinload(Case.rating))
        .where(Case.filed_by(resident), CaseReply.delivery.in_(UNDELIVERED))
        .order_by(CaseReply.id)
    ).all()
    for reply in replies:
        notified_before = reply.notified_at
        if not deliver(session, reply, now):
            continue  # another process holds it, or it waits for the resident
        report.add(reply, notified_before)
        if reply.delivery == RETRY:
            break
    return report


def deliver(session: Session, reply: CaseReply, now: datetime | None = None) -> bool:
    """Try to get ``reply`` to the resident now; False when another process is doing it.

    The reply is claimed with one conditional UPDATE (committed), so that the
    console and the timer never push the same reply twice.
    """
    now = now or clock.now()
    claimed = session.execute(  # an UPDATE's result is a CursorResult, with a rowcount
        update(CaseReply)
        .where(
            CaseReply.id == reply.id,
            or_(
                CaseReply.delivery.in_((WAITING, RETRY)),
                (CaseReply.delivery == SENDING) & (CaseReply.attempted_at < now - STALE_CLAIM),
            ),
        )
        .values(delivery=SENDING, attempted_at=now, push_attempts=CaseReply.push_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if cast(CursorResult[Any], claimed).rowcount != 1:
        return False
    session.refresh(reply)
    resident = reply.case.resident
    state, error = _push(reply, resident)
    if state == WAITING:
        state, error = _notify(reply, resident, now, error)
    reply.delivery, reply.last_error = state, error
    if state == PUSHED:
        reply.pushed_at = now
    session.commit()
    log.info(
        "reply %s of %s for resident %s: %s",
        reply.id,
        reply.case.number,
        resident.pseudonym[:16],
        state,
    )
    return True


def _push(reply: CaseReply, resident: Resident) -> tuple[str, str | None]:
    """The customer-service message, when the resident's window is open, from the account the
    case was filed through."""
    seen = last_message_at(resident)
    if seen is None:
        return WAITING, None
    try:
        get_client(resident.account).message.send_text(resident.openid, message_text(reply))
    except WeChatUnavailable:
        return WAITING, "未配置微信接口（AppID/AppSecret），无法推送"
    except WeChatClientException as error:
        if error.errcode in WINDOW_CLOSED:
            return WAITING, f"微信拒绝客服消息（{error.errcode}：48小时窗口已关闭或条数已满）"
        return RETRY, _describe(error)
    except requests.RequestException as error:
        return RETRY, _describe(error)
    return PUSHED, None


def _notify(
    reply: CaseReply, resident: Resident, now: datetime, error: str | None
) -> tuple[str, str | None]:
    """Outside the window: a subscription message, once per reply, if a template is set."""
    template = current_app.config["REPLY_TEMPLATE_ID"]
    if not template or reply.notified_at is not None:
        return WAITING, error
    keys = [key.strip() for key in current_app.config["REPLY_TEMPLATE_KEYS"].split(",")]
    case = reply.case
    values = [
        f"{kind_text(case)}{case.number}"[:20],
        "已办结" if reply.final else "有答复",
        in_beijing(reply.created_at).strftime("%Y-%m-%d %H:%M"),
    ]
    data = {key: {"value": value} for key, value in zip(keys, values, strict=False) if key}
    try:
        get_client(resident.account).message.send_subscribe_message(resident.openid, template, data)
    except WeChatUnavailable:
        return WAITING, "未配置微信接口（AppID/AppSecret），无法推送"
    except WeChatClientException as error:
        if error.errcode in NOT_SUBSCRIBED:
            return WAITING, f"居民未订阅答复通知（{error.errcode}）"
        return RETRY, _describe(error)
    except requests.RequestException as error:
        return RETRY, _describe(error)
    reply.notified_at = now
    return WAITING, None


def _describe(error: Exception) -> str:
    if isinstance(error, WeChatClientException):
        return f"微信接口错误 {error.errcode}：{error.errmsg}"[:300]
    return f"网络错误：{type(error).__name__}"[:300]


# ---- the timer ----


def retry_candidates(session: Session, now: datetime) -> list[Resident]:
    """Residents with a reply to try again: failed, stale, or waiting while their window is open."""
    rows = session.execute(
        select(
            Case.openid,
            Case.account,
            CaseReply.delivery,
            CaseReply.attempted_at,
            CaseReply.created_at,
        )
        .join(Case, CaseReply.case_id == Case.id)
        .where(CaseReply.delivery.in_(UNDELIVERED))
        .order_by(CaseReply.id)
    ).all()
    residents: dict[Resident, None] = {}
    for openid, account, delivery, attempted_at, created_at in rows:
        resident = Resident(openid, account)
        if resident in residents:
            continue
        if delivery == RETRY or (
            delivery == SENDING and attempted_at and attempted_at < now - STALE_CLAIM
        ):
            residents[resident] = None
        elif delivery == WAITING:
            seen = last_message_at(resident)
            # Written since the last try (the time of a message is kept to the second):
            # the window has opened again.
            last_try = (attempted_at or created_at).replace(microsecond=0)
            if seen is not None and seen >= last_try:
                residents[resident] = None
    return list(residents)


def retry_all(session: Session, now: datetime | None = None) -> Report:
    """``sunshine replies retry``: deliver what failed or can now be pushed."""
    now = now or clock.now()
    total = Report()
    for resident in retry_candidates(session, now):
        done = deliver_pending(session, resident, now)
        for name in ("pushed", "notified", "waiting", "failed"):
            getattr(total, name).extend(getattr(done, name))
    return total
