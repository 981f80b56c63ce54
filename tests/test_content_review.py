"""The review state machine (``bot.content.review``), as plain functions on objects in memory."""

from __future__ import annotations

from datetime import date

import pytest

from bot.content import review
from bot.content.review import ReviewRefused, Stage
from bot.models.content import (
    Item,
    ItemStatus,
    Report,
    ReviewAction,
    ReviewDecision,
    ReviewRecord,
    ReviewStep,
)
from bot.models.staff import Staff

PASS, REJECT = ReviewDecision.PASS, ReviewDecision.REJECT
PRE, SECRECY = ReviewStep.PRE, ReviewStep.SECRECY


def member(staff_id: int, role: str) -> Staff:
    return Staff(id=staff_id, username=f"{role}{staff_id}", display_name=role, role=role)


CLERK, APPROVER, OTHER_APPROVER, HANDLER = (
    member(1, "clerk"),
    member(2, "approver"),
    member(3, "approver"),
    member(4, "handler"),
)


class Trail:
    """A subject and its records, as the console keeps them."""

    def __init__(self, subject: Item | Report, author: Staff | None = CLERK) -> None:
        self.subject = subject
        self.records: list[ReviewRecord] = []
        self.add(review.authored(subject, author, ReviewAction.CREATE))

    def add(self, record: ReviewRecord) -> ReviewRecord:
        self.records.append(record)
        return record

    @property
    def stage(self) -> Stage:
        return review.standing(self.subject, self.records).stage

    def review(
        self, staff: Staff, step: ReviewStep, decision: ReviewDecision = PASS, comment: str = ""
    ) -> ReviewRecord:
        return self.add(review.review(self.subject, self.records, staff, step, decision, comment))

    def publish(self, staff: Staff = APPROVER) -> ReviewRecord:
        return self.add(review.publish(self.subject, self.records, staff))

    def edit(self, staff: Staff) -> ReviewRecord:
        return self.add(review.authored(self.subject, staff, ReviewAction.EDIT))


def draft_item() -> Item:
    return Item(
        id=7,
        title="关于秸秆禁烧的通告",
        category="公示公告",
        published_on=date(2026, 11, 20),
        channel="wechat",
        status=ItemStatus.DRAFT,
        revision=1,
    )


@pytest.fixture
def trail() -> Trail:
    return Trail(draft_item())


def test_a_draft_passes_both_steps_in_order_then_is_published(trail: Trail) -> None:
    assert trail.stage == Stage.AWAITING_PRE
    trail.review(APPROVER, PRE, comment="同意在微信公开")
    assert trail.stage == Stage.AWAITING_SECRECY and trail.subject.status == ItemStatus.DRAFT
    trail.review(OTHER_APPROVER, SECRECY)
    assert trail.stage == Stage.REVIEWED and trail.subject.status == ItemStatus.REVIEWED
    published = trail.publish()
    assert trail.stage == Stage.PUBLISHED and trail.subject.status == ItemStatus.PUBLISHED
    steps = [(r.action, r.step, r.decision, r.staff_id) for r in trail.records]
    assert steps == [
        ("create", None, None, 1),
        ("review", "pre", "pass", 2),
        ("review", "secrecy", "pass", 3),
        ("publish", None, None, 2),
    ]
    assert trail.records[1].comment == "同意在微信公开"
    assert published.subject == "item" and published.subject_id == 7 and published.at


def test_the_author_may_never_review_even_as_an_approver() -> None:
    trail = Trail(draft_item(), author=APPROVER)
    with pytest.raises(ReviewRefused, match="您起草或修改过"):
        trail.review(APPROVER, PRE)
    trail.review(OTHER_APPROVER, PRE)
    with pytest.raises(ReviewRefused, match="您起草或修改过"):
        trail.review(APPROVER, SECRECY)


def test_whoever_edited_any_version_is_an_author(trail: Trail) -> None:
    trail.edit(APPROVER)
    trail.edit(CLERK)
    assert review.authors(trail.records) == {CLERK.id, APPROVER.id}
    with pytest.raises(ReviewRefused, match="您起草或修改过"):
        trail.review(APPROVER, PRE)


@pytest.mark.parametrize("staff", [CLERK, HANDLER])
def test_only_members_who_may_review_do(trail: Trail, staff: Staff) -> None:
    with pytest.raises(ReviewRefused, match="只有审核人可以审查"):
        trail.review(staff, PRE)


def test_confidentiality_review_comes_after_the_pre_publication_review(trail: Trail) -> None:
    with pytest.raises(ReviewRefused, match="现在应进行预先审查"):
        trail.review(APPROVER, SECRECY)
    trail.review(APPROVER, PRE)
    with pytest.raises(ReviewRefused, match="现在应进行保密审查"):
        trail.review(APPROVER, PRE)


def test_nothing_unreviewed_is_published(trail: Trail) -> None:
    with pytest.raises(ReviewRefused, match="都通过后才能发布"):
        trail.publish()
    trail.review(APPROVER, PRE)
    with pytest.raises(ReviewRefused, match="都通过后才能发布"):
        trail.publish()
    trail.review(APPROVER, SECRECY)
    with pytest.raises(ReviewRefused, match="只有审核人可以发布"):
        trail.publish(CLERK)


def test_a_rejection_needs_a_reason_and_returns_the_draft_with_it(trail: Trail) -> None:
    trail.review(APPROVER, PRE)
    with pytest.raises(ReviewRefused, match="请写明原因"):
        trail.review(APPROVER, SECRECY, REJECT, "   ")
    trail.review(APPROVER, SECRECY, REJECT, "附件中有身份证号，请删去后再提交")
    standing = review.standing(trail.subject, trail.records)
    assert standing.stage == Stage.RETURNED and trail.subject.status == ItemStatus.DRAFT
    assert standing.because.comment == "附件中有身份证号，请删去后再提交"
    with pytest.raises(ReviewRefused, match="不在审查中"):
        trail.review(OTHER_APPROVER, PRE)


def test_a_returned_draft_is_reviewed_again_after_a_change_or_a_resubmission(
    trail: Trail,
) -> None:
    trail.review(APPROVER, PRE, REJECT, "等镇党委会研究后再公开")
    trail.add(review.resubmit(trail.subject, trail.records, CLERK))
    assert trail.stage == Stage.AWAITING_PRE and trail.subject.revision == 1
    trail.review(APPROVER, PRE)
    trail.review(APPROVER, SECRECY, REJECT, "删去第三段")
    trail.edit(CLERK)
    assert trail.stage == Stage.AWAITING_PRE and trail.subject.revision == 2


def test_editing_a_reviewed_or_published_subject_needs_review_again(trail: Trail) -> None:
    trail.review(APPROVER, PRE)
    trail.review(APPROVER, SECRECY)
    trail.edit(CLERK)
    assert trail.stage == Stage.AWAITING_PRE and trail.subject.status == ItemStatus.DRAFT
    trail.review(APPROVER, PRE)
    trail.review(APPROVER, SECRECY)
    trail.publish()
    trail.edit(CLERK)
    assert trail.stage == Stage.AWAITING_PRE and trail.subject.status == ItemStatus.DRAFT
    assert trail.subject.revision == 3
    with pytest.raises(ReviewRefused):
        trail.publish()


def test_a_withdrawal_needs_a_reason_and_then_a_new_review(trail: Trail) -> None:
    with pytest.raises(ReviewRefused, match="只有已发布的内容可以撤回"):
        review.withdraw(trail.subject, APPROVER, "错误")
    trail.review(APPROVER, PRE)
    trail.review(APPROVER, SECRECY)
    trail.publish()
    with pytest.raises(ReviewRefused, match="请写明原因"):
        review.withdraw(trail.subject, APPROVER, "")
    with pytest.raises(ReviewRefused, match="只有审核人可以撤回"):
        review.withdraw(trail.subject, CLERK, "错误")
    trail.add(review.withdraw(trail.subject, APPROVER, "文件已废止"))
    standing = review.standing(trail.subject, trail.records)
    assert standing.stage == Stage.WITHDRAWN and standing.because.comment == "文件已废止"
    assert trail.subject.status == ItemStatus.DRAFT
    trail.add(review.resubmit(trail.subject, trail.records, CLERK))
    assert trail.stage == Stage.AWAITING_PRE


def test_resubmitting_is_only_for_returned_or_withdrawn_drafts(trail: Trail) -> None:
    with pytest.raises(ReviewRefused, match="不需要重新提交"):
        review.resubmit(trail.subject, trail.records, CLERK)


def test_items_without_records_stand_by_their_status() -> None:
    seeded = draft_item()
    seeded.status = ItemStatus.PUBLISHED
    assert review.standing(seeded, []).stage == Stage.PUBLISHED
    seeded.status = ItemStatus.DRAFT
    assert review.standing(seeded, []).stage == Stage.AWAITING_PRE
    assert review.review_refusal(seeded, [], APPROVER, PRE) is None


def test_reports_take_the_same_way() -> None:
    report = Report(id=3, year=2025, title="2025年报告", status=ItemStatus.DRAFT, revision=1)
    trail = Trail(report)
    trail.review(APPROVER, PRE)
    trail.review(APPROVER, SECRECY)
    trail.publish()
    assert report.status == ItemStatus.PUBLISHED
    assert {r.subject for r in trail.records} == {"report"}


def test_comments_are_kept_short() -> None:
    trail = Trail(draft_item())
    record = trail.review(APPROVER, PRE, PASS, "很" * 600)
    assert len(record.comment) == review.MAX_COMMENT
