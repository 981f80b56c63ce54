"""What residents read about their cases: receipts, progress, the list of their cases.

Every date is a Beijing date; a provisional deadline says so. Nothing here shows
an identity number or a phone other than masked.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.cases.deadlines import (
    CALENDAR_DAYS,
    COMPLAINT_ACCEPT_DAYS,
    COMPLAINT_CONCLUDE_DAYS,
    WORKING_DAYS,
    application_days,
)
from bot.cases.outcomes import MESSAGE_BYTES, utf8_size
from bot.clock import in_beijing
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    AWAITING_FEE,
    CONSULTING,
    FEE,
    STATUS_LABELS,
    Case,
)

PROVISIONAL_NOTE = "注：标“暂定”的日期跨入了国家尚未公布节假日安排的年份，公布后会重新计算。"
#: On the receipt of a case filed beyond the daily count: received all the same (Art. 35).
MANY_APPLICATIONS = "您今天提交的申请较多。申请数量明显超过合理范围的，我们可能请您说明理由。"
#: How many staff replies ``进度`` shows, newest last, and how long each may be.
REPLIES_SHOWN = 3
REPLY_CHARS = 300
#: The longest link to a formal reply that ``进度`` is sized for (``bot.public.case_pages.link``).
FORMAL_LINK_MAX = 200
#: A reply cut shorter than this is left out instead (the link shows it in full).
MIN_REPLY_CHARS = 20


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def moment_text(moment: datetime) -> str:
    local = in_beijing(moment)
    return f"{day_text(local.date())} {local:%H:%M}"


def due_text(day: date, provisional: bool = False) -> str:
    """A last day as residents read it, the day itself included: 最迟于2027年1月4日（含当日）."""
    return f"最迟于{day_text(day)}（含当日）" + ("（暂定）" if provisional else "")


def days_text(days: int, case: Case) -> str:
    """A length of ``case``'s period that says how it is counted: ``20个工作日`` for an
    application, ``60个自然日`` for a complaint (《信访工作条例》 counts calendar days)."""
    return f"{days}个{WORKING_DAYS if case.kind == APPLICATION else CALENDAR_DAYS}"


def period_days(case: Case) -> int:
    """The days to answer an application or conclude an accepted complaint, extension included."""
    if case.kind == APPLICATION:
        return application_days(case.received_on) + case.extension_days
    return COMPLAINT_CONCLUDE_DAYS + case.extension_days


def kind_text(case: Case) -> str:
    return "政府信息公开申请" if case.kind == APPLICATION else (case.category or "投诉")


def _deadline_lines(case: Case) -> list[str]:
    if case.status == AWAITING_CORRECTION and case.correction_due_on is not None:
        return [
            f"请{due_text(case.correction_due_on)}补正：发送“补正 {case.number} 补充的内容”。",
            "答复期限自收到补正之日起重新计算。",
        ]
    if case.status == AWAITING_FEE:
        fee = next(p for p in case.pauses if p.kind == FEE and p.ended_on is None)
        return [
            f"请{due_text(fee.due_on)}缴纳信息处理费{fee.fee_amount}元；"
            "缴费前答复期限暂停计算，逾期未缴纳的视为放弃申请。"
        ]
    if case.status == CONSULTING:
        return [
            "正在征求第三方或有关机关的意见，征求意见的时间（每次最长15个工作日）不计入答复期限；"
            "收到意见后恢复计算，并告知您新的答复日期。"
        ]
    if case.kind == APPLICATION:
        days = days_text(period_days(case), case)
        lines = [f"答复期限：{days}，{due_text(case.due_on, case.due_provisional)}"]
    elif case.awaiting_acceptance:
        # Only the decision is promised until the complaint is accepted (《信访工作条例》).
        accept = due_text(case.accept_due_on or case.due_on, case.accept_due_provisional)
        lines = [
            f"是否受理：{days_text(COMPLAINT_ACCEPT_DAYS, case)}内告知，{accept}",
            f"受理后{days_text(COMPLAINT_CONCLUDE_DAYS, case)}内办结，受理时告知办结期限。",
        ]
    else:
        days = days_text(period_days(case), case)
        since = f"自{day_text(case.accepted_on)}受理起" if case.accepted_on else ""
        lines = [f"办结期限：{since}{days}内，{due_text(case.due_on, case.due_provisional)}"]
    if case.due_provisional or case.accept_due_provisional:
        lines.append(PROVISIONAL_NOTE)
    return lines


def application_terms(case: Case) -> list[str]:
    """What an application's receipt adds: how the period may move, and what to do without a
    reply in time (Art. 51 of the Regulation)."""
    return [
        "征求第三方或其他机关意见、补正材料、缴纳信息处理费的时间不计入答复期限；"
        "确需延长的，经本机关政府信息公开工作机构负责人同意，"
        f"最多延长{application_days(case.received_on)}个工作日，并会告知您。",
        "到期没有收到答复的，您可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，"
        "也可以依法申请行政复议或者提起行政诉讼。",
    ]


def receipt(case: Case) -> str:
    """The receipt: what confirms the day of receipt (Art. 31), with the statutory deadline."""
    lines = [
        f"已收到您的{kind_text(case)}。",
        f"编号：{case.number}",
        f"收到时间：{moment_text(case.created_at)}（北京时间）",
        *_deadline_lines(case),
    ]
    if case.kind == APPLICATION:
        lines.extend(application_terms(case))
        if case.over_daily_limit:
            lines.append(MANY_APPLICATIONS)
    if case.anonymous:
        lines.append("您选择了匿名：工作人员不会单独联系您，可凭编号查询办理进度。")
    lines.append(f"请保存编号。发送“进度 {case.number}”可随时查询办理情况。")
    return "\n".join(lines)


def formal_link_line(url: str) -> str:
    """The line of ``进度`` that leads a closed application's applicant to the 答复书."""
    return f"答复书（可打印、下载PDF）：{url}"


def detail(case: Case, full_text_url: str, formal_link: str | None = None) -> str:
    """``进度 编号``: status, the link to the 答复书, deadlines and the latest staff replies,
    in one message.

    Replies beyond the latest ``REPLIES_SHOWN``, or longer than ``REPLY_CHARS`` or than
    what the message has room for, are cut; then ``full_text_url`` (a page with every
    reply in full, for this resident only) ends the message.
    """
    lines = [
        f"编号：{case.number}（{kind_text(case)}）",
        f"状态：{STATUS_LABELS.get(case.status, case.status)}",
        *([formal_link_line(formal_link)] if formal_link else []),
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


def clock_stopped(case: Case) -> str | None:
    """While an application's clock is stopped, what ``我的`` says instead of a due date that
    is not running: 暂停, why (补正, 征求意见, 缴费) and what the resident must do by when."""
    if case.status == AWAITING_CORRECTION:
        until = f"，请{due_text(case.correction_due_on)}补正" if case.correction_due_on else ""
        return f"答复期限暂停（等您补正材料）{until}"
    if case.status == CONSULTING:
        return "答复期限暂停（正在征求意见，收到意见后恢复计算）"
    if case.status == AWAITING_FEE:
        fee = next((p for p in case.pauses if p.kind == FEE and p.ended_on is None), None)
        until = f"，请{due_text(fee.due_on)}缴纳{fee.fee_amount}元" if fee else ""
        return f"答复期限暂停（等您缴费）{until}"
    return None


def listing(cases: list[Case], total: int) -> str:
    """``我的``: one line per case, newest first."""
    if not cases:
        return "您还没有提交过申请或投诉。发送“申请”申请信息公开，发送“投诉”反映问题。"
    head = f"您提交的事项（共{total}件" + (
        f"，显示最近{len(cases)}件）：" if total > len(cases) else "）："
    )
    lines = [head]
    for case in cases:
        stopped = clock_stopped(case)
        if stopped is not None:
            lines.append(f"{case.number} {kind_text(case)}：{stopped}")
            continue
        status = STATUS_LABELS.get(case.status, case.status).split("，")[0]
        due = ""
        if case.is_open:
            due = f"，{due_text(case.due_on, case.due_provisional)}"
            if case.awaiting_acceptance:
                due += "告知是否受理"
        lines.append(f"{case.number} {kind_text(case)}：{status}{due}")
    lines.append("发送“进度 编号”查看详情和答复。")
    return "\n".join(lines)


NOT_FOUND = (
    "没有找到这个编号的事项。请核对编号（如 SQ20261126-0003），只能查询您本人提交的事项。"
    "发送“我的”可查看您提交过的全部事项。"
)
