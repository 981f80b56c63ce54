"""Applications and complaints, their attachments and replies, tracking-number counters, the calendar.

Everything here must survive a Redis restart: a case and the references to its
photos are written in one transaction before the resident is given a receipt.
Identity numbers and phones are stored sealed (``bot.cases.privacy``); the
openid is kept as is because replies are routed to it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.core import Base

APPLICATION = "application"
COMPLAINT = "complaint"

#: Table 三's columns: the applicant's kind is recorded at intake.
PERSON = "自然人"
ORGANISATION = "法人或其他组织"
ORGANISATION_KINDS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

#: A complaint's category is the word the resident chose.
COMPLAINT_CATEGORIES = ("投诉", "举报", "建议")

RECEIVED = "received"
#: Statuses a case can have and what residents read. Intake sets ``received``; staff move it on.
STATUS_LABELS = {
    RECEIVED: "已收到，等待办理",
    "processing": "办理中",
    "awaiting_correction": "等待补正材料",
    "extended": "已延期办理",
    "replied": "已答复",
    "closed": "已办结",
    "withdrawn": "已撤回",
}
CLOSED_STATUSES = frozenset({"replied", "closed", "withdrawn"})


class Case(Base):
    """One application (依申请公开) or complaint, report or suggestion (投诉/举报/建议)."""

    __tablename__ = "case_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), default=RECEIVED)
    #: The dialogue's submission id: one dialogue can never file two cases.
    submission_id: Mapped[str] = mapped_column(String(40), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The Beijing date of the receipt (Art. 31): the day both sides confirmed.
    received_on: Mapped[date] = mapped_column(Date)
    #: Applications: the reply deadline. Complaints: the deadline to conclude.
    due_on: Mapped[date] = mapped_column(Date)
    #: True while the period crosses a year whose official schedule is not loaded.
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Complaints only: the deadline to tell whether it is accepted.
    accept_due_on: Mapped[date | None] = mapped_column(Date)
    accept_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Days added by a lawful extension (working days for applications, calendar days otherwise).
    extension_days: Mapped[int] = mapped_column(Integer, default=0)

    applicant_kind: Mapped[str | None] = mapped_column(String(20))
    organisation_kind: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))
    id_type: Mapped[str | None] = mapped_column(String(40))
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    #: The resident's own words: the information wanted, or what the complaint is about.
    text: Mapped[str] = mapped_column(Text)
    form_wanted: Mapped[str | None] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    place: Mapped[str | None] = mapped_column(String(300))

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    replies: Mapped[list[CaseReply]] = relationship(
        back_populates="case", order_by="CaseReply.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


#: Attachment fetch states: waiting for the download, stored on disk, or gone from WeChat.
PENDING, STORED, EXPIRED = "pending", "stored", "expired"


class Attachment(Base):
    """A photo sent with a case: WeChat's references, and the file once downloaded."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="image")
    media_id: Mapped[str] = mapped_column(String(200))
    pic_url: Mapped[str | None] = mapped_column(String(1000))
    #: Relative to the media folder (``SUNSHINE_MEDIA_DIR``).
    stored_file: Mapped[str | None] = mapped_column(String(300))
    fetch_state: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship(back_populates="attachments")


class CaseReply(Base):
    """A staff member's reply to a case, shown by ``进度`` and pushed to the resident."""

    __tablename__ = "case_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship(back_populates="replies")


class CaseCounter(Base):
    """The last sequence number given out per prefix (``SQ``/``TS``) and Beijing date."""

    __tablename__ = "case_counter"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CalendarYear(Base):
    """A year whose official holiday schedule (国务院办公厅通知) is loaded."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarDay(Base):
    """A day that differs from Monday-to-Friday: a holiday, or a weekend made a working day (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The schedule that declared it (a schedule may move a working day into late December before).
    year: Mapped[int] = mapped_column(
        ForeignKey("calendar_year.year", ondelete="CASCADE"), index=True
    )
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100))
