"""Cases that need attention: overdue first, then due soonest — for the digest, dashboard, metrics.

A complaint is due first to be told whether it is accepted (15 days), then to be
concluded (60 days), both counted in calendar days (自然日); an application has one
deadline, in working days (工作日) counted with the loaded calendar. Each ``Due`` says
which (``unit``). A deadline in a year without a schedule stays marked provisional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, selectinload

from bot.cases.calendar import missing_next_year, work_calendar
from bot.cases.deadlines import CALENDAR_DAYS, WORKING_DAYS, WorkCalendar
from bot.clock import in_beijing
from bot.models import Body
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    CLOSED_STATUSES,
    COMPLAINT,
    RECEIVED,
    Case,
    CasePause,
)
from bot.models.county import Escalation

#: What the console and the digest call a kind of case.
KIND_LABELS = {APPLICATION: "依申请公开", COMPLAINT: "投诉举报"}
#: What falls due next (``next_deadline``).
STEP_LABELS = {
    "accept": "决定是否受理",
    "conclude": "办结",
    "correction": "申请人补正",
    "consultation": "收回征求的意见",
    "fee": "申请人缴费",
}
#: How many days ahead the digest looks by default.
DIGEST_DAYS = 7

#: A complaint's steps are counted in calendar days (《信访工作条例》); every other in working days.
CALENDAR_DAY_STEPS = frozenset({"accept", "conclude"})


def counts_calendar_days(case: Case, step: str) -> bool:
    """Whether ``step`` of ``case`` is counted in calendar days (自然日), not working days."""
    return case.kind == COMPLAINT and step in CALENDAR_DAY_STEPS


@dataclass(frozen=True)
class Due:
    case: Case
    #: What falls due: "accept" (tell whether a complaint is accepted), "conclude",
    #: "correction" (the applicant's period to correct an application ends), "consultation"
    #: (a consulted party's 15 working days end) or "fee" (the 20 days to pay end).
    step: str
    due_on: date
    provisional: bool
    #: Days from today to the deadline, counted as the period is (``unit``); negative when it
    #: has passed.
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def unit(self) -> str:
        """自然日 or 工作日: how this period, and ``days_left``, are counted."""
        return CALENDAR_DAYS if counts_calendar_days(self.case, self.step) else WORKING_DAYS


def due_of(case: Case, today: date, calendar: WorkCalendar) -> Due:
    """``case``'s next deadline and the days left to it, as its period counts them."""
    step, due_on, provisional = next_deadline(case)
    if counts_calendar_days(case, step):
        left = (due_on - today).days
    else:
        left = working_days_between(today, due_on, calendar)
    return Due(case, step, due_on, provisional, left)


def next_deadline(case: Case) -> tuple[str, date, bool]:
    """The deadline the case is working towards now (``next_deadline_sql`` is its date in SQL)."""
    if case.status == AWAITING_CORRECTION and case.correction_due_on is not None:
        # The reply period is suspended; what falls due is the applicant's correction.
        return "correction", case.correction_due_on, False
    running = [p for p in case.pauses if p.ended_on is None]
    if running:
        # The reply period is paused; what falls due is the answer or the payment.
        pause = min(running, key=lambda p: p.due_on)
        return pause.kind, pause.due_on, False
    if case.awaiting_acceptance and case.accept_due_on is not None:
        return "accept", case.accept_due_on, case.accept_due_provisional
    return "conclude", case.due_on, case.due_provisional


def next_deadline_sql() -> ColumnElement[date]:
    """``next_deadline``'s date in SQL, for ordering and counting in the database.

    The same choice from the same columns: the stored deadlines already count pauses,
    corrections and extensions (``bot.cases.intake.set_deadlines``), so the database
    orders by urgency exactly as ``next_deadline`` would.
    """
    running_pause_due = (
        select(func.min(CasePause.due_on))
        .where(CasePause.case_id == Case.id, CasePause.ended_on.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )
    awaiting_acceptance = and_(
        Case.kind == COMPLAINT, Case.status == RECEIVED, Case.accept_due_on.is_not(None)
    )
    return when(
        (
            and_(Case.status == AWAITING_CORRECTION, Case.correction_due_on.is_not(None)),
            Case.correction_due_on,
        ),
        else_=func.coalesce(
            running_pause_due, when((awaiting_acceptance, Case.accept_due_on), else_=Case.due_on)
        ),
    )


def working_days_between(today: date, deadline: date, calendar: WorkCalendar) -> int:
    """Working days after ``today`` up to ``deadline``; negative (at least -1) once it passed."""
    first, last = sorted((today, deadline))
    count = sum(
        calendar.is_working_day(first + timedelta(days=n))
        for n in range(1, (last - first).days + 1)
    )
    return count if deadline >= today else -max(count, 1)


def open_cases_by_urgency(session: Session, body_id: int, today: date) -> list[Due]:
    """Every open case of a body with its next deadline: overdue first, then the soonest due."""
    cases = session.scalars(
        select(Case)
        .options(selectinload(Case.pauses))
        .where(Case.body_id == body_id, Case.status.not_in(CLOSED_STATUSES))
    ).all()
    deadlines = [next_deadline(c)[1] for c in cases] + [today]
    calendar = work_calendar(session, min(deadlines), until=max(deadlines))
    found = [due_of(case, today, calendar) for case in cases]
    return sorted(found, key=lambda d: (d.due_on, d.case.number))


def overdue_count(session: Session, today: date) -> int:
    """Open cases whose next deadline has passed, counted in the database."""
    late = and_(Case.status.not_in(CLOSED_STATUSES), next_deadline_sql() < today)
    return session.scalar(select(func.count()).select_from(Case).where(late)) or 0


@dataclass(frozen=True)
class Digest:
    """A body's daily digest (督办单): overdue cases, then those due within ``days``."""

    body: Body
    on: date
    days: int
    overdue: list[Due]
    soon: list[Due]
    open_count: int
    #: Next year, when its holiday schedule should be loaded by now and is not.
    missing_year: int | None


def digest_for(session: Session, body: Body, on: date, days: int = DIGEST_DAYS) -> Digest:
    """What ``sunshine digest`` prints and ``/admin/digest`` shows for a body."""
    dues = open_cases_by_urgency(session, body.id, on)
    overdue = [d for d in dues if d.overdue]
    soon = [d for d in dues if not d.overdue and (d.due_on - on).days <= days]
    return Digest(body, on, days, overdue, soon, len(dues), missing_next_year(session, on))


def kind_label(case: Case) -> str:
    return KIND_LABELS[case.kind] + (f" · {case.category}" if case.category else "")


def left_text(due: Due) -> str:
    """``剩 3 个工作日``, ``今天到期``, ``超期 2 个自然日``."""
    if due.overdue:
        return f"超期 {-due.days_left} 个{due.unit}"
    return "今天到期" if due.days_left == 0 else f"剩 {due.days_left} 个{due.unit}"


def digest_text(digest: Digest, escalations: Sequence[Escalation] = ()) -> str:
    """The digest as ``sunshine digest`` prints it for staff: in Chinese, like its page; then
    the county's 督办 notices to the body (``escalations``, the newest first), if any."""
    lines = [
        f"{digest.body.name} 每日督办单 {digest.on}（北京时间）",
        f"超期 {len(digest.overdue)} 件，{digest.days}天内到期 {len(digest.soon)} 件，"
        f"未办结共 {digest.open_count} 件。",
    ]
    year = digest.missing_year
    if year is not None:
        lines += [
            "",
            f"注意：尚未导入{year}年的节假日安排。国务院办公厅通常在11月公布；公布后请运维人员导入："
            f"sunshine calendar template {year} > {year}.json，按通知填好放假和调休日期，"
            f"再执行 sunshine calendar add {year} {year}.json。"
            f"导入前，跨入{year}年的期限只扣除法定节假日，标为“暂定”。",
        ]
    for title, dues in (("已超期", digest.overdue), (f"{digest.days}天内到期", digest.soon)):
        lines += ["", f"{title}（{len(dues)}件）"]
        lines += [_due_line(due) for due in dues] or ["  没有。"]
    if escalations:
        lines += ["", f"县级督办（{len(escalations)}条）"]
        lines += [_escalation_line(notice) for notice in escalations]
    return "\n".join(lines)


def _escalation_line(notice: Escalation) -> str:
    sent = in_beijing(notice.sent_at).strftime("%Y-%m-%d %H:%M")
    about = f"案件 {notice.case.number}" if notice.case else "本机关的工作"
    return f"  {sent}  {notice.sender.display_name}就{about}督办：{notice.text}"


def _due_line(due: Due) -> str:
    case = due.case
    handler = case.assignee.display_name if case.assignee else "未分派"
    mark = "（暂定）" if due.provisional else ""
    return (
        f"  {case.number}  {kind_label(case)}  {handler}  "
        f"{STEP_LABELS[due.step]}：{due.due_on}（{due.unit}）{mark}  {left_text(due)}"
    )
