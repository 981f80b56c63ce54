"""One case's page (``/admin/cases/<number>``), its photos and 显示.

The page shows the resident's whole submission, photos through an access-checked
route (never WeChat's public URL), the location with a map link, deadlines,
replies and how each reached the resident, notes, corrections, extensions, the
rating, this case's audit trail, and the forms that handle it (posted to
``bot.admin.cases.actions``). Who sees the person behind the case is
``bot.cases.access``'s to say. A number that names no case is a 404.
"""

from __future__ import annotations

import mimetypes
from datetime import date
from itertools import groupby
from pathlib import Path
from urllib.parse import urlencode

from flask import abort, current_app, g, render_template, request, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.cases.labels import approver_title, outcome_label
from bot.admin.console import PermissionDenied, bp, staff_body
from bot.admin.views import detail_phrases
from bot.cases import access, handling, media, replies, texts
from bot.cases.calendar import work_calendar
from bot.cases.deadlines import COMPLAINT_ACCEPT_DAYS
from bot.cases.digest import KIND_LABELS, STEP_LABELS, Due, due_of, next_deadline
from bot.cases.formal import has_formal_reply
from bot.cases.intake import filed_that_day
from bot.cases.numbers import read_number
from bot.cases.privacy import SealError
from bot.db import get_session
from bot.models import Body
from bot.models.cases import AWAITING_CORRECTION, FEE, STATUS_LABELS, STORED, Attachment, Case
from bot.models.staff import AuditEntry, Staff, StaffMembership
from bot.staff import audit
from bot.wechat.api import enabled as api_enabled

AMAP_MARKER = "https://uri.amap.com/marker"
SEAL_PROBLEM = "加密的联系方式无法解开：服务器的数据密钥（SUNSHINE_DATA_KEY）不对。"


def find_case(number: str) -> Case:
    """The case with this number however it was typed, with what its page shows; else 404."""
    canonical = read_number(number)
    case = None
    if canonical is not None:
        case = (
            get_session()
            .scalars(
                select(Case)
                .options(
                    selectinload(Case.attachments),
                    selectinload(Case.replies),
                    selectinload(Case.notes),
                    selectinload(Case.supplements),
                    selectinload(Case.extensions),
                    selectinload(Case.assignment),
                    selectinload(Case.rating),
                    selectinload(Case.pauses),
                )
                .where(Case.body_id == staff_body().id, Case.number == canonical)
            )
            .first()
        )
    if case is None:
        abort(404)
    return case


def deadline_of(session: Session, case: Case, on: date) -> Due | None:
    """What falls due next and the days left, as its period counts them (None once closed)."""
    if not case.is_open:
        return None
    due_on = next_deadline(case)[1]
    return due_of(case, on, work_calendar(session, min(on, due_on), until=max(on, due_on)))


def map_link(case: Case) -> str | None:
    """Amap's marker page for the resident's location (WeChat sends GCJ-02, as Amap uses)."""
    if case.latitude is None or case.longitude is None:
        return None
    query = {
        "position": f"{case.longitude:.6f},{case.latitude:.6f}",
        "name": case.place or case.number,
        "coordinate": "gaode",
        "callnative": "0",
    }
    return f"{AMAP_MARKER}?{urlencode(query)}"


def case_trail(session: Session, case: Case) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == "case", AuditEntry.target_id == case.number)
            .order_by(AuditEntry.id)
        )
    )


def handling_members(session: Session, body_id: int) -> list[Staff]:
    """Who a body's case may be assigned to: its active members who handle cases there."""
    members = session.scalars(
        select(Staff)
        .join(StaffMembership)
        .where(StaffMembership.body_id == body_id, Staff.active.is_(True))
        .order_by(Staff.display_name)
    )
    return [member for member in members if member.can("cases.handle", body_id)]


def render_case(
    case: Case,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    revealed: str | None = None,
    late_correction: bool = False,
) -> ResponseReturnValue:
    """The page; ``errors`` (form → why) keep what was typed in the form that failed."""
    session = get_session()
    staff: Staff = g.staff
    on = clock.today()
    show_identity = access.identity_visible(staff, case)
    contact = None
    seal_problem = None
    if show_identity:
        try:
            contact = access.contact_of(case, revealed=revealed is not None)
        except SealError:
            seal_problem = SEAL_PROBLEM
            contact = access.contact_of(case, revealed=False)
    return render_template(
        "admin/cases/case.html",
        case=case,
        kind_label=KIND_LABELS[case.kind],
        status_label=STATUS_LABELS.get(case.status, case.status),
        deadline=deadline_of(session, case, on),
        step_labels=STEP_LABELS,
        show_identity=show_identity,
        may_reveal=access.contact_visible(staff, case)
        and (contact is not None and not contact.revealed),
        contact=contact,
        seal_problem=seal_problem,
        map_link=map_link(case),
        photos=case.attachments,
        stored=STORED,
        media_problem=lambda attachment: media.problem(
            attachment, api_configured=api_enabled(case.account), now=clock.now()
        ),
        delivery_labels=replies.STATE_LABELS,
        undelivered=[r for r in case.replies if r.delivery in (replies.WAITING, replies.RETRY)],
        can_push=api_enabled(case.account),
        outcome_label=outcome_label(case.outcome),
        choice_groups=[
            (group, list(members))
            for group, members in groupby(handling.closing_choices(case), lambda o: o.group)
        ],
        handlers=(
            handling_members(session, case.body_id)
            if staff.can("cases.handle", case.body_id)
            else []
        ),
        may_assign=access.may_assign(staff, case),
        pending_extension=handling.pending_extension(case),
        extension_days=handling.extension_days(case),
        extension_permission=handling.extension_permission(case),
        approver_title=approver_title(case),
        extended=any(e.approved for e in case.extensions),
        trail=case_trail(session, case),
        action_label=audit.action_label,
        detail_phrases=detail_phrases,
        errors=errors or {},
        form=request.form if errors else {},
        today=on,
        correction_days=handling.CORRECTION_DAYS,
        awaiting_correction=case.status == AWAITING_CORRECTION,
        days_text=lambda days: texts.days_text(days, case),
        period_days=texts.period_days(case),
        accept_days=COMPLAINT_ACCEPT_DAYS,
        undecided_complaint=case.awaiting_acceptance,
        reconsideration_body=session.get_one(Body, case.body_id).reconsideration_body,
        formal_reply=has_formal_reply(case),
        late_correction=late_correction,
        running_pauses=handling.running_pauses(case),
        fee_sent=any(p.kind == FEE for p in case.pauses),
        filed_that_day=(
            filed_that_day(session, case.resident, case.received_on) if case.over_daily_limit else 0
        ),
        daily_limit=current_app.config["CASE_DAILY_LIMIT"],
    ), status


@bp.get("/cases/<number>")
@permission_required("cases.view")
def case_page(number: str) -> ResponseReturnValue:
    return render_case(find_case(number))


@bp.get("/cases/<number>/photos/<int:attachment_id>")
@permission_required("cases.view")
def case_photo(number: str, attachment_id: int) -> ResponseReturnValue:
    """A resident's photo from the media folder, for console members only."""
    case = find_case(number)
    photo = get_session().get(Attachment, attachment_id)
    if photo is None or photo.case_id != case.id or photo.fetch_state != STORED:
        abort(404)
    folder = media.media_dir(current_app).resolve()
    path = (folder / (photo.stored_file or "")).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        abort(404)
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not kind.startswith("image/"):
        kind = "application/octet-stream"
    response = send_file(Path(path), mimetype=kind)
    response.headers["Cache-Control"] = "no-store"  # a resident's photo: never kept by the browser
    return response


@bp.post("/cases/<number>/reveal")
@permission_required("cases.view")
def case_reveal(number: str) -> ResponseReturnValue:
    """显示: the full contact details, once, on this page; written to the audit log."""
    case = find_case(number)
    try:
        action = access.reveal(g.staff, case)
    except access.RevealRefused as refused:
        raise PermissionDenied(refused.permission) from None
    get_session().commit()
    return render_case(case, revealed=action)
