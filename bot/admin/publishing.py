"""What the console's items and reports pages share: the review panel and its actions.

``review_panel`` tells a page where a subject stands, its history and which
actions the member may take; ``take_step`` carries out one action posted from
the panel (review, publish, withdraw, resubmit): ``bot.content.review`` applies
the rule and writes the record and the audit entry, this module reads the form,
commits and says what happened. ``RequestEntityTooLarge`` from an upload over
``MAX_CONTENT_LENGTH`` becomes a console page that says how big a file may be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, flash, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length, ValidationError

from bot.admin.console import PermissionDenied, bp, may
from bot.content import review
from bot.content.catalogue import FieldProblem
from bot.content.review import Reviewable, ReviewRefused, Stage, Standing
from bot.db import get_session
from bot.models.content import ReviewAction, ReviewDecision, ReviewRecord, ReviewStep
from bot.models.staff import Staff

#: Labels of the history's lines.
ACTION_LABELS = {
    ReviewAction.CREATE: "起草",
    ReviewAction.EDIT: "修改",
    ReviewAction.IMPORT: "导入",
    ReviewAction.RESUBMIT: "重新提交审查",
    ReviewAction.PUBLISH: "发布",
    ReviewAction.WITHDRAW: "撤回",
}
STAGE_CLASSES = {
    Stage.AWAITING_PRE: "waiting",
    Stage.AWAITING_SECRECY: "waiting",
    Stage.RETURNED: "returned",
    Stage.WITHDRAWN: "returned",
    Stage.REVIEWED: "reviewed",
    Stage.PUBLISHED: "published",
}


NO_DECISION = "请选择审查结论：“通过”或“不通过，退回修改”。写好的意见还在，选好后再提交。"


class ReviewForm(FlaskForm):
    step = HiddenField()
    revision = HiddenField()
    #: Nothing is chosen beforehand: the reviewer decides (and is told so when they did not).
    decision = RadioField(
        "审查结论",
        choices=[SelectChoice(d.value, d.label) for d in ReviewDecision],
        invalid_choice_message=NO_DECISION,
        render_kw={"required": True},
    )
    comment = TextAreaField(
        "审查意见",
        validators=[Length(max=review.MAX_COMMENT, message="意见最多 500 字。")],
        description="通过时可不填；退回时必须写明原因，起草人会看到。",
    )


class ReasonForm(FlaskForm):
    revision = HiddenField()
    reason = TextAreaField(
        "撤回原因", validators=[Length(max=review.MAX_COMMENT, message="原因最多 500 字。")]
    )


@dataclass(frozen=True)
class HistoryLine:
    record: ReviewRecord

    @property
    def what(self) -> str:
        record = self.record
        if record.action == ReviewAction.REVIEW:
            step = ReviewStep(record.step).label if record.step else "审查"
            decision = ReviewDecision(record.decision).label if record.decision else ""
            return f"{step}：{decision}"
        return ACTION_LABELS[ReviewAction(record.action)]

    @property
    def who(self) -> str:
        staff = self.record.staff
        return f"{staff.display_name}（{staff.username}）" if staff else "命令行"

    @property
    def rejected(self) -> bool:
        return self.record.decision == ReviewDecision.REJECT


@dataclass(frozen=True)
class ReviewPanel:
    standing: Standing
    revision: int
    history: list[HistoryLine]
    #: Why this member may not review now (None: the review form is shown).
    review_refusal: str | None
    step: ReviewStep | None
    may_publish: bool
    may_withdraw: bool
    may_resubmit: bool
    review_form: ReviewForm
    reason_form: ReasonForm

    @property
    def stage_class(self) -> str:
        return STAGE_CLASSES[self.standing.stage]


def review_panel(
    subject: Reviewable, records: list[ReviewRecord], kept: ReviewForm | ReasonForm | None = None
) -> ReviewPanel:
    """``kept``: a form posted and not taken (``take_step``), shown again as it was filled in."""
    staff: Staff = g.staff
    current = review.standing(subject, records)
    step = current.stage.step
    refusal = review.review_refusal(subject, records, staff, step) if step else None
    return ReviewPanel(
        standing=current,
        revision=subject.revision,
        history=[HistoryLine(record) for record in reversed(records)],
        review_refusal=refusal,
        step=step,
        may_publish=current.stage == Stage.REVIEWED and staff.can("items.publish", subject.body_id),
        may_withdraw=current.stage == Stage.PUBLISHED
        and staff.can("items.publish", subject.body_id),
        may_resubmit=current.stage in (Stage.RETURNED, Stage.WITHDRAWN),
        review_form=kept
        if isinstance(kept, ReviewForm)
        else ReviewForm(formdata=None, step=step.value if step else "", revision=subject.revision),
        reason_form=kept
        if isinstance(kept, ReasonForm)
        else ReasonForm(formdata=None, revision=subject.revision),
    )


STALE = "内容刚被他人修改或处理过，操作没有执行。请查看最新内容后再试。"


#: The review panel's buttons: what each does, and the permission it needs.
PANEL_STEPS: dict[str, tuple[ReviewAction, str]] = {
    "review": (ReviewAction.REVIEW, "items.review"),
    "publish": (ReviewAction.PUBLISH, "items.publish"),
    "withdraw": (ReviewAction.WITHDRAW, "items.publish"),
    "resubmit": (ReviewAction.RESUBMIT, "items.edit"),
}
#: The URL part naming a panel button, e.g. ``/items/<id>/<any(review, …):step>``.
PANEL_STEP_RULE = f"<any({', '.join(PANEL_STEPS)}):step>"


def panel_action(step: str) -> ReviewAction:
    """The action of a panel button, if the member's role allows it (else a 403 page)."""
    action, permission = PANEL_STEPS[step]
    if not may(permission):
        raise PermissionDenied(permission)
    return action


#: What staff read after a panel step other than a review.
PANEL_MESSAGES = {
    ReviewAction.PUBLISH: "已发布：居民现在可以在微信和公开目录中看到。",
    ReviewAction.WITHDRAW: "已撤回：居民不再能看到。重新提交审查并发布后才会再次公开。",
    ReviewAction.RESUBMIT: "已重新提交，等待审核人预先审查。",
}


def take_step(subject: Reviewable, action: ReviewAction) -> ReviewForm | ReasonForm | None:
    """Carry out ``action`` posted from the review panel; flash what happened. A review or a
    withdrawal that was not taken (no decision chosen, a rejection without its reason…) gives
    back its form as posted, for the page to show again with nothing typed lost."""
    session = get_session()
    if request.form.get("revision", type=int) != subject.revision:
        flash(STALE, "warning")
        return None
    posted: ReviewForm | ReasonForm | None = None
    try:
        if action == ReviewAction.REVIEW:
            posted = form = ReviewForm()
            if not form.validate():
                flash(form_errors(form), "warning")
                return form
            try:
                step = ReviewStep(form.step.data)
                decision = ReviewDecision(form.decision.data)
            except ValueError:
                flash(STALE, "warning")
                return None
            review.take_step(
                session,
                subject,
                g.staff,
                action,
                step=step,
                decision=decision,
                comment=form.comment.data,
            )
            message = _review_message(step, decision)
        else:
            if action == ReviewAction.WITHDRAW:
                posted = ReasonForm()
            comment = posted.reason.data if isinstance(posted, ReasonForm) else None
            review.take_step(session, subject, g.staff, action, comment=comment)
            message = PANEL_MESSAGES[action]
    except ReviewRefused as refused:
        session.rollback()
        flash(str(refused), "warning")
        return posted
    session.commit()
    flash(message, "info")
    return None


def form_errors(form: FlaskForm) -> str:
    """Every error of ``form`` in one line (a form shown as a small panel, not a page)."""
    return "；".join(message for messages in form.errors.values() for message in messages)


def _review_message(step: ReviewStep, decision: ReviewDecision) -> str:
    if decision == ReviewDecision.REJECT:
        return f"{step.label}未通过，已退回起草人修改。"
    if step == ReviewStep.PRE:
        return "预先审查已通过，下一步：保密审查。"
    return "保密审查已通过，可以发布了。"


def catalogue_rule(parse: Callable[[str], object]) -> Callable[[FlaskForm, Field], None]:
    """A form validator from a catalogue rule (``parse_date``…) that raises ``FieldProblem``."""

    def validate(_form: FlaskForm, field: Field) -> None:
        if not field.data:
            return
        try:
            parse(field.data)
        except FieldProblem as problem:
            raise ValidationError(problem.chinese) from None

    return validate


def upload_limit() -> str:
    """The largest upload (``MAX_CONTENT_LENGTH``) as staff read it: ``20 MB``."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"] or 0)
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit // 1024} KB"


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    return render_template(
        "admin/error.html",
        title="文件太大",
        message=f"上传的文件超过 {upload_limit()}，没有保存。请压缩或拆分后再上传。",
    ), 413
