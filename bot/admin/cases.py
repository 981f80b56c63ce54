"""Console pages for applications and complaints: the inbox, a case, handling it, call-backs.

- ``/admin/cases``: open cases overdue first, then due soonest
  (``bot.cases.inbox``: filtered, ordered and paged in the database); closed cases by filter.
- ``/admin/cases/<number>``: the resident's whole submission, photos through an
  access-checked route (never WeChat's public URL), the location with a map link,
  deadlines, replies and how each reached the resident, notes, corrections,
  extensions, the rating, and this case's audit trail; the forms that handle it.
- ``/admin/callbacks``: cases rated 不满意/很不满意, waiting for a call-back.

Who sees whom is decided by ``bot.cases.access`` (contact details masked until 显示,
a complainant only for approvers and the handler an approver assigned; each reveal
logged). Every action goes through ``bot.cases.handling``, which writes the audit
log; replies are delivered after the commit (``bot.cases.replies``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.console import PermissionDenied, bp
from bot.cases import access, handling, inbox, replies
from bot.cases.calendar import missing_next_year, work_calendar
from bot.cases.digest import next_deadline, working_days_between
from bot.cases.formal import has_formal_reply
from bot.cases.handling import HandlingError
from bot.cases.intake import filed_that_day
from bot.cases.media import media_dir
from bot.cases.numbers import read_number
from bot.cases.outcomes import outcome
from bot.cases.privacy import SealError
from bot.cases.texts import due_text
from bot.db import get_session
from bot.models import Office
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    COMPLAINT,
    FEE,
    POOR_RATINGS,
    STATUS_LABELS,
    STORED,
    Attachment,
    Case,
    CaseExtension,
    CasePause,
    CaseRating,
)
from bot.models.staff import AuditEntry, Staff
from bot.staff import audit
from bot.urls import whole_number
from bot.wechat.api import EXTENSION as WECHAT_CLIENT

KIND_LABELS = {APPLICATION: "依申请公开", COMPLAINT: "投诉举报"}
STEP_LABELS = {
    "accept": "决定是否受理",
    "conclude": "办结",
    "correction": "申请人补正",
    "consultation": "收回征求的意见",
    "fee": "申请人缴费",
}
DELIVERY_FLASH = {
    replies.PUSHED: "已通过客服消息推送给居民。",
    replies.RETRY: "推送失败，系统会自动重试（也可以在下方点“重新推送”）。",
}
AMAP_MARKER = "https://uri.amap.com/marker"


# ---- the inbox ----


@bp.get("/cases")
@permission_required("cases.view")
def cases_inbox() -> ResponseReturnValue:
    session = get_session()
    filters = inbox.Filters.from_args(request.args)
    on = clock.today()
    found = inbox.page(session, filters, g.staff.id, on, request.args.get("page", 1, type=int))
    return render_template(
        "admin/cases/inbox.html",
        rows=found.rows,
        total=found.total,
        overdue=found.overdue,
        page=found.number,
        pages=found.pages,
        filters=filters,
        assignees={row.case.id: row.case.assignee for row in found.rows if row.case.assignee},
        page_url=lambda n: url_for("admin.cases_inbox", **filters.args(page=n)),
        status_filters=inbox.STATUS_FILTERS,
        kind_labels=KIND_LABELS,
        categories=inbox.CATEGORIES,
        status_labels=STATUS_LABELS,
        step_labels=STEP_LABELS,
        outcome_label=_outcome_label,
        today=on,
        missing_year=missing_next_year(session, on),
    )


def _outcome_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return outcome(code).label
    except KeyError:
        return code


# ---- one case ----


def find_case(number: str) -> Case:
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
                .where(Case.number == canonical)
            )
            .first()
        )
    if case is None:
        abort(404)
    return case


@dataclass(frozen=True)
class Deadline:
    step: str
    due_on: date
    provisional: bool
    working_days_left: int

    @property
    def overdue(self) -> bool:
        return self.working_days_left < 0


def deadline_of(session: Session, case: Case, on: date) -> Deadline | None:
    if not case.is_open:
        return None
    step, due_on, provisional = next_deadline(case)
    calendar = work_calendar(session, min(on, due_on), until=max(on, due_on))
    return Deadline(step, due_on, provisional, working_days_between(on, due_on, calendar))


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


def handlers(session: Session) -> list[Staff]:
    members = session.scalars(
        select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name)
    )
    return [member for member in members if member.can("cases.handle")]


def render_case(
    case: Case,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    revealed: str | None = None,
    late_correction: bool = False,
) -> ResponseReturnValue:
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
            seal_problem = "加密的联系方式无法解开：服务器的数据密钥（SUNSHINE_DATA_KEY）不对。"
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
        delivery_labels=replies.STATE_LABELS,
        undelivered=[r for r in case.replies if r.delivery in (replies.WAITING, replies.RETRY)],
        can_push=current_app.extensions[WECHAT_CLIENT] is not None,
        outcome_label=_outcome_label(case.outcome),
        choice_groups=[
            (group, list(members))
            for group, members in groupby(handling.closing_choices(case), lambda o: o.group)
        ],
        handlers=handlers(session) if staff.can("cases.handle") else [],
        may_assign=access.may_assign(staff, case),
        pending_extension=handling.pending_extension(case),
        extension_days=handling.extension_days(case),
        extension_permission=handling.extension_permission(case),
        approver_title=_approver_title(case),
        extended=any(e.approved for e in case.extensions),
        trail=case_trail(session, case),
        action_label=audit.action_label,
        detail_items=audit.detail_items,
        errors=errors or {},
        form=request.form if errors else {},
        today=on,
        correction_days=handling.CORRECTION_DAYS,
        awaiting_correction=case.status == AWAITING_CORRECTION,
        undecided_complaint=case.awaiting_acceptance,
        reconsideration_body=session.scalar(select(Office.reconsideration_body).limit(1)),
        formal_reply=has_formal_reply(case),
        late_correction=late_correction,
        running_pauses=handling.running_pauses(case),
        fee_sent=any(p.kind == FEE for p in case.pauses),
        filed_that_day=(
            filed_that_day(session, case.openid, case.received_on) if case.over_daily_limit else 0
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
    folder = media_dir(current_app).resolve()
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


# ---- handling ----


def _done(case: Case, message: str, *, deliver: bool = False) -> ResponseReturnValue:
    """Commit, deliver what is waiting for the resident, and go back to the case."""
    session = get_session()
    session.commit()
    if deliver:
        report = replies.deliver_pending(session, case.openid)
        message += " " + _delivery_message(report)
    flash(message, "info")
    return redirect(url_for("admin.case_page", number=case.number))


def _delivery_message(report: replies.Report) -> str:
    if report.failed:
        return DELIVERY_FLASH[replies.RETRY]
    if report.pushed:
        return DELIVERY_FLASH[replies.PUSHED]
    if report.notified:
        return "居民超过48小时没有发消息，已发送订阅消息提醒；居民发送“进度”即可查看答复。"
    if current_app.extensions[WECHAT_CLIENT] is None:
        return "本系统未配置微信接口，不能推送：答复等居民发送“进度”时送达。"
    return "居民超过48小时没有发消息：答复等居民发送“进度”时送达，居民再发消息后也会自动推送。"


def _approver_title(case: Case) -> str:
    return "政府信息公开工作机构负责人" if case.kind == APPLICATION else "机关负责人（审核人）"


def _refused(case: Case, form: str, error: HandlingError) -> ResponseReturnValue:
    get_session().rollback()
    return render_case(find_case(case.number), status=422, errors={form: str(error)})


def _form(name: str) -> str:
    return request.form.get(name, "")


@bp.post("/cases/<number>/assign")
@permission_required("cases.handle")
def case_assign(number: str) -> ResponseReturnValue:
    case = find_case(number)
    assignee = get_session().get(Staff, request.form.get("staff_id", type=whole_number) or 0)
    try:
        if assignee is None:
            raise HandlingError("请选择承办人。")
        handling.assign(case, g.staff, assignee, clock.now())
    except HandlingError as error:
        return _refused(case, "assign", error)
    return _done(case, f"已分派给{assignee.display_name}。")


@bp.post("/cases/<number>/note")
@permission_required("cases.handle")
def case_note(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.add_note(case, g.staff, _form("body"), clock.now())
    except HandlingError as error:
        return _refused(case, "note", error)
    return _done(case, "备注已保存（仅工作人员可见）。")


@bp.post("/cases/<number>/reply")
@permission_required("cases.handle")
def case_reply(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.reply(case, g.staff, _form("body"), clock.now())
    except HandlingError as error:
        return _refused(case, "reply", error)
    return _done(case, "答复已保存。", deliver=True)


@bp.post("/cases/<number>/correction")
@permission_required("cases.handle")
def case_correction(number: str) -> ResponseReturnValue:
    case = find_case(number)
    days = request.form.get("days", type=int) or 0
    try:
        handling.request_correction(
            get_session(),
            case,
            g.staff,
            _form("items"),
            clock.now(),
            days,
            confirm_late=_form("confirm_late") == "1",
        )
    except handling.LateCorrection as warning:
        get_session().rollback()
        return render_case(
            find_case(number),
            status=422,
            errors={"correction": str(warning)},
            late_correction=True,
        )
    except HandlingError as error:
        return _refused(case, "correction", error)
    return _done(case, "补正通知已保存，答复期限中止。", deliver=True)


def _pause_of(case: Case, pause_id: int) -> CasePause:
    pause = get_session().get(CasePause, pause_id)
    if pause is None or pause.case_id != case.id:
        abort(404)
    return pause


@bp.post("/cases/<number>/consultation")
@permission_required("cases.handle")
def case_consultation(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        sent_on = _day("sent_on", "发出征求意见的日期")
        handling.start_consultation(
            get_session(), case, g.staff, _form("party"), sent_on, clock.now()
        )
    except HandlingError as error:
        return _refused(case, "consultation", error)
    return _done(case, "已登记征求意见：收到意见前答复期限暂停计算（最长15个工作日）。")


@bp.post("/cases/<number>/pauses/<int:pause_id>/answer")
@permission_required("cases.handle")
def case_consultation_answer(number: str, pause_id: int) -> ResponseReturnValue:
    case = find_case(number)
    pause = _pause_of(case, pause_id)
    try:
        answered_on = _day("answered_on", "收到意见的日期")
        handling.end_consultation(get_session(), pause, g.staff, answered_on, clock.now())
    except HandlingError as error:
        return _refused(case, "consultation", error)
    due = due_text(case.due_on, case.due_provisional)
    return _done(case, f"已登记收到意见，答复期限恢复计算：{due}。", deliver=True)


@bp.post("/cases/<number>/fee")
@permission_required("cases.handle")
def case_fee_notice(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.send_fee_notice(
            get_session(), case, g.staff, _form("amount"), _form("basis"), clock.now()
        )
    except HandlingError as error:
        return _refused(case, "fee", error)
    return _done(case, "收费通知已发出，缴费前答复期限暂停计算。", deliver=True)


@bp.post("/cases/<number>/pauses/<int:pause_id>/payment")
@permission_required("cases.handle")
def case_fee_payment(number: str, pause_id: int) -> ResponseReturnValue:
    case = find_case(number)
    pause = _pause_of(case, pause_id)
    try:
        paid_on = _day("paid_on", "缴费日期")
        handling.record_payment(
            get_session(), pause, g.staff, paid_on, _form("amount"), clock.now()
        )
    except HandlingError as error:
        return _refused(case, "fee", error)
    due = due_text(case.due_on, case.due_provisional)
    return _done(case, f"已登记缴费，答复期限恢复计算：{due}。", deliver=True)


def _day(name: str, what: str) -> date:
    try:
        return date.fromisoformat(_form(name))
    except ValueError:
        raise HandlingError(f"请填写{what}。") from None


@bp.post("/cases/<number>/supplement")
@permission_required("cases.handle")
def case_supplement(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        received = _day("received_on", "收到补正材料的日期")
        handling.record_correction(
            get_session(), case, _form("text"), received, clock.now(), actor=g.staff
        )
    except HandlingError as error:
        return _refused(case, "supplement", error)
    due = due_text(case.due_on, case.due_provisional)
    return _done(case, f"补正材料已登记，答复期限重新计算：{due}。")


@bp.post("/cases/<number>/extension")
@permission_required("cases.handle")
def case_extension(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        extension = handling.request_extension(
            get_session(), case, g.staff, _form("reason"), clock.now()
        )
    except HandlingError as error:
        return _refused(case, "extension", error)
    if extension.approved:
        due = due_text(case.due_on, case.due_provisional)
        return _done(case, f"延期已批准，新的期限：{due}，已告知居民。", deliver=True)
    return _done(case, f"延期申请已提交，等待{_approver_title(case)}同意。")


@bp.post("/cases/<number>/extensions/<int:extension_id>")
@permission_required("cases.view")
def case_extension_decision(number: str, extension_id: int) -> ResponseReturnValue:
    case = find_case(number)
    permission = handling.extension_permission(case)
    if not g.staff.can(permission):
        raise PermissionDenied(permission)
    extension = get_session().get(CaseExtension, extension_id)
    if extension is None or extension.case_id != case.id:
        abort(404)
    approve = _form("decision") == "approve"
    try:
        handling.decide_extension(
            get_session(), extension, g.staff, approve=approve, note=_form("note"), now=clock.now()
        )
    except HandlingError as error:
        return _refused(case, "extension", error)
    if approve:
        due = due_text(case.due_on, case.due_provisional)
        return _done(case, f"已批准延期，新的期限：{due}，已告知居民。", deliver=True)
    return _done(case, "已不批准延期。")


@bp.post("/cases/<number>/accept")
@permission_required("cases.handle")
def case_accept(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.accept_complaint(get_session(), case, g.staff, _form("message"), clock.now())
    except HandlingError as error:
        return _refused(case, "accept", error)
    due = due_text(case.due_on, case.due_provisional)
    return _done(case, f"已受理，办结期限：{due}，已告知居民。", deliver=True)


@bp.post("/cases/<number>/decline")
@permission_required("cases.handle")
def case_decline(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.decline_complaint(case, g.staff, _form("reason"), clock.now())
    except HandlingError as error:
        return _refused(case, "accept", error)
    return _done(case, "已决定不予受理，已告知居民。", deliver=True)


@bp.post("/cases/<number>/close")
@permission_required("cases.handle")
def case_close(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        handling.close(
            get_session(),
            case,
            g.staff,
            _form("outcome"),
            _form("body"),
            _form("reason"),
            clock.now(),
        )
    except HandlingError as error:
        return _refused(case, "close", error)
    return _done(case, f"已办结（{_outcome_label(case.outcome)}）。", deliver=True)


@bp.post("/cases/<number>/transfer")
@permission_required("cases.handle")
def case_transfer(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        complaint = handling.transfer_to_complaint(
            get_session(), case, g.staff, _form("reason"), clock.now()
        )
    except HandlingError as error:
        return _refused(case, "transfer", error)
    message = (
        f"已转为投诉办理，新编号{complaint.number}；本申请按“不予处理：信访举报投诉类申请”办结。"
    )
    if complaint.assignment is None:
        message += "投诉件由审核人分派承办人。"
    return _done(case, message, deliver=True)


@bp.post("/cases/<number>/push")
@permission_required("cases.handle")
def case_push(number: str) -> ResponseReturnValue:
    """Try again now to push the replies the resident has not received."""
    case = find_case(number)
    report = replies.deliver_pending(get_session(), case.openid)
    flash(_delivery_message(report), "info")
    return redirect(url_for("admin.case_page", number=case.number))


@bp.post("/cases/<number>/callback")
@permission_required("cases.handle")
def case_callback(number: str) -> ResponseReturnValue:
    case = find_case(number)
    try:
        if case.rating is None:
            raise HandlingError("这件事还没有评价。")
        handling.record_callback(case.rating, g.staff, _form("note"), clock.now())
    except HandlingError as error:
        return _refused(case, "callback", error)
    return _done(case, "回访已记录。")


# ---- call-backs ----


@bp.get("/callbacks")
@permission_required("cases.view")
def callbacks() -> ResponseReturnValue:
    """Poor ratings: those still to call back first, then the ones done."""
    ratings = get_session().scalars(
        select(CaseRating)
        .options(selectinload(CaseRating.case))
        .where(CaseRating.rating.in_(POOR_RATINGS))
        .order_by(CaseRating.called_back_at.is_not(None), CaseRating.rated_at.desc())
    )
    return render_template(
        "admin/cases/callbacks.html", ratings=list(ratings), kind_labels=KIND_LABELS
    )
