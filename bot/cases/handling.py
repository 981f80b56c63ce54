"""Handling a case: assign, note, reply, correction (补正), extension, accept or decline, close.

Each function fires an event of the case's state machine (``bot.cases.states``:
who may, from which state, to which; ``HandlingError`` carries a sentence for
staff), changes the case, writes the audit log entry through it (who, what, why;
the log adds when) and leaves the commit to the caller, so that the change and
its record land together or not at all. Replies are stored here;
``bot.cases.replies.deliver_pending`` sends them after the commit.

The periods follow CASES.md: one correction notice within 7 working days of
receipt, after which the reply period restarts on the day the correction
arrives (Art. 30); one extension while the original period runs: for an
application as many working days again as the period, agreed by the head of the
disclosure office (Art. 33, the ``head`` role); 30 days for a complaint, approved
by the body's head (《信访工作条例》, approvers); a complaint is accepted or
declined within 15 days. Consulting a third party or another body (Art. 32/34)
and a fee notice (国办函〔2020〕109号) stop an application's clock until the answer
or the payment arrives (``bot.cases.deadlines.paused_days``); a fee unpaid after
20 working days lets staff close the application as (六)2.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import access, numbers, states
from bot.cases.calendar import work_calendar
from bot.cases.deadlines import COMPLAINT_CONCLUDE_DAYS, add_working_days, application_days
from bot.cases.digest import working_days_between
from bot.cases.intake import pause_limit, set_deadlines
from bot.cases.outcomes import (
    COMPLAINT_DECLINED,
    FEE_UNPAID,
    MESSAGE_BYTES,
    TRANSFERRED_TO_COMPLAINT,
    Outcome,
    choices_for,
    final_reply,
    outcome,
    utf8_size,
)
from bot.cases.privacy import conceal, originals, seal_originals
from bot.cases.replies import WAITING, renderings
from bot.cases.states import ALREADY_ANSWERED, ALREADY_PAID, Event, Step
from bot.cases.states import HandlingError as HandlingError  # callers catch it from here
from bot.cases.texts import day_text, days_text, due_text
from bot.clock import beijing_date
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    AWAITING_FEE,
    CLOSED,
    COMPLAINT,
    CONSULTATION,
    CONSULTING,
    EXTENDED,
    FEE,
    POOR_RATINGS,
    PROCESSING,
    RATINGS,
    RECEIVED,
    Case,
    CaseAssignment,
    CaseExtension,
    CaseNote,
    CasePause,
    CaseRating,
    CaseReply,
    CaseSupplement,
)
from bot.models.core import Body
from bot.models.staff import Staff
from bot.privacy import Resident

NOTE_MAX = 2000
REASON_MAX = 500
SUPPLEMENT_MAX = 2000
#: The applicant's period to correct, in working days, unless staff choose another.
CORRECTION_DAYS = 15
CORRECTION_DAYS_RANGE = range(5, 31)
#: Art. 30: the correction notice goes out within 7 working days of receipt.
CORRECTION_NOTICE_DAYS = 7
#: 《信访工作条例》: a complaint's period may be extended by up to 30 days.
COMPLAINT_EXTENSION_DAYS = 30


class LateCorrection(HandlingError):
    """A 补正 notice later than Art. 30 allows: sent only once staff confirm."""


def _text(value: str | None, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise HandlingError(f"请填写{what}。")
    if len(text) > limit:
        raise HandlingError(f"{what}最多{limit}字，现在是{len(text)}字。")
    return text


def _new_reply(case: Case, actor: Staff, body: str, now: datetime, *, final: bool) -> CaseReply:
    """A reply to the resident, refused if it would not reach them whole in one message."""
    size = max(utf8_size(text) for text in renderings(case, body, final=final))
    if size > MESSAGE_BYTES:
        excess = -(-(size - MESSAGE_BYTES) // 3)
        raise HandlingError(
            f"答复太长，一条微信消息放不下：请再删减约{excess}个字（理由和法定救济途径也占篇幅）。"
        )
    reply = CaseReply(
        body=body,
        author=actor.display_name,
        created_at=now,
        final=final,
        delivery=WAITING,
        push_attempts=0,
    )
    case.replies.append(reply)
    return reply


# ---- everyday handling ----


def assign(case: Case, actor: Staff, assignee: Staff, now: datetime) -> None:
    """Give the case to ``assignee``. A complaint only by an approver: assigning it decides
    who sees the complainant (``bot.cases.access``)."""
    step = states.begin(case, Event.ASSIGN, actor)
    if not access.may_assign(actor, case):
        raise HandlingError("投诉、举报、建议由审核人分派承办人（以保护反映人的身份）。")
    if not (assignee.active and assignee.can("cases.handle", case.body_id)):
        raise HandlingError("只能分派给有办理权限、账号在用的工作人员。")
    previous = case.assignee
    if previous is not None and previous.id == assignee.id:
        raise HandlingError(f"{case.number} 已经由{assignee.display_name}承办。")
    if case.assignment is None:
        case.assignment = CaseAssignment(staff=assignee, assigned_at=now)
    else:
        case.assignment.staff = assignee
        case.assignment.assigned_at = now
    case.assignment.assigned_by_id = actor.id
    if case.kind == APPLICATION and case.status == RECEIVED:
        step.enter(PROCESSING)
    earlier = {"previous": previous.username} if previous else {}
    step.record(handler=assignee.username, **earlier)


def add_note(case: Case, actor: Staff, body: str, now: datetime) -> CaseNote:
    step = states.begin(case, Event.NOTE, actor)
    note = CaseNote(staff=actor, body=_text(body, "备注", NOTE_MAX), created_at=now)
    case.notes.append(note)
    step.record()
    return note


def reply(case: Case, actor: Staff, body: str, now: datetime) -> CaseReply:
    """An interim answer to the resident (the case stays open)."""
    step = states.begin(case, Event.REPLY, actor)
    answer = _new_reply(case, actor, _text(body, "答复内容", MESSAGE_BYTES), now, final=False)
    step.record()
    return answer


# ---- corrections (补正, Art. 30) ----


def request_correction(
    session: Session,
    case: Case,
    actor: Staff,
    items: str,
    now: datetime,
    days: int = CORRECTION_DAYS,
    *,
    confirm_late: bool = False,
) -> CaseReply:
    """The one notice listing everything the applicant must supply; the clock stops.

    Later than 7 working days after receipt it is refused (``LateCorrection``) until
    staff confirm: Art. 30 wants it within 7.
    """
    step = states.begin(case, Event.REQUEST_CORRECTION, actor)
    if case.correction_requested_on is not None:
        raise HandlingError(states.correction_already_requested(case))
    if days not in CORRECTION_DAYS_RANGE:
        raise HandlingError(
            f"补正期限请填{CORRECTION_DAYS_RANGE.start}到{CORRECTION_DAYS_RANGE.stop - 1}个工作日。"
        )
    listed = _text(items, "需要补正的内容", REASON_MAX)
    today = beijing_date(now)
    calendar = work_calendar(session, min(today, case.received_on))
    elapsed = working_days_between(case.received_on, today, calendar)
    late = elapsed > CORRECTION_NOTICE_DAYS
    if late and not confirm_late:
        raise LateCorrection(
            f"今天已是收到申请后的第{elapsed}个工作日。条例第三十条要求在收到申请之日起"
            f"{CORRECTION_NOTICE_DAYS}个工作日内一次性告知补正，逾期告知可能被认定为程序违法。"
            "确认仍要发送吗？"
        )
    due = add_working_days(today, days, calendar)
    case.correction_requested_on, case.correction_due_on = today, due.due
    step.enter(AWAITING_CORRECTION)
    body = (
        f"您的申请内容需要补正，请补充：\n{listed}\n"
        f"请{due_text(due.due, due.provisional)}发送“补正 {case.number} 补充的内容”，"
        "也可以到办公室当面提交。无正当理由逾期不补正的，视为放弃申请。"
        "答复期限自收到补正之日起重新计算。"
    )
    notice = _new_reply(case, actor, body, now, final=False)
    step.record(reason=listed, days=days, due=due.due, late=late)
    return notice


def record_correction(
    session: Session,
    case: Case,
    text: str,
    received_on: date,
    now: datetime,
    actor: Staff | None = None,
) -> CaseSupplement:
    """A correction arrived (``actor`` None: the resident sent it in the chat).

    The first restarts the reply period from ``received_on``; more on the same day
    are added to it.
    """
    step = states.begin(case, Event.RECEIVE_CORRECTION, actor)
    body = _text(text, "补正内容", SUPPLEMENT_MAX)
    if received_on > beijing_date(now):
        raise HandlingError("收到补正的日期不能晚于今天。")
    if case.status == AWAITING_CORRECTION:
        if case.correction_requested_on and received_on < case.correction_requested_on:
            raise HandlingError("收到补正的日期不能早于补正通知的日期。")
        case.clock_started_on = received_on
        case.correction_due_on = None
        _settle(step)
        set_deadlines(case, work_calendar(session, received_on))
    elif case.clock_started_on != received_on:
        raise HandlingError(f"{case.number} 目前不需要补正。")
    shown, sealed = conceal({"text": body})
    supplement = CaseSupplement(
        text=shown["text"],
        originals_sealed=sealed,
        received_on=received_on,
        created_at=now,
        staff_id=actor.id if actor else None,
    )
    case.supplements.append(supplement)
    step.record(received_on=received_on, due=case.due_on, channel="counter" if actor else "chat")
    return supplement


#: How a correction reached the office (the ``channel`` of its audit entry), in words.
CORRECTION_CHANNELS = {"chat": "居民在微信中发送", "counter": "工作人员在窗口登记"}


def residents_case(session: Session, body_id: int, resident: Resident, number: str) -> Case | None:
    """The resident's own case with a body by number (None for another's: it is not found)."""
    mine = (Case.body_id == body_id, Case.number == number, Case.filed_by(resident))
    return session.scalars(select(Case).where(*mine)).first()


# ---- extensions (Art. 33) ----


def extension_days(case: Case) -> int:
    if case.kind == APPLICATION:
        return application_days(case.received_on)
    return COMPLAINT_EXTENSION_DAYS


def extension_permission(case: Case) -> str:
    """Who may extend: the disclosure office's head (Art. 33), or the body's head for 信访."""
    return states.EXTENSION_APPROVERS[case.kind]


def _within_period(case: Case, now: datetime) -> None:
    """An extension is decided and told while the original period runs (Art. 33)."""
    if beijing_date(now) > case.due_on:
        period = "答复" if case.kind == APPLICATION else "办理"
        raise HandlingError(
            f"{case.number} 的{period}期限已于{day_text(case.due_on)}届满，依法不能再延期："
            "延长期限须在原期限内决定并告知。请尽快办结答复。"
        )


def pending_extension(case: Case) -> CaseExtension | None:
    return next((e for e in case.extensions if e.approved is None), None)


def request_extension(
    session: Session, case: Case, actor: Staff, reason: str, now: datetime
) -> CaseExtension:
    """Ask to extend the period once; an approver's own request is approved at once."""
    step = states.begin(case, Event.REQUEST_EXTENSION, actor)
    # Cases settled by earlier releases may show a running pause or an approved extension
    # that their status does not.
    if running_pauses(case):
        raise HandlingError(states.refusal_in(CONSULTING, Event.REQUEST_EXTENSION, case))
    if any(e.approved for e in case.extensions):
        raise HandlingError(states.refusal_in(EXTENDED, Event.REQUEST_EXTENSION, case))
    if pending_extension(case) is not None:
        raise HandlingError(f"{case.number} 已有一项延期申请在等待审批。")
    _within_period(case, now)
    extension = CaseExtension(
        days=extension_days(case),
        reason=_text(reason, "延期理由", REASON_MAX),
        requested_by=actor,
        requested_at=now,
    )
    case.extensions.append(extension)
    step.record(days=extension.days, reason=extension.reason)
    if actor.can(extension_permission(case), case.body_id):
        decide_extension(session, extension, actor, approve=True, note=None, now=now)
    return extension


def decide_extension(
    session: Session,
    extension: CaseExtension,
    actor: Staff,
    *,
    approve: bool,
    note: str | None,
    now: datetime,
) -> CaseReply | None:
    """The head agrees (the resident is told the new date, in time) or refuses a request."""
    case = extension.case
    step = states.begin(case, Event.APPROVE_EXTENSION if approve else Event.REFUSE_EXTENSION, actor)
    if extension.approved is not None:
        raise HandlingError("这项延期申请已经审批过了。")
    if approve:
        _within_period(case, now)
    note = (note or "").strip()[:REASON_MAX] or None
    if not approve and not note:
        raise HandlingError("不批准延期时请写明理由。")
    extension.approved = approve
    extension.decided_by = actor
    extension.decided_at = now
    extension.decision_note = note
    if approve:
        _settle(step)
    why = {"reason": note} if note else {}
    step.record(days=extension.days, **why)
    if not approve:
        return None
    case.extension_days = extension.days
    set_deadlines(case, work_calendar(session, case.clock_started_on or case.received_on))
    due = due_text(case.due_on, case.due_provisional)
    if case.kind == APPLICATION:
        body = (
            "经本机关政府信息公开工作机构负责人同意，答复期限延长"
            f"{extension.days}个工作日，{due}答复。"
        )
    else:
        body = f"经本机关负责人批准，办理期限延长{days_text(extension.days, case)}，{due}办结。"
    body += f"\n延期理由：{extension.reason}"
    return _new_reply(case, actor, body, now, final=False)


# ---- clock pauses: consultations (Art. 32/34) and fee notices (109号) ----

PARTY_MAX = 200
#: A fee beyond this is surely a typing mistake (yuan).
FEE_MAX = Decimal("100000")


def running_pauses(case: Case) -> list[CasePause]:
    return [p for p in case.pauses if p.running]


def _day_in_range(day: date, case: Case, now: datetime, what: str) -> date:
    if day > beijing_date(now):
        raise HandlingError(f"{what}不能晚于今天。")
    if day < case.received_on:
        raise HandlingError(f"{what}不能早于收到申请的日期。")
    return day


def _money(raw: str, what: str) -> Decimal:
    try:
        amount = Decimal((raw or "").strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise HandlingError(f"请填写{what}（元），如 25.50。") from None
    if not Decimal("0") < amount <= FEE_MAX:
        raise HandlingError(f"{what}应大于0元、不超过{FEE_MAX}元。")
    return amount


def _settle(step: Step) -> None:
    """Move the case to where it rests once a correction, pause or extension changed: waiting
    for the correction still asked for, for a payment or an answer, or handled (extended once
    an extension is approved). One stop of the clock never hides another."""
    case = step.case
    running = running_pauses(case)
    if case.correction_due_on is not None:
        step.enter(AWAITING_CORRECTION)
    elif any(p.kind == FEE for p in running):
        step.enter(AWAITING_FEE)
    elif running:
        step.enter(CONSULTING)
    else:
        step.enter(EXTENDED if any(e.approved for e in case.extensions) else PROCESSING)


def start_consultation(
    session: Session, case: Case, actor: Staff, party: str, sent_on: date, now: datetime
) -> CasePause:
    """A letter to a third party or another body went out: its time is not counted."""
    step = states.begin(case, Event.START_CONSULTATION, actor)
    who = _text(party, "征求意见的对象", PARTY_MAX)
    sent_on = _day_in_range(sent_on, case, now, "发出征求意见的日期")
    calendar = work_calendar(session, sent_on)
    pause = CasePause(
        kind=CONSULTATION,
        party=who,
        started_on=sent_on,
        due_on=add_working_days(sent_on, pause_limit(CONSULTATION), calendar).due,
        staff=actor,
        created_at=now,
    )
    case.pauses.append(pause)
    _settle(step)
    step.record(party=who, sent_on=sent_on)
    return pause


def end_consultation(
    session: Session, pause: CasePause, actor: Staff, answered_on: date, now: datetime
) -> CaseReply:
    """The answer arrived (or the 15 working days ran out): the clock runs again."""
    case = pause.case
    step = states.begin(case, Event.END_CONSULTATION, actor)
    if pause.kind != CONSULTATION or not pause.running:
        raise HandlingError(ALREADY_ANSWERED)
    answered_on = _day_in_range(answered_on, case, now, "收到意见的日期")
    if answered_on < pause.started_on:
        raise HandlingError("收到意见的日期不能早于发出征求意见的日期。")
    pause.ended_on = answered_on
    return _resume(session, step, actor, now, pause)


def send_fee_notice(
    session: Session, case: Case, actor: Staff, amount: str, basis: str, now: datetime
) -> CaseReply:
    """A processing fee is asked (109号); the clock stops until it is paid."""
    step = states.begin(case, Event.SEND_FEE_NOTICE, actor)
    if any(p.kind == FEE for p in case.pauses):
        raise HandlingError(f"{case.number} 已经发过收费通知。")
    fee = _money(amount, "收费金额")
    why = _text(basis, "计费依据", REASON_MAX)
    today = beijing_date(now)
    due = add_working_days(today, pause_limit(FEE), work_calendar(session, today))
    case.pauses.append(
        CasePause(
            kind=FEE,
            started_on=today,
            due_on=due.due,
            fee_amount=fee,
            note=why,
            staff=actor,
            created_at=now,
        )
    )
    _settle(step)
    body = (
        "收费通知：依照《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），"
        f"您的申请需缴纳信息处理费{fee}元。计费依据：{why}\n"
        f"请自收到本通知之日起{pause_limit(FEE)}个工作日内、{due_text(due.due, due.provisional)}"
        "缴纳。答复期限自本通知发出之日起暂停计算，缴费后恢复；"
        "逾期未缴纳的，视为放弃申请，本机关不再处理。"
    )
    notice = _new_reply(case, actor, body, now, final=False)
    step.record(amount=str(fee), due=due.due)
    return notice


def record_payment(
    session: Session, pause: CasePause, actor: Staff, paid_on: date, amount: str, now: datetime
) -> CaseReply:
    """The fee was paid: recorded for the annual report, and the clock runs again."""
    case = pause.case
    step = states.begin(case, Event.RECORD_PAYMENT, actor)
    if pause.kind != FEE or not pause.running:
        raise HandlingError(ALREADY_PAID)
    paid_on = _day_in_range(paid_on, case, now, "缴费日期")
    if paid_on < pause.started_on:
        raise HandlingError("缴费日期不能早于收费通知的日期。")
    pause.fee_paid = _money(amount, "实收金额")
    pause.ended_on = paid_on
    return _resume(session, step, actor, now, pause)


def _resume(
    session: Session, step: Step, actor: Staff, now: datetime, pause: CasePause
) -> CaseReply:
    case = step.case
    set_deadlines(case, work_calendar(session, case.clock_started_on or case.received_on))
    _settle(step)
    what = (
        "征求意见已结束"
        if pause.kind == CONSULTATION
        else f"已收到您缴纳的信息处理费{pause.fee_paid}元"
    )
    if case.status not in (PROCESSING, EXTENDED):  # another stop of the clock still holds it
        body = f"{what}。"
    else:
        body = (
            f"{what}，答复期限恢复计算，我们将{due_text(case.due_on, case.due_provisional)}答复您。"
        )
    paid = {"amount": str(pause.fee_paid)} if pause.fee_paid is not None else {}
    step.record(ended_on=pause.ended_on, due=case.due_on, **paid)
    return _new_reply(case, actor, body, now, final=False)


def _fee_lapsed(case: Case, now: datetime) -> None:
    """(六)2 only for a fee notice unpaid after its 20 working days."""
    notice = next((p for p in case.pauses if p.kind == FEE and p.running), None)
    if notice is None or beijing_date(now) <= notice.due_on:
        raise HandlingError(
            "只有收费通知发出后满20个工作日仍未缴费的申请，才能按“申请人逾期未按收费通知要求缴纳费用”办结。"
        )


# ---- complaints: accept or decline within 15 days ----


def accept_complaint(
    session: Session, case: Case, actor: Staff, message: str, now: datetime
) -> CaseReply:
    """Accept a complaint: the 60 days to conclude start the day after (《信访工作条例》)."""
    step = states.begin(case, Event.ACCEPT, actor)
    step.enter(PROCESSING)
    case.accepted_on = beijing_date(now)
    set_deadlines(case, work_calendar(session, case.received_on))
    extra = (message or "").strip()[:REASON_MAX]
    body = (
        f"您反映的事项已受理（受理日期：{day_text(case.accepted_on)}）。我们将自受理之日起"
        f"{days_text(COMPLAINT_CONCLUDE_DAYS, case)}内、{due_text(case.due_on, case.due_provisional)}"
        "办结并答复您。" + (f"\n{extra}" if extra else "")
    )
    answer = _new_reply(case, actor, body, now, final=False)
    step.record(due=case.due_on)
    return answer


def decline_complaint(case: Case, actor: Staff, reason: str, now: datetime) -> CaseReply:
    step = states.begin(case, Event.DECLINE, actor)
    why = _text(reason, "不予受理的理由", REASON_MAX)
    declined = "经审查，您反映的事项不予受理。"
    answer = _new_reply(
        case, actor, final_reply(declined, COMPLAINT_DECLINED, why, None), now, final=True
    )
    _close(step, COMPLAINT_DECLINED, why, now, declined, None)
    step.record(reason=why)
    return answer


# ---- closing ----


def closing_choices(case: Case) -> list[Outcome]:
    """What staff may choose when closing (moving to the complaint track is its own action)."""
    return [o for o in choices_for(case.kind) if o.code != TRANSFERRED_TO_COMPLAINT]


def reconsideration_body(session: Session, case: Case) -> str | None:
    """The body an application's remedies name (the office's setting); None for a complaint.

    Closing an application without it is refused: a remedy notice that does not say
    where to apply is one a reviewer would reject.
    """
    if case.kind != APPLICATION:
        return None
    owner = session.get(Body, case.body_id)
    body = owner.reconsideration_body if owner else None
    if not body:
        raise HandlingError(
            "还没有填写行政复议机关，答复无法写明救济途径：请管理员先在“单位信息”中填写。"
        )
    return body


def close(
    session: Session,
    case: Case,
    actor: Staff,
    code: str,
    body: str,
    reason: str | None,
    now: datetime,
) -> CaseReply:
    """The final reply with the outcome, its reasons and the remedies; the case is closed."""
    step = states.begin(case, Event.CLOSE, actor)
    chosen = next((o for o in closing_choices(case) if o.code == code), None)
    if chosen is None:
        raise HandlingError("请选择办理结果。")
    if chosen.code == FEE_UNPAID:
        _fee_lapsed(case, now)
    why = (reason or "").strip()
    if chosen.needs_reason:
        why = _text(why, "理由", REASON_MAX)
    elif len(why) > REASON_MAX:
        raise HandlingError(f"理由最多{REASON_MAX}字。")
    answer = _text(body, "答复内容", MESSAGE_BYTES)
    remedies_to = reconsideration_body(session, case)
    text = final_reply(answer, chosen, why or None, remedies_to)
    final = _new_reply(case, actor, text, now, final=True)
    _close(step, chosen, why or None, now, answer, remedies_to)
    reasons = {"reason": why} if why else {}
    step.record(outcome=chosen.label, **reasons)
    return final


def _close(
    step: Step,
    chosen: Outcome,
    reason: str | None,
    now: datetime,
    answer: str,
    remedies_to: str | None,
) -> None:
    case = step.case
    case.outcome, case.outcome_reason = chosen.code, reason
    case.final_answer, case.reconsideration_body = answer, remedies_to
    case.closed_at, case.closed_on = now, beijing_date(now)
    step.enter(CLOSED)


def transfer_to_complaint(
    session: Session, case: Case, actor: Staff, reason: str, now: datetime
) -> Case:
    """An application that is a complaint: closed as (五)1 and filed again as a complaint.

    The complaint keeps the day of receipt (the office had it then), the resident's
    words and contact, and the handler when an approver transfers it (otherwise an
    approver assigns one: the applicant is now a complainant, see ``assign``).
    """
    step = states.begin(case, Event.TRANSFER, actor)
    why = _text(reason, "转办理由", REASON_MAX)
    remedies_to = reconsideration_body(session, case)
    complaint = Case(
        kind=COMPLAINT,
        category="投诉",
        status=RECEIVED,
        body_id=case.body_id,
        submission_id=f"transfer:{case.body_id}:{case.number}",
        openid=case.openid,
        created_at=case.created_at,
        received_on=case.received_on,
        extension_days=0,
        name=case.name,
        phone_sealed=case.phone_sealed,
        phone_masked=case.phone_masked,
        anonymous=case.phone_sealed is None,
        text=case.text,
        originals_sealed=seal_originals(
            {k: v for k, v in originals(case.originals_sealed).items() if k in ("name", "text")}
        ),
    )
    set_deadlines(complaint, work_calendar(session, complaint.received_on))
    complaint.number = numbers.allocate(
        session, case.body_id, numbers.COMPLAINT_PREFIX, complaint.received_on
    )
    if case.assignee is not None and actor.can("cases.assign_reporter", case.body_id):
        complaint.assignment = CaseAssignment(
            staff=case.assignee, assigned_by_id=actor.id, assigned_at=now
        )
    session.add(complaint)
    chosen = outcome(TRANSFERRED_TO_COMPLAINT)
    body = (
        "您的申请反映的是投诉、举报类事项，不属于政府信息公开申请，"
        f"已转为投诉办理，编号{complaint.number}。可发送“进度 {complaint.number}”查询办理情况。"
    )
    _new_reply(case, actor, final_reply(body, chosen, why, remedies_to), now, final=True)
    _close(step, chosen, why, now, body, remedies_to)
    case.transferred_to = complaint.number
    step.record(complaint=complaint.number, reason=why)
    return complaint


# ---- ratings and call-backs ----


def latest_rated_case(session: Session, body_id: int, resident: Resident) -> Case | None:
    """The resident's case with a body that most recently got a final reply: the one a
    rating is about."""
    return session.scalars(
        select(Case)
        .join(CaseReply, CaseReply.case_id == Case.id)
        .where(Case.body_id == body_id, Case.filed_by(resident), CaseReply.final.is_(True))
        .order_by(CaseReply.id.desc())
        .limit(1)
    ).first()


def rate(case: Case, word: str, now: datetime) -> CaseRating:
    step = states.begin(case, Event.RATE, None)
    if word not in RATINGS:
        raise HandlingError(f"评价只能是：{'、'.join(RATINGS)}。")
    if case.rating is not None:
        raise HandlingError(f"{case.number} 已经评价过了。")
    case.rating = CaseRating(rating=word, rated_at=now)
    step.record(rating=word)
    return case.rating


def record_callback(rating: CaseRating, actor: Staff, note: str, now: datetime) -> None:
    """A staff member called the resident back after a poor rating."""
    step = states.begin(rating.case, Event.CALLBACK, actor)
    if rating.rating not in POOR_RATINGS:
        raise HandlingError("只有“不满意”“很不满意”的评价需要回访。")
    if rating.called_back_at is not None:
        raise HandlingError("这件事已经回访过了。")
    rating.callback_note = _text(note, "回访情况", NOTE_MAX)
    rating.called_back_at = now
    rating.called_back_by = actor
    step.record()
