"""Filing a case: one transaction, once per dialogue, before the receipt is sent.

The case, its tracking number and its attachments' references are committed
together. The forms carry what the resident typed; ID numbers in its free text are
stored masked, the originals sealed (``bot.cases.privacy.conceal``). The dialogue's submission id is stored under a unique constraint, so
the same dialogue submitted again — a retry, a concurrent duplicate, a lost
Redis reply cache, a second ``确认`` — finds the case it already filed and gets
the same receipt, never a second case.

No count refuses a case (Art. 35 of the Regulation): one filed when the resident
already filed ``daily_limit`` that Beijing day is received like any other and
marked ``over_daily_limit`` for staff, who may ask for reasons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import clock
from bot.cases import numbers
from bot.cases.calendar import work_calendar
from bot.cases.deadlines import (
    CONSULTATION_DAYS,
    FEE_PAYMENT_DAYS,
    Pause,
    WorkCalendar,
    application_due,
    complaint_accept_due,
    complaint_conclude_due,
    paused_days,
)
from bot.cases.privacy import conceal
from bot.clock import beijing_date
from bot.models import Body
from bot.models.cases import (
    APPLICATION,
    CLOSED_STATUSES,
    COMPLAINT,
    CONSULTATION,
    ORGANISATION,
    RECEIVED,
    Attachment,
    Case,
)
from bot.privacy import Resident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Protected:
    """A sealed value (identity number, phone) with the masked form residents and staff see."""

    sealed: str
    masked: str


@dataclass(frozen=True)
class Photo:
    media_id: str
    pic_url: str | None


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str


@dataclass(frozen=True)
class ApplicationForm:
    """What Art. 29 asks of an applicant."""

    applicant_kind: str
    organisation_kind: str | None
    name: str
    id_type: str
    id_number: Protected
    description: str
    form_wanted: str
    phone: Protected | None = None
    email: str | None = None
    #: The postal address (for paper copies by post, or the only contact given).
    address: str | None = None


@dataclass(frozen=True)
class ComplaintForm:
    category: str
    text: str
    photos: tuple[Photo, ...] = ()
    #: WeChat media ids of voice notes, kept as attachments like photos.
    voices: tuple[str, ...] = ()
    place: Place | None = None
    phone: Protected | None = None
    name: str | None = None


@dataclass(frozen=True)
class Filed:
    case: Case
    #: False when this submission had already been filed (the same receipt is given again).
    new: bool


def file_application(
    session: Session,
    body: Body,
    resident: Resident,
    submission_id: str,
    form: ApplicationForm,
    daily_limit: int,
) -> Filed:
    """File the application with ``body``, numbered in its sequence, and commit."""
    now = clock.now()
    case = _case(body, APPLICATION, None, resident, submission_id, now)
    case.applicant_kind = form.applicant_kind
    case.organisation_kind = form.organisation_kind if form.applicant_kind == ORGANISATION else None
    typed = {"name": form.name, "id_type": form.id_type, "address": form.address}
    shown, case.originals_sealed = conceal(typed | {"email": form.email, "text": form.description})
    case.name, case.id_type, case.address = shown["name"], shown["id_type"], shown["address"]
    case.email, case.text = shown["email"], shown["text"] or ""
    case.id_number_sealed, case.id_number_masked = form.id_number.sealed, form.id_number.masked
    if form.phone is not None:
        case.phone_sealed, case.phone_masked = form.phone.sealed, form.phone.masked
    case.form_wanted = form.form_wanted
    return _file(session, numbers.APPLICATION_PREFIX, case, daily_limit)


def file_complaint(
    session: Session,
    body: Body,
    resident: Resident,
    submission_id: str,
    form: ComplaintForm,
    daily_limit: int,
) -> Filed:
    """File the complaint with ``body``, numbered in its sequence, and commit."""
    now = clock.now()
    case = _case(body, COMPLAINT, form.category, resident, submission_id, now)
    shown, case.originals_sealed = conceal({"name": form.name, "text": form.text})
    case.name, case.text = shown["name"], shown["text"] or ""
    if form.phone is not None:
        case.phone_sealed, case.phone_masked = form.phone.sealed, form.phone.masked
    case.anonymous = form.phone is None
    if form.place is not None:
        case.latitude, case.longitude = form.place.latitude, form.place.longitude
        case.place = form.place.label or None
    case.attachments = [
        Attachment(kind="image", media_id=p.media_id, pic_url=p.pic_url, created_at=now)
        for p in form.photos
    ] + [
        Attachment(kind="voice", media_id=media_id, pic_url=None, created_at=now)
        for media_id in form.voices
    ]
    return _file(session, numbers.COMPLAINT_PREFIX, case, daily_limit)


def _case(
    body: Body,
    kind: str,
    category: str | None,
    resident: Resident,
    submission_id: str,
    now: datetime,
) -> Case:
    return Case(
        body_id=body.id,
        kind=kind,
        category=category,
        status=RECEIVED,
        submission_id=submission_id,
        openid=resident.openid,
        account=resident.account,
        created_at=now,
        received_on=beijing_date(now),
        extension_days=0,
        anonymous=False,
    )


def filed_that_day(session: Session, resident: Resident, day: date) -> int:
    """Cases the resident filed on ``day`` (an application moved to the complaint track once)."""
    return session.execute(
        select(func.count())
        .select_from(Case)
        .where(Case.filed_by(resident), Case.received_on == day, Case.transferred_to.is_(None))
    ).scalar_one()


def _file(session: Session, prefix: str, case: Case, daily_limit: int) -> Filed:
    earlier = filed_before(session, case.submission_id)
    if earlier is not None:
        return Filed(earlier, new=False)
    case.over_daily_limit = filed_that_day(session, case.resident, case.received_on) >= daily_limit
    set_deadlines(case, work_calendar(session, case.received_on))
    try:
        case.number = numbers.allocate(session, case.body_id, prefix, case.received_on)
        session.add(case)
        session.commit()
    except IntegrityError:
        # Another copy of this submission committed first: answer with its receipt.
        session.rollback()
        earlier = filed_before(session, case.submission_id)
        if earlier is None:
            raise
        return Filed(earlier, new=False)
    log.info("filed %s for resident %s", case.number, case.resident.pseudonym[:16])
    return Filed(case, new=True)


def filed_before(session: Session, submission_id: str) -> Case | None:
    return session.scalars(select(Case).where(Case.submission_id == submission_id)).first()


def set_deadlines(case: Case, calendar: WorkCalendar) -> None:
    if case.kind == APPLICATION:
        due = application_due(
            case.received_on,
            calendar,
            case.extension_days,
            counted_from=case.clock_started_on,
            not_counted=paused_days(ended_pauses(case), calendar),
        )
        case.due_on, case.due_provisional = due.due, due.provisional
        case.accept_due_on, case.accept_due_provisional = None, False
        return
    accept = complaint_accept_due(case.received_on, calendar)
    case.accept_due_on, case.accept_due_provisional = accept.due, accept.provisional
    if case.awaiting_acceptance:
        # Before acceptance the only promise is the decision (《信访工作条例》).
        case.due_on, case.due_provisional = accept.due, accept.provisional
        return
    # Accepted before the day was recorded: counted from receipt, earlier than the law's date.
    accepted = case.accepted_on or case.received_on
    conclude = complaint_conclude_due(accepted, calendar, case.extension_days)
    case.due_on, case.due_provisional = conclude.due, conclude.provisional


def pause_limit(kind: str) -> int:
    """Working days a consultation (Art. 32) or an unpaid fee notice (109号) may stop the clock."""
    return CONSULTATION_DAYS if kind == CONSULTATION else FEE_PAYMENT_DAYS


def ended_pauses(case: Case) -> list[Pause]:
    """The consultations and fee notices that ended: their days are not counted. One still
    running stops the clock (the status says so) and counts once it ends."""
    return [
        Pause(p.started_on, p.ended_on, pause_limit(p.kind))
        for p in case.pauses
        if p.ended_on is not None
    ]


@dataclass(frozen=True)
class Recomputed:
    number: str
    before: str
    after: str


def recompute_open_deadlines(session: Session) -> list[Recomputed]:
    """Recompute every open case's deadlines from the calendar now loaded; return the changes."""
    changes = []
    cases = session.scalars(
        select(Case).where(Case.status.not_in(CLOSED_STATUSES)).order_by(Case.id)
    ).all()
    calendars: dict[date, WorkCalendar] = {}
    for case in cases:
        calendar = calendars.get(case.received_on)
        if calendar is None:
            calendar = calendars[case.received_on] = work_calendar(session, case.received_on)
        before = _deadline_summary(case)
        set_deadlines(case, calendar)
        after = _deadline_summary(case)
        if after != before:
            changes.append(Recomputed(case.number, before, after))
    session.commit()
    return changes


def _deadline_summary(case: Case) -> str:
    if case.awaiting_acceptance:
        parts = []
    else:
        parts = [f"due {case.due_on}" + (" (provisional)" if case.due_provisional else "")]
    if case.accept_due_on is not None:
        parts.append(
            f"accept by {case.accept_due_on}"
            + (" (provisional)" if case.accept_due_provisional else "")
        )
    return ", ".join(parts)
