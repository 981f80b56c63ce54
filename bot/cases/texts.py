"""What residents read about their cases: receipts, progress, the list of their cases.

Every date is a Beijing date; a provisional deadline says so. Nothing here shows
an identity number or a phone other than masked.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.cases.deadlines import (
    COMPLAINT_ACCEPT_DAYS,
    COMPLAINT_CONCLUDE_DAYS,
    application_days,
    in_beijing,
)
from bot.cases.outcomes import MESSAGE_BYTES, utf8_size
from bot.models.cases import APPLICATION, AWAITING_CORRECTION, STATUS_LABELS, Case

PROVISIONAL_NOTE = "注：标“暂定”的日期跨入了国家尚未公布节假日安排的年份，公布后会重新计算。"
#: How many staff replies ``进度`` shows, newest last, and how long each may be.
REPLIES_SHOWN = 3
REPLY_CHARS = 300
#: A reply cut shorter than this is left out instead (the link shows it in full).
MIN_REPLY_CHARS = 20


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def moment_text(moment: datetime) -> str:
    local = in_beijing(moment)
    return f"{day_text(local.date())} {local:%H:%M}"


def due_text(day: date, provisional: bool) -> str:
    return f"{day_text(day)}前" + ("（暂定）" if provisional else "")


def kind_text(case: Case) -> str:
    return "政府信息公开申请" if case.kind == APPLICATION else (case.category or "投诉")


def _deadline_lines(case: Case) -> list[str]:
    if case.status == AWAITING_CORRECTION and case.correction_due_on is not None:
        return [
            f"请在{day_text(case.correction_due_on)}前补正：发送“补正 {case.number} 补充的内容”。",
            "答复期限自收到补正之日起重新计算。",
        ]
    if case.kind == APPLICATION:
        days = application_days(case.received_on) + case.extension_days
        lines = [f"答复期限：{days}个工作日，{due_text(case.due_on, case.due_provisional)}"]
    else:
        lines = []
        if case.accept_due_on is not None:
            accept = due_text(case.accept_due_on, case.accept_due_provisional)
            lines.append(f"是否受理：{COMPLAINT_ACCEPT_DAYS}日内，{accept}告知")
        days = COMPLAINT_CONCLUDE_DAYS + case.extension_days
        lines.append(f"办结期限：{days}日内，{due_text(case.due_on, case.due_provisional)}")
    if case.due_provisional or case.accept_due_provisional:
        lines.append(PROVISIONAL_NOTE)
    return lines


def receipt(case: Case) -> str:
    """The receipt: what confirms the day of receipt (Art. 31), with the statutory deadline."""
    lines = [
        f"已收到您的{kind_text(case)}。",
        f"编号：{case.number}",
        f"收到时间：{moment_text(case.created_at)}（北京时间）",
        *_deadline_lines(case),
    ]
    if case.anonymous:
        lines.append("您选择了匿名：工作人员不会单独联系您，可凭编号查询办理进度。")
    lines.append(f"请保存编号。发送“进度 {case.number}”可随时查询办理情况。")
    return "\n".join(lines)


def detail(case: Case, full_text_url: str) -> str:
    """``进度 编号``: status, deadlines and the latest staff replies, in one message.

    Replies beyond the latest ``REPLIES_SHOWN``, or longer than ``REPLY_CHARS`` or than
    what the message has room for, are cut; then ``full_text_url`` (a page with every
    reply in full, for this resident only) ends the message.
    """
    lines = [
        f"编号：{case.number}（{kind_text(case)}）",
        f"状态：{STATUS_LABELS.get(case.status, case.status)}",
        f"收到时间：{moment_text(case.created_at)}",
    ]
    if case.is_open:
        lines.extend(_deadline_lines(case))
    if not case.replies:
        lines.append("暂时还没有答复，请耐心等待。")
        return "\n".join(lines)
    lines.append(f"工作人员答复（共{len(case.replies)}条）：")
    link = f"全部答复的全文请点：{full_text_url}"
    room = MESSAGE_BYTES - utf8_size("\n".join([*lines, link])) - 1
    shown, cut = _latest_replies(case, room)
    return "\n".join([*lines, *shown, *([link] if cut else [])])


def _latest_replies(case: Case, room: int) -> tuple[list[str], bool]:
    """Lines for the latest replies that fit in ``room`` bytes, oldest first, and whether
    any reply was left out or cut."""
    cut = len(case.replies) > REPLIES_SHOWN
    lines: list[str] = []
    for reply in reversed(case.replies[-REPLIES_SHOWN:]):
        head = f"· {moment_text(reply.created_at)}："
        left = room - utf8_size(head) - utf8_size("\n…")
        body = reply.body[:REPLY_CHARS]
        body = body.encode()[: max(left, 0)].decode("utf-8", errors="ignore")
        if len(body) < MIN_REPLY_CHARS and body != reply.body:
            return lines[::-1], True
        if body != reply.body:
            body, cut = body + "…", True
        lines.append(head + body)
        room -= utf8_size(head + body) + 1
    return lines[::-1], cut


def listing(cases: list[Case], total: int) -> str:
    """``我的``: one line per case, newest first."""
    if not cases:
        return "您还没有提交过申请或投诉。发送“申请”申请信息公开，发送“投诉”反映问题。"
    head = f"您提交的事项（共{total}件" + (
        f"，显示最近{len(cases)}件）：" if total > len(cases) else "）："
    )
    lines = [head]
    for case in cases:
        status = STATUS_LABELS.get(case.status, case.status).split("，")[0]
        due = ""
        if case.is_open:
            due = f"，期限{day_text(case.due_on)}" + ("（暂定）" if case.due_provisional else "")
        lines.append(f"{case.number} {kind_text(case)}：{status}{due}")
    lines.append("发送“进度 编号”查看详情和答复。")
    return "\n".join(lines)


NOT_FOUND = (
    "没有找到这个编号的事项。请核对编号（如 SQ20261126-0003），只能查询您本人提交的事项。"
    "发送“我的”可查看您提交过的全部事项。"
)
