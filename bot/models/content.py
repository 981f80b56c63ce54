"""Published information: catalogue items, annual reports and their figures.

Every change to the items is counted in ``catalogue_revision`` (in the same
flush), so that each process's in-memory search index knows when to rebuild
with a single-row read per search. The counter is bumped from a ``before_flush``
hook: any ORM change to an ``Item`` counts, whichever code makes it. Bulk SQL
updates that bypass the ORM must call ``bump_catalogue_revision`` themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.models.core import Base


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(50))
    doc_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    publisher: Mapped[str | None] = mapped_column(String(100))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.WEBSITE)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    #: ``[{"name": "附件1.xlsx", "url": "https://..."}]``
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=ItemStatus.PUBLISHED, index=True)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
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
    ``{"kind": "missing_table", "caption": str}`` (a table the text lacks).
    """

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_text: Mapped[str | None] = mapped_column(Text)
    original_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    original_pdf_name: Mapped[str | None] = mapped_column(String(200))
    #: The PDF generated from the sections, kept until ``generated_pdf_key`` no longer matches.
    generated_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    generated_pdf_key: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
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


class CatalogueRevision(Base):
    """A single row counting changes to the items (see the module docstring)."""

    __tablename__ = "catalogue_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


def bump_catalogue_revision(session: Session) -> None:
    """Count one change to the items, creating the counter row if it is missing."""
    bumped = session.execute(
        update(CatalogueRevision)
        .where(CatalogueRevision.id == 1)
        .values(revision=CatalogueRevision.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        session.execute(insert(CatalogueRevision).values(id=1, revision=1))


def catalogue_revision(session: Session) -> int:
    revision = session.scalar(select(CatalogueRevision.revision).where(CatalogueRevision.id == 1))
    return revision or 0


@event.listens_for(Session, "before_flush")
def _count_item_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = (
        any(isinstance(obj, Item) for obj in session.new)
        or any(isinstance(obj, Item) for obj in session.deleted)
        or any(isinstance(obj, Item) and session.is_modified(obj) for obj in session.dirty)
    )
    if changed:
        bump_catalogue_revision(session)
