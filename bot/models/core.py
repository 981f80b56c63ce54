"""Core tables: the shared declarative base, the bodies (行政机关), dialogue marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, ForeignKey, String, event, func
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from bot import clock


class Base(DeclarativeBase):
    pass


class AwareDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back with its zone, on SQLite too (which drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else clock.aware(value)


def append_only(model: type[Base], error: type[Exception], what: str) -> None:
    """Refuse, at flush, any change to or deletion of a ``model`` row already written.

    The ORM side of an append-only table; its migration adds the database's own triggers.
    """

    @event.listens_for(Session, "before_flush")
    def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
        for row in session.deleted:
            if isinstance(row, model):
                raise error(f"{what} cannot be deleted")
        for row in session.dirty:
            if isinstance(row, model) and session.is_modified(row):
                raise error(f"{what} cannot be changed")


class Body(Base):
    """A body (行政机关: a town, a county department) the deployment serves, with its office's
    details; every town's record (items, reports, cases and their numbers, annual figures)
    carries its ``body_id``.

    ``slug`` names it in commands and paths (``sunshine body add``, ``/b/<slug>/items``).
    ``name`` is its disclosure office (信息公开工作机构) residents contact; ``authority`` the
    body that signs the formal replies; ``reconsideration_body`` the one that hears its
    reconsiderations (for a town, the county-level people's government, 《行政复议法》 2023
    Art. 24(1)(二)), named in every remedy notice. Staff change them at ``/admin/office``.
    The first body (lowest id) is the default one: the single-town ``/wechat`` and pages.
    """

    __tablename__ = "body"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(100))
    hours: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    authority: Mapped[str | None] = mapped_column(String(200))
    reconsideration_body: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), server_default=func.now(), onupdate=func.now()
    )


def body_column(*, index: bool = False, nullable: bool = False) -> Any:
    """The ``body_id`` of a town's record: whose it is. Every read filters by it, so it leads
    the record's unique keys; ``index`` where none does."""
    return mapped_column(ForeignKey("body.id"), index=index, nullable=nullable)


class DialogueMark(Base):
    """That a resident is in the middle of a dialogue, kept where a Redis restart cannot erase it.

    Written when a dialogue starts and removed when it ends, so that a resident
    whose dialogue state vanished with Redis is told so instead of being searched.
    The openid is stored hashed.
    """

    __tablename__ = "dialogue_mark"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialogue: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(AwareDateTime())
