"""Published information: catalogue items, annual reports and their figures, and their review.

Items and reports share one way to publication (``bot.content.review``): a draft
passes 预先审查 and 保密审查 by an approver who did not write it, is published,
and may be withdrawn. ``status`` says what residents see (only ``published``);
``ReviewRecord`` keeps every step of the way, per ``revision`` of the content.

Every change to a body's items is counted in its ``catalogue_revision`` row (in
the same flush), so that each process's in-memory search index of that body
knows when to rebuild with a single-row read per search. The counter is bumped
from a ``before_flush`` hook: any ORM change to an ``Item`` counts, whichever
code makes it. Bulk SQL updates that bypass the ORM must call
``bump_catalogue_revision`` themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    CursorResult,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot import clock
from bot.models.core import AwareDateTime, Base, append_only, body_column
from bot.models.staff import Staff


class Channel(StrEnum):
    """Where an item was published, as the annual report counts it."""

    WEBSITE = "website"
    WECHAT = "wechat"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {Channel.WEBSITE: "网站", Channel.WECHAT: "微信", Channel.OTHER: "其他"}


class ItemStatus(StrEnum):
    """Where an item or a report stands; residents see only ``PUBLISHED`` ones."""

    DRAFT = "draft"
    REVIEWED = "reviewed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ItemStatus.DRAFT: "草稿",
    ItemStatus.REVIEWED: "已审核",
    ItemStatus.PUBLISHED: "已发布",
}


class Item(Base):
    """One piece of published (or to be published) government information."""

    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("channel IN ('website', 'wechat', 'other')", name="item_channel"),
        CheckConstraint("status IN ('draft', 'reviewed', 'published')", name="item_status"),
        UniqueConstraint("body_id", "doc_number", name="uq_item_body_doc_number"),
        # A body's published items, newest first: search, index builds, 最新 (migration 0017).
        Index("ix_item_body_status_published", "body_id", "status", "published_on"),
    )
    review_subject: ClassVar[str] = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = body_column()
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(50))
    #: A body's own document number (文号): unique within the body.
    doc_number: Mapped[str | None] = mapped_column(String(100))
    publisher: Mapped[str | None] = mapped_column(String(100))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.WEBSITE)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    #: ``[{"name": "附件1.xlsx", "url": "https://..."}]``
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=ItemStatus.PUBLISHED, index=True)
    #: Counts the saved versions of the content; a review is of one revision.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), server_default=func.now(), onupdate=func.now()
    )

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(Channel(self.channel), self.channel)


class Report(Base):
    """An annual disclosure report (政府信息公开工作年度报告), structured for the page and the PDF.

    ``sections`` is a list of ``{"title": str, "blocks": [block, ...]}``; the first
    section has an empty title when the report opens with a preamble. A block is
    ``{"kind": "paragraph", "text": str}``, ``{"kind": "figures", "caption": str}``
    (where the channel figures are shown, computed from ``figures``) or
    ``{"kind": "missing_table", "caption": str}`` (a table the text lacks) or
    ``{"kind": "statutory_table", "number": int}`` (where the ``number``-th of
    ``statutory_tables`` is shown; tables no block places follow the last section).

    ``statutory_tables`` are the tables of the 2021 national format computed from
    the case records (``bot.annual.tables``), stored when staff generate them:
    ``[{"title": str, "columns": [str, ...], "rows": [[label, value, ...], ...]}]``.

    Reports held before reviews existed were published (the column's server default);
    a report created since starts as a draft.
    """

    __tablename__ = "report"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'reviewed', 'published')", name="report_status"),
        UniqueConstraint("body_id", "year", name="uq_report_body_year"),
    )
    review_subject: ClassVar[str] = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = body_column()
    #: One report per body and year.
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(10), default=ItemStatus.DRAFT, server_default=ItemStatus.PUBLISHED.value
    )
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    statutory_tables: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    source_text: Mapped[str | None] = mapped_column(Text)
    original_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    original_pdf_name: Mapped[str | None] = mapped_column(String(200))
    #: The PDF generated from the sections, kept until ``generated_pdf_key`` no longer matches.
    generated_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    generated_pdf_key: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), server_default=func.now(), onupdate=func.now()
    )

    figures: Mapped[list[ReportFigure]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ReportFigure.position",
        lazy="selectin",
    )


class ReportFigure(Base):
    """A count printed in a report, e.g. 2014–2017, 政府网站发布 111 条.

    ``channel`` is set for the per-channel counts the statistics use; figures
    without a channel (a total, "今年网络信息发布平台公布52条") are shown as printed.
    Percentages are never stored: they are computed from the counts.
    """

    __tablename__ = "report_figure"
    __table_args__ = (CheckConstraint("count >= 0", name="report_figure_count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(100))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer)

    report: Mapped[Report] = relationship(back_populates="figures")


class ReviewAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    IMPORT = "import"
    RESUBMIT = "resubmit"
    REVIEW = "review"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"


class ReviewStep(StrEnum):
    #: 预先审查: whether, how and when to publish.
    PRE = "pre"
    #: 保密审查: nothing secret or otherwise protected is in it.
    SECRECY = "secrecy"

    @property
    def label(self) -> str:
        return {ReviewStep.PRE: "预先审查", ReviewStep.SECRECY: "保密审查"}[self]


class ReviewDecision(StrEnum):
    PASS = "pass"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return {ReviewDecision.PASS: "通过", ReviewDecision.REJECT: "不通过，退回修改"}[self]


def _listed(column: str, values: type[StrEnum], *, nullable: bool = False) -> str:
    allowed = f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"
    return f"{column} IS NULL OR {allowed}" if nullable else allowed


class ReviewRecord(Base):
    """One step of an item's or a report's way to publication: who, when, what, why. Never changed.

    ``subject`` is ``"item"`` or ``"report"`` and ``subject_id`` its id; ``revision``
    the version of the content the step was about. Authoring steps (``create``,
    ``edit``, ``import``) name the authors, who may not review it; ``review`` steps
    carry ``step``, ``decision`` and the reviewer's comment (the reason of a
    rejection); ``withdraw`` carries the reason in ``comment``. ``staff_id`` is None
    for steps taken outside the console. A ``before_flush`` hook refuses to change
    or delete a record, as for the audit log.
    """

    __tablename__ = "review_record"
    __table_args__ = (
        CheckConstraint("subject IN ('item', 'report')", name="review_record_subject"),
        CheckConstraint(_listed("action", ReviewAction), name="review_record_action"),
        CheckConstraint(_listed("step", ReviewStep, nullable=True), name="review_record_step"),
        CheckConstraint(
            _listed("decision", ReviewDecision, nullable=True), name="review_record_decision"
        ),
        Index("ix_review_record_subject", "subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    step: Mapped[str | None] = mapped_column(String(10))
    decision: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class CatalogueRevision(Base):
    """A row per body counting changes to its items (see the module docstring)."""

    __tablename__ = "catalogue_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


def bump_catalogue_revision(session: Session, body_id: int) -> None:
    """Count one change to a body's items, creating its counter row if it is missing."""
    bumped = session.execute(
        update(CatalogueRevision)
        .where(CatalogueRevision.body_id == body_id)
        .values(revision=CatalogueRevision.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], bumped).rowcount == 0:  # what an UPDATE returns
        session.execute(insert(CatalogueRevision).values(body_id=body_id, revision=1))


def catalogue_revision(session: Session, body_id: int) -> int:
    revision = session.scalar(
        select(CatalogueRevision.revision).where(CatalogueRevision.body_id == body_id)
    )
    return revision or 0


class ReviewRecordsAreAppendOnly(RuntimeError):
    pass


append_only(ReviewRecord, ReviewRecordsAreAppendOnly, "review records")


@event.listens_for(Session, "before_flush")
def _count_item_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = [obj for obj in session.new if isinstance(obj, Item)]
    changed += [obj for obj in session.deleted if isinstance(obj, Item)]
    changed += [obj for obj in session.dirty if isinstance(obj, Item) and session.is_modified(obj)]
    for body_id in sorted({item.body_id for item in changed}):
        bump_catalogue_revision(session, body_id)
