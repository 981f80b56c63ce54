"""The case page's forms as one table: each action's URL, who may post it, the domain call, the message.

Every action posts to ``/admin/cases/<number>/<rule>`` (endpoint
``admin.case_<name>``) and runs the same way: the case is found (404), the
permission checked (403), and the ``bot.cases.handling`` function called with
what the form holds. A refusal (``HandlingError``) shows the page again with its
sentence beside the form (422) and nothing saved. Otherwise the change and the
audit entry the domain wrote are committed together, the replies waiting for the
resident are delivered (``bot.cases.replies``), and the message is shown on the
case's page. Adding an action is a row of ``ACTIONS`` (and its form in the template).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.cases.labels import approver_title, outcome_label
from bot.admin.cases.page import find_case, render_case
from bot.admin.console import PermissionDenied, bp
from bot.cases import handling, replies
from bot.cases.handling import HandlingError
from bot.cases.texts import due_text
from bot.db import get_session
from bot.models.cases import Case, CaseExtension, CasePause, CaseRating
from bot.models.staff import Staff
from bot.urls import whole_number
from bot.wechat.api import enabled as api_enabled

DELIVERY_FLASH = {
    replies.PUSHED: "已通过客服消息推送给居民。",
    replies.RETRY: "推送失败，系统会自动重试（也可以在下方点“重新推送”）。",
}


@dataclass(frozen=True)
class Posted:
    """One action posted to a case: the case, who posted it and when, and the form's fields."""

    case: Case
    staff: Staff
    now: datetime
    session: Session
    #: The other parts of the URL: ``pause_id``, ``extension_id``.
    ids: Mapping[str, int]

    def text(self, name: str) -> str:
        return request.form.get(name, "")

    def whole(self, name: str) -> int:
        return request.form.get(name, type=int) or 0

    def day(self, name: str, what: str) -> date:
        try:
            return date.fromisoformat(self.text(name))
        except ValueError:
            raise HandlingError(f"请填写{what}。") from None

    def assignee(self) -> Staff:
        chosen = self.session.get(Staff, request.form.get("staff_id", type=whole_number) or 0)
        if chosen is None:
            raise HandlingError("请选择承办人。")
        return chosen

    def pause(self) -> CasePause:
        """The case's consultation or fee notice named in the URL (another case's: 404)."""
        pause = self.session.get(CasePause, self.ids["pause_id"])
        if pause is None or pause.case_id != self.case.id:
            abort(404)
        return pause

    def extension(self) -> CaseExtension:
        """The case's extension request named in the URL (another case's: 404)."""
        extension = self.session.get(CaseExtension, self.ids["extension_id"])
        if extension is None or extension.case_id != self.case.id:
            abort(404)
        return extension

    def rating(self) -> CaseRating:
        if self.case.rating is None:
            raise HandlingError("这件事还没有评价。")
        return self.case.rating

    def due(self) -> str:
        """The case's deadline as the message shows it, once the action changed it."""
        return due_text(self.case.due_on, self.case.due_provisional)


@dataclass(frozen=True)
class Action:
    """A form of the case page: what the domain does with it and what staff then read."""

    #: The endpoint is ``admin.case_<name>``.
    name: str
    #: The domain call; its result is handed to ``done`` and ``deliver``.
    call: Callable[[Posted], Any]
    #: The message shown after it is done.
    done: str | Callable[[Posted, Any], str]
    #: Whether it left a reply for the resident to deliver now.
    deliver: bool | Callable[[Any], bool] = False
    #: The form beside which the page shows a refusal (the name by default).
    form: str = ""
    #: The URL after ``/cases/<number>/`` (the name by default).
    rule: str = ""
    #: Who may post it; a permission that depends on the case is checked once it is found.
    permission: str | Callable[[Case], str] = "cases.handle"


def _extension_requested(posted: Posted, extension: CaseExtension) -> str:
    if extension.approved:
        return f"延期已批准，新的期限：{posted.due()}，已告知居民。"
    return f"延期申请已提交，等待{approver_title(posted.case)}同意。"


def _transferred(_posted: Posted, complaint: Case) -> str:
    message = (
        f"已转为投诉办理，新编号{complaint.number}；本申请按“不予处理：信访举报投诉类申请”办结。"
    )
    if complaint.assignment is None:
        message += "投诉件由审核人分派承办人。"
    return message


ACTIONS: tuple[Action, ...] = (
    Action(
        "assign",
        lambda p: handling.assign(p.case, p.staff, p.assignee(), p.now),
        lambda p, _: f"已分派给{p.assignee().display_name}。",
    ),
    Action(
        "note",
        lambda p: handling.add_note(p.case, p.staff, p.text("body"), p.now),
        "备注已保存（仅工作人员可见）。",
    ),
    Action(
        "reply",
        lambda p: handling.reply(p.case, p.staff, p.text("body"), p.now),
        "答复已保存。",
        deliver=True,
    ),
    Action(
        "correction",
        lambda p: handling.request_correction(
            p.session,
            p.case,
            p.staff,
            p.text("items"),
            p.now,
            p.whole("days"),
            confirm_late=p.text("confirm_late") == "1",
        ),
        "补正通知已保存，答复期限中止。",
        deliver=True,
    ),
    Action(
        "supplement",
        lambda p: handling.record_correction(
            p.session,
            p.case,
            p.text("text"),
            p.day("received_on", "收到补正材料的日期"),
            p.now,
            actor=p.staff,
        ),
        lambda p, _: f"补正材料已登记，答复期限重新计算：{p.due()}。",
    ),
    Action(
        "consultation",
        lambda p: handling.start_consultation(
            p.session,
            p.case,
            p.staff,
            p.text("party"),
            p.day("sent_on", "发出征求意见的日期"),
            p.now,
        ),
        "已登记征求意见：收到意见前答复期限暂停计算（最长15个工作日）。",
    ),
    Action(
        "consultation_answer",
        lambda p: handling.end_consultation(
            p.session, p.pause(), p.staff, p.day("answered_on", "收到意见的日期"), p.now
        ),
        lambda p, _: f"已登记收到意见，答复期限恢复计算：{p.due()}。",
        deliver=True,
        form="consultation",
        rule="pauses/<int:pause_id>/answer",
    ),
    Action(
        "fee_notice",
        lambda p: handling.send_fee_notice(
            p.session, p.case, p.staff, p.text("amount"), p.text("basis"), p.now
        ),
        "收费通知已发出，缴费前答复期限暂停计算。",
        deliver=True,
        form="fee",
        rule="fee",
    ),
    Action(
        "fee_payment",
        lambda p: handling.record_payment(
            p.session, p.pause(), p.staff, p.day("paid_on", "缴费日期"), p.text("amount"), p.now
        ),
        lambda p, _: f"已登记缴费，答复期限恢复计算：{p.due()}。",
        deliver=True,
        form="fee",
        rule="pauses/<int:pause_id>/payment",
    ),
    Action(
        "extension",
        lambda p: handling.request_extension(p.session, p.case, p.staff, p.text("reason"), p.now),
        _extension_requested,
        deliver=lambda extension: bool(extension.approved),
    ),
    Action(
        "extension_decision",
        lambda p: handling.decide_extension(
            p.session,
            p.extension(),
            p.staff,
            approve=p.text("decision") == "approve",
            note=p.text("note"),
            now=p.now,
        ),
        lambda p, told: (
            f"已批准延期，新的期限：{p.due()}，已告知居民。" if told else "已不批准延期。"
        ),
        deliver=lambda told: told is not None,
        form="extension",
        rule="extensions/<int:extension_id>",
        permission=handling.extension_permission,
    ),
    Action(
        "accept",
        lambda p: handling.accept_complaint(p.session, p.case, p.staff, p.text("message"), p.now),
        lambda p, _: f"已受理，办结期限：{p.due()}，已告知居民。",
        deliver=True,
    ),
    Action(
        "decline",
        lambda p: handling.decline_complaint(p.case, p.staff, p.text("reason"), p.now),
        "已决定不予受理，已告知居民。",
        deliver=True,
        form="accept",
    ),
    Action(
        "close",
        lambda p: handling.close(
            p.session,
            p.case,
            p.staff,
            p.text("outcome"),
            p.text("body"),
            p.text("reason"),
            p.now,
        ),
        lambda p, _: f"已办结（{outcome_label(p.case.outcome)}）。",
        deliver=True,
    ),
    Action(
        "transfer",
        lambda p: handling.transfer_to_complaint(
            p.session, p.case, p.staff, p.text("reason"), p.now
        ),
        _transferred,
        deliver=True,
    ),
    # Try again now to push the replies the resident has not received.
    Action("push", lambda p: None, "", deliver=True),
    Action(
        "callback",
        lambda p: handling.record_callback(p.rating(), p.staff, p.text("note"), p.now),
        "回访已记录。",
    ),
)


def _post(action: Action, number: str, ids: Mapping[str, int]) -> ResponseReturnValue:
    case = find_case(number)
    if callable(action.permission):
        needed = action.permission(case)
        if not g.staff.can(needed, case.body_id):
            raise PermissionDenied(needed)
    session = get_session()
    posted = Posted(case, g.staff, clock.now(), session, ids)
    try:
        result = action.call(posted)
    except HandlingError as error:
        session.rollback()
        return render_case(
            find_case(number),
            status=422,
            errors={action.form or action.name: str(error)},
            late_correction=isinstance(error, handling.LateCorrection),
        )
    message = action.done if isinstance(action.done, str) else action.done(posted, result)
    deliver = action.deliver if isinstance(action.deliver, bool) else action.deliver(result)
    return _done(case, message, deliver=deliver)


def _done(case: Case, message: str, *, deliver: bool) -> ResponseReturnValue:
    """Commit, deliver what is waiting for the resident, and go back to the case."""
    session = get_session()
    session.commit()
    if deliver:
        report = replies.deliver_pending(session, case.resident)
        message = " ".join(part for part in (message, _delivery_message(case, report)) if part)
    flash(message, "info")
    return redirect(url_for("admin.case_page", number=case.number))


def _delivery_message(case: Case, report: replies.Report) -> str:
    if report.failed:
        return DELIVERY_FLASH[replies.RETRY]
    if report.pushed:
        return DELIVERY_FLASH[replies.PUSHED]
    if report.notified:
        return "居民超过48小时没有发消息，已发送订阅消息提醒；居民发送“进度”即可查看答复。"
    if not api_enabled(case.account):
        return "本系统未配置微信接口，不能推送：答复等居民发送“进度”时送达。"
    return "居民超过48小时没有发消息：答复等居民发送“进度”时送达，居民再发消息后也会自动推送。"


def _view(action: Action) -> Callable[..., ResponseReturnValue]:
    # A permission that depends on the case is checked once it is found (a missing case: 404).
    required = action.permission if isinstance(action.permission, str) else "cases.view"

    @permission_required(required)
    def post(number: str, **ids: int) -> ResponseReturnValue:
        return _post(action, number, ids)

    return post


for _action in ACTIONS:
    bp.add_url_rule(
        f"/cases/<number>/{_action.rule or _action.name}",
        f"case_{_action.name}",
        _view(_action),
        methods=["POST"],
    )
