"""Core tables: the shared declarative base, the office, dialogue marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Office(Base):
    """The disclosure office residents can contact (one row), seeded from the annual report."""

    __tablename__ = "office"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(100))
    hours: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DialogueMark(Base):
    """That a resident is in the middle of a dialogue, kept where a Redis restart cannot erase it.

    Written when a dialogue starts and removed when it ends, so that a resident
    whose dialogue state vanished with Redis is told so instead of being searched.
    The openid is stored hashed.
    """

    __tablename__ = "dialogue_mark"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialogue: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
