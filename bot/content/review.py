"""Review before publishing: the way of an item or a report to residents, as plain functions.

::

    written ─▶ 待预先审查 ─pass─▶ 待保密审查 ─pass─▶ 已审核 ─publish─▶ 已发布
                  │  ▲                │                               │
                reject│ resubmit     reject                        withdraw (reason)
                  ▼  │                ▼                               ▼
                 已退回 ◀──────────────┘                            已撤回 ─resubmit─▶ 待预先审查

- 预先审查 (whether, how and when to publish) comes before 保密审查 (nothing secret
  or otherwise protected in it). Each is decided by a member who may review
  (``items.review``) and did not write the subject: whoever created, edited or
  imported any version of it. The same reviewer may decide both steps.
- Each step records who, when, the decision and a comment; a rejection needs the
  reason, which the author reads on the page.
- Publishing and withdrawing need ``items.publish``; withdrawing needs a reason.
- Saving a change to the content makes a new ``revision`` and returns the subject
  to draft: the reviews were of the old text (a published item leaves the
  catalogue until the new text is reviewed and published).

``status`` on the subject is what residents see (only ``published``); where a draft
stands is read from its ``ReviewRecord``s of the current revision. The rules are
plain functions on objects in memory: they change the subject's
``status``/``revision`` and return the new record. The actions staff take
(``created``, ``edited``, ``take_step``) apply a rule, add its record to the
session and write the audit entry (``item.publish``, ``report.edit``…) with it;
the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.models.content import (
    ItemStatus,
    Report,
    ReviewAction,
    ReviewDecision,
    ReviewRecord,
    ReviewStep,
)
from bot.models.staff import Staff
from bot.staff import audit

AUTHORING = frozenset({ReviewAction.CREATE, ReviewAction.EDIT, ReviewAction.IMPORT})
#: Longest comment or reason kept (a paragraph, not a document).
MAX_COMMENT = 500


class Reviewable(Protocol):
    """An ``Item`` or a ``Report``."""

    review_subject: ClassVar[str]
    id: int
    body_id: int
    title: str
    status: str
    revision: int


class Stage(StrEnum):
    AWAITING_PRE = "awaiting_pre"
    AWAITING_SECRECY = "awaiting_secrecy"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REVIEWED = "reviewed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def step(self) -> ReviewStep | None:
        """The review step this stage waits for."""
        return {Stage.AWAITING_PRE: ReviewStep.PRE, Stage.AWAITING_SECRECY: ReviewStep.SECRECY}.get(
            self
        )


STAGE_LABELS = {
    Stage.AWAITING_PRE: "待预先审查",
    Stage.AWAITING_SECRECY: "待保密审查",
    Stage.RETURNED: "已退回",
    Stage.WITHDRAWN: "已撤回",
    Stage.REVIEWED: "已审核，待发布",
    Stage.PUBLISHED: "已发布",
}


class ReviewRefused(Exception):
    """The step is not allowed now or not for this member; the message says why (Chinese)."""


@dataclass(frozen=True)
class Standing:
    stage: Stage
    #: The rejection or withdrawal that put it there, with its reason (RETURNED, WITHDRAWN).
    because: ReviewRecord | None = None


def standing(subject: Reviewable, records: Iterable[ReviewRecord]) -> Standing:
    """Where ``subject`` stands, from its status and its records (oldest first)."""
    if subject.status == ItemStatus.PUBLISHED:
        return Standing(Stage.PUBLISHED)
    if subject.status == ItemStatus.REVIEWED:
        return Standing(Stage.REVIEWED)
    current = Standing(Stage.AWAITING_PRE)
    for record in records:
        if record.revision != subject.revision:
            continue
        if record.action in AUTHORING or record.action == ReviewAction.RESUBMIT:
            current = Standing(Stage.AWAITING_PRE)
        elif record.action == ReviewAction.WITHDRAW:
            current = Standing(Stage.WITHDRAWN, record)
        elif record.action == ReviewAction.REVIEW:
            if record.decision == ReviewDecision.REJECT:
                current = Standing(Stage.RETURNED, record)
            elif record.step == ReviewStep.PRE:
                current = Standing(Stage.AWAITING_SECRECY)
    return current


def authors(records: Iterable[ReviewRecord]) -> set[int]:
    """Ids of the members who created, edited or imported any version."""
    return {r.staff_id for r in records if r.action in AUTHORING and r.staff_id is not None}


def review_refusal(
    subject: Reviewable, records: Sequence[ReviewRecord], staff: Staff, step: ReviewStep
) -> str | None:
    """Why ``staff`` may not decide ``step`` now, or None when they may."""
    if not staff.can("items.review"):
        return "只有审核人可以审查。"
    if staff.id in authors(records):
        return "您起草或修改过这份内容，不能审查它，请另一位审核人审查。"
    stage = standing(subject, records).stage
    if stage.step is None:
        return f"现在是“{stage.label}”，不在审查中。"
    if stage.step != step:
        return f"现在应进行{stage.step.label}，不是{step.label}。"
    return None


def review(
    subject: Reviewable,
    records: Sequence[ReviewRecord],
    staff: Staff,
    step: ReviewStep,
    decision: ReviewDecision,
    comment: str | None,
    *,
    now: datetime | None = None,
) -> ReviewRecord:
    """Decide one review step; two passes make the subject reviewed, a rejection returns it."""
    refusal = review_refusal(subject, records, staff, step)
    if refusal:
        raise ReviewRefused(refusal)
    comment = _text(comment)
    if decision == ReviewDecision.REJECT and not comment:
        raise ReviewRefused("退回时请写明原因，起草人会看到它。")
    if step == ReviewStep.SECRECY and decision == ReviewDecision.PASS:
        subject.status = ItemStatus.REVIEWED
    return _record(
        subject, ReviewAction.REVIEW, staff, step=step, decision=decision, comment=comment, at=now
    )


def publish(
    subject: Reviewable,
    records: Sequence[ReviewRecord],
    staff: Staff,
    *,
    now: datetime | None = None,
) -> ReviewRecord:
    """Show a reviewed subject to residents."""
    if not staff.can("items.publish"):
        raise ReviewRefused("只有审核人可以发布。")
    stage = standing(subject, records).stage
    if stage != Stage.REVIEWED:
        raise ReviewRefused(f"现在是“{stage.label}”：预先审查和保密审查都通过后才能发布。")
    subject.status = ItemStatus.PUBLISHED
    return _record(subject, ReviewAction.PUBLISH, staff, at=now)


def withdraw(
    subject: Reviewable, staff: Staff, reason: str | None, *, now: datetime | None = None
) -> ReviewRecord:
    """Take a published subject away from residents; it must be reviewed again to return."""
    if not staff.can("items.publish"):
        raise ReviewRefused("只有审核人可以撤回。")
    if subject.status != ItemStatus.PUBLISHED:
        raise ReviewRefused("只有已发布的内容可以撤回。")
    reason = _text(reason)
    if not reason:
        raise ReviewRefused("撤回时请写明原因。")
    subject.status = ItemStatus.DRAFT
    return _record(subject, ReviewAction.WITHDRAW, staff, comment=reason, at=now)


def resubmit(
    subject: Reviewable,
    records: Sequence[ReviewRecord],
    staff: Staff,
    *,
    now: datetime | None = None,
) -> ReviewRecord:
    """Ask for review again without changing the text (after a rejection or a withdrawal)."""
    stage = standing(subject, records).stage
    if stage not in (Stage.RETURNED, Stage.WITHDRAWN):
        raise ReviewRefused(f"现在是“{stage.label}”，不需要重新提交。")
    return _record(subject, ReviewAction.RESUBMIT, staff, at=now)


def authored(
    subject: Reviewable,
    staff: Staff | None,
    action: ReviewAction,
    note: str | None = None,
    *,
    new: bool = False,
    now: datetime | None = None,
) -> ReviewRecord:
    """Record that ``staff`` wrote this version: a ``new`` subject (always so for ``CREATE``;
    an imported row may be new too), or a change to a saved one.

    A change starts a new revision; either way the subject is a draft. The subject
    must have its id (flush a new one first).
    """
    if action not in AUTHORING:
        raise ValueError(f"{action} is not an authoring action")
    if not new and action != ReviewAction.CREATE:
        subject.revision = (subject.revision or 1) + 1
    subject.status = ItemStatus.DRAFT
    return _record(subject, action, staff, comment=_text(note), at=now)


def _record(
    subject: Reviewable,
    action: ReviewAction,
    staff: Staff | None,
    *,
    step: ReviewStep | None = None,
    decision: ReviewDecision | None = None,
    comment: str | None = None,
    at: datetime | None = None,
) -> ReviewRecord:
    return ReviewRecord(
        subject=subject.review_subject,
        subject_id=subject.id,
        revision=subject.revision,
        action=action.value,
        step=step.value if step else None,
        decision=decision.value if decision else None,
        comment=comment,
        staff_id=staff.id if staff else None,
        staff=staff,
        at=at or clock.now(),
    )


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:MAX_COMMENT] or None


# ---- the actions staff take: the rule, its record and the audit entry ----


def audit_target(subject: Reviewable) -> int:
    """How the audit log names a subject: a report by its year, an item by its id."""
    return subject.year if isinstance(subject, Report) else subject.id


def created(session: Session, subject: Reviewable, staff: Staff) -> None:
    """``staff`` wrote a new subject (flushed, so it has its id): a draft awaiting review."""
    session.add(authored(subject, staff, ReviewAction.CREATE))
    kind = subject.review_subject
    target = audit_target(subject)
    audit.record(
        staff, f"{kind}.create", kind, target, body_id=subject.body_id, title=subject.title
    )


def edited(
    session: Session, subject: Reviewable, staff: Staff, changed: str, note: str | None = None
) -> None:
    """``staff`` changed the ``changed`` fields (their labels): a new revision, back to draft."""
    session.add(authored(subject, staff, ReviewAction.EDIT, note))
    kind = subject.review_subject
    audit.record(
        staff,
        f"{kind}.edit",
        kind,
        audit_target(subject),
        body_id=subject.body_id,
        title=subject.title,
        revision=subject.revision,
        changed=changed,
    )


def take_step(
    session: Session,
    subject: Reviewable,
    staff: Staff,
    action: ReviewAction,
    *,
    step: ReviewStep | None = None,
    decision: ReviewDecision | None = None,
    comment: str | None = None,
) -> ReviewRecord:
    """Review (``step``, ``decision`` and ``comment``), publish, withdraw (``comment`` is the
    reason) or resubmit ``subject``; raises ``ReviewRefused`` when the rules say no."""
    records = records_of(session, subject)
    details: dict[str, Any] = {"title": subject.title, "revision": subject.revision}
    if action == ReviewAction.REVIEW:
        if step is None or decision is None:
            raise ValueError("a review needs its step and decision")
        record = review(subject, records, staff, step, decision, comment)
        details |= {"step": step.label, "decision": decision.label}
        if record.comment:
            details["comment"] = record.comment
    elif action == ReviewAction.PUBLISH:
        record = publish(subject, records, staff)
    elif action == ReviewAction.WITHDRAW:
        record = withdraw(subject, staff, comment)
        details["reason"] = record.comment
    elif action == ReviewAction.RESUBMIT:
        record = resubmit(subject, records, staff)
    else:
        raise ValueError(f"not a review step: {action}")
    session.add(record)
    kind = subject.review_subject
    target = audit_target(subject)
    audit.record(staff, f"{kind}.{action.value}", kind, target, body_id=subject.body_id, **details)
    return record


# ---- reading the records ----


def records_of(session: Session, subject: Reviewable) -> list[ReviewRecord]:
    """The subject's records, oldest first."""
    return list(
        session.scalars(
            select(ReviewRecord)
            .where(
                ReviewRecord.subject == subject.review_subject,
                ReviewRecord.subject_id == subject.id,
            )
            .order_by(ReviewRecord.id)
        )
    )


def records_by_subject(
    session: Session, kind: str, ids: Iterable[int]
) -> dict[int, list[ReviewRecord]]:
    """Records of several subjects of one kind, for a list page."""
    wanted = list(ids)
    found: dict[int, list[ReviewRecord]] = defaultdict(list)
    if not wanted:
        return found
    rows = session.scalars(
        select(ReviewRecord)
        .where(ReviewRecord.subject == kind, ReviewRecord.subject_id.in_(wanted))
        .order_by(ReviewRecord.id)
    )
    for record in rows:
        found[record.subject_id].append(record)
    return found
