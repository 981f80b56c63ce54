"""Applications and complaints, their attachments and replies, tracking-number counters, the calendar.

Everything here must survive a Redis restart: a case and the references to its
photos are written in one transaction before the resident is given a receipt.
Identity numbers and phones are stored sealed (``bot.cases.privacy``); the
openid is kept as is because replies are routed to it.

Handling adds: who a case is assigned to, internal notes, the
corrections (补正) an applicant supplied, extension requests and their approval,
the outcome and closing date, how each reply reached the resident, the
resident's rating and the call-back after a poor one; and for the annual report,
administrative reconsiderations and lawsuits (table 四) and the figures staff enter
for table 二. Every reference to a staff member lives in a table of its own:
SQLite cannot add a foreign key to an existing table without rebuilding it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import ColumnElement

from bot.models.core import AwareDateTime, Base, body_column
from bot.models.staff import Staff
from bot.privacy import Resident

APPLICATION = "application"
COMPLAINT = "complaint"

#: Table 三's columns: the applicant's kind is recorded at intake.
PERSON = "自然人"
ORGANISATION = "法人或其他组织"
ORGANISATION_KINDS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

#: A complaint's category is the word the resident chose.
COMPLAINT_CATEGORIES = ("投诉", "举报", "建议")

RECEIVED = "received"
PROCESSING = "processing"
AWAITING_CORRECTION = "awaiting_correction"
EXTENDED = "extended"
CONSULTING = "consulting"
AWAITING_FEE = "awaiting_fee"
CLOSED = "closed"
#: Statuses a case can have and what residents read. Intake sets ``received``; staff move it on.
STATUS_LABELS = {
    RECEIVED: "已收到，等待办理",
    "processing": "办理中",
    "awaiting_correction": "等待补正材料",
    "extended": "已延期办理",
    CONSULTING: "正在征求意见，答复期限暂停计算",
    AWAITING_FEE: "等待缴纳信息处理费，答复期限暂停计算",
    "closed": "已办结",
}
CLOSED_STATUSES = frozenset({CLOSED})


class Case(Base):
    """One application (依申请公开) or complaint, report or suggestion (投诉/举报/建议)."""

    __tablename__ = "case_record"
    __table_args__ = (UniqueConstraint("body_id", "number", name="uq_case_record_body_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = body_column()
    #: The tracking number: each body has its own sequences, so it is unique within the body.
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), default=RECEIVED)
    #: The dialogue's submission id: one dialogue can never file two cases.
    submission_id: Mapped[str] = mapped_column(String(40), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    #: The slug of the official account it was filed through (``""``: the one configured by
    #: ``SUNSHINE_WECHAT_*``): the same openid on another account is another resident.
    account: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: The Beijing date of the receipt (Art. 31): the day both sides confirmed.
    received_on: Mapped[date] = mapped_column(Date)
    #: Applications: the reply deadline. Complaints: the deadline to conclude, counted from
    #: acceptance; until a complaint is accepted, the deadline to tell whether it is.
    due_on: Mapped[date] = mapped_column(Date)
    #: True while the period crosses a year whose official schedule is not loaded.
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Complaints only: the deadline to tell whether it is accepted.
    accept_due_on: Mapped[date | None] = mapped_column(Date)
    accept_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Complaints only: the Beijing date it was accepted; the 60 days to conclude count from it.
    accepted_on: Mapped[date | None] = mapped_column(Date)
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
    #: ID numbers typed into ``name``, ``id_type``, ``email``, ``address`` or ``text`` are masked
    #: there; the fields as typed are sealed here (``bot.cases.privacy.conceal``), or None.
    originals_sealed: Mapped[str | None] = mapped_column(Text)
    form_wanted: Mapped[str | None] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    place: Mapped[str | None] = mapped_column(String(300))

    #: Applications: the day the reply period counts from when it is not the day of receipt —
    #: the day a corrected application arrived (Art. 30).
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    #: Applications: the day the one correction notice went out, and the applicant's last day.
    correction_requested_on: Mapped[date | None] = mapped_column(Date)
    correction_due_on: Mapped[date | None] = mapped_column(Date)
    #: The outcome code (``bot.cases.outcomes``) and its reasons, set when the case is closed.
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    #: The staff's answer in the final reply, without the outcome and remedies added to it:
    #: the formal reply (答复书) is generated from it and the outcome.
    final_answer: Mapped[str | None] = mapped_column(Text)
    #: The reconsideration body the final reply named (the office's setting when it was closed).
    reconsideration_body: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: The Beijing date of closing: the annual report counts the outcome in this year.
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: An application moved to the complaint track: the complaint's number.
    transferred_to: Mapped[str | None] = mapped_column(String(20))
    #: Filed when the resident had already filed ``SUNSHINE_CASE_DAILY_LIMIT`` cases that day:
    #: received all the same (Art. 35), and marked for staff, who may ask for reasons.
    over_daily_limit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    replies: Mapped[list[CaseReply]] = relationship(
        back_populates="case", order_by="CaseReply.id", cascade="all, delete-orphan"
    )
    assignment: Mapped[CaseAssignment | None] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.id", cascade="all, delete-orphan"
    )
    supplements: Mapped[list[CaseSupplement]] = relationship(
        back_populates="case", order_by="CaseSupplement.id", cascade="all, delete-orphan"
    )
    extensions: Mapped[list[CaseExtension]] = relationship(
        back_populates="case", order_by="CaseExtension.id", cascade="all, delete-orphan"
    )
    rating: Mapped[CaseRating | None] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    pauses: Mapped[list[CasePause]] = relationship(
        back_populates="case", order_by="CasePause.id", cascade="all, delete-orphan"
    )

    @property
    def resident(self) -> Resident:
        return Resident(self.openid, self.account)

    @classmethod
    def filed_by(cls, resident: Resident) -> ColumnElement[bool]:
        """The condition that a case is ``resident``'s: their openid on their account."""
        return and_(cls.openid == resident.openid, cls.account == resident.account)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def awaiting_acceptance(self) -> bool:
        """A complaint not yet accepted or declined: only the acceptance decision is due."""
        return self.kind == COMPLAINT and self.status == RECEIVED

    @property
    def assignee(self) -> Staff | None:
        return self.assignment.staff if self.assignment else None

    @property
    def reporter_protected(self) -> bool:
        """Whether the person behind the case is a complainant, whose identity only approvers
        and the handler an approver assigned may see: every complaint, and an application
        moved to the complaint track (its applicant is that complaint's complainant)."""
        return self.kind == COMPLAINT or self.transferred_to is not None


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
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

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
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), server_default=func.now())
    #: When the full text reached the resident (customer-service message, or read in the chat).
    pushed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: The reply that closes the case (outcome, reasons, remedies); the resident is asked to rate it.
    final: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: ``bot.cases.replies``: waiting, sending, retry, pushed (customer-service message), read,
    #: or recorded (written before delivery was tracked, or by other means: ``进度`` shows it).
    delivery: Mapped[str] = mapped_column(String(20), default="recorded", server_default="recorded")
    push_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    attempted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: When a subscription message told the resident that an answer is waiting.
    notified_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))

    case: Mapped[Case] = relationship(back_populates="replies")


class CaseCounter(Base):
    """The last sequence number given out per body, prefix (``SQ``/``TS``) and Beijing date."""

    __tablename__ = "case_counter"

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CalendarYear(Base):
    """A year whose official holiday schedule (国务院办公厅通知) is loaded."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[datetime] = mapped_column(AwareDateTime())


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


class CaseAssignment(Base):
    """Who handles a case (one handler at a time), and who assigned it when."""

    __tablename__ = "case_assignment"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime] = mapped_column(AwareDateTime())

    case: Mapped[Case] = relationship(back_populates="assignment")
    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined")
    assigned_by: Mapped[Staff | None] = relationship(foreign_keys=[assigned_by_id], lazy="joined")


class CaseNote(Base):
    """An internal note on a case: staff only, never shown to the resident."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    case: Mapped[Case] = relationship(back_populates="notes")
    staff: Mapped[Staff] = relationship(lazy="joined")


class CaseSupplement(Base):
    """What an applicant supplied after a correction notice (补正): in the chat or on paper."""

    __tablename__ = "case_supplement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    #: ``text`` as typed when it held an ID number (stored masked in ``text``), sealed.
    originals_sealed: Mapped[str | None] = mapped_column(Text)
    #: The Beijing date it arrived: the reply period restarts from it.
    received_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: The staff member who recorded a correction handed in; None: the resident sent it in the chat.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    case: Mapped[Case] = relationship(back_populates="supplements")
    staff: Mapped[Staff | None] = relationship(lazy="joined")


class CaseExtension(Base):
    """A request to extend the period (Art. 33: once, approved by the office's head)."""

    __tablename__ = "case_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    requested_at: Mapped[datetime] = mapped_column(AwareDateTime())
    #: None while waiting for an approver; then True (approved) or False (refused).
    approved: Mapped[bool | None] = mapped_column(Boolean)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="extensions")
    requested_by: Mapped[Staff] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[Staff | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")


#: Why an application's clock pauses besides 补正: consulting a third party or another body
#: (Art. 32/34), a fee notice (国办函〔2020〕109号).
CONSULTATION, FEE = "consultation", "fee"
PAUSE_KINDS = {CONSULTATION: "征求意见", FEE: "收费通知"}


class CasePause(Base):
    """A period not counted in an application's reply period: a consultation or a fee notice."""

    __tablename__ = "case_pause"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in PAUSE_KINDS) + ")",
            name="case_pause_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    #: Consultations: who is asked (a third party, or another body), as staff name them.
    party: Mapped[str | None] = mapped_column(String(200))
    #: The Beijing date the letter or notice went out.
    started_on: Mapped[date] = mapped_column(Date)
    #: The last day of the answer (15 working days) or of the payment (20 working days).
    due_on: Mapped[date] = mapped_column(Date)
    #: The Beijing date the answer or the payment arrived; None while the pause runs.
    ended_on: Mapped[date | None] = mapped_column(Date)
    #: Fee notices: the amount asked and its basis, and what was collected (yuan).
    fee_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    fee_paid: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    case: Mapped[Case] = relationship(back_populates="pauses")
    staff: Mapped[Staff] = relationship(lazy="joined")

    @property
    def running(self) -> bool:
        return self.ended_on is None


#: The five levels a resident rates a final reply with, best first.
RATINGS = ("很满意", "满意", "一般", "不满意", "很不满意")
#: Ratings that put the case on the call-back list.
POOR_RATINGS = frozenset({"不满意", "很不满意"})


class CaseRating(Base):
    """The resident's rating of the final reply, and the call-back a poor rating asks for."""

    __tablename__ = "case_rating"
    __table_args__ = (
        CheckConstraint(
            "rating IN (" + ", ".join(f"'{word}'" for word in RATINGS) + ")", name="case_rating"
        ),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[str] = mapped_column(String(10))
    rated_at: Mapped[datetime] = mapped_column(AwareDateTime())
    called_back_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    called_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    callback_note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="rating")
    called_back_by: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def poor(self) -> bool:
        return self.rating in POOR_RATINGS


#: Table 四's rows: how a disclosure decision was challenged.
APPEAL_KINDS = {
    "reconsideration": "行政复议",
    "lawsuit": "行政诉讼（未经复议直接起诉）",
    "lawsuit_after_reconsideration": "行政诉讼（复议后起诉）",
}
#: Table 四's columns: the result, ``pending`` until it is decided.
APPEAL_RESULTS = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
}


class DisclosureAppeal(Base):
    """An administrative reconsideration or lawsuit about a disclosure decision (table 四)."""

    __tablename__ = "disclosure_appeal"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in APPEAL_KINDS) + ")",
            name="disclosure_appeal_kind",
        ),
        CheckConstraint(
            "result IN (" + ", ".join(f"'{result}'" for result in APPEAL_RESULTS) + ")",
            name="disclosure_appeal_result",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = body_column(index=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: The day it was filed: the annual report of that year counts it.
    filed_on: Mapped[date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(20), default="pending")
    decided_on: Mapped[date | None] = mapped_column(Date)
    #: The application it is about (its tracking number within the body), when known.
    case_number: Mapped[str | None] = mapped_column(String(20))
    #: The reconsideration body's or court's file number (案号).
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    staff: Mapped[Staff] = relationship(lazy="joined")


class AnnualFigure(Base):
    """A figure of the annual report's table 二 that staff enter for a year (``bot.annual.tables``)."""

    __tablename__ = "annual_figure"

    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
