"""What the county does across its towns: 督办, a supervisor's recorded escalation notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot import clock
from bot.models.cases import Case
from bot.models.core import AwareDateTime, Base, body_column
from bot.models.staff import Staff


class Escalation(Base):
    """A 督办 notice: a county supervisor tells a town's handlers to act, on one case
    (``case_id``) or on the town's work as a whole (``case_id`` None). Shown on the case
    page and in the town's inbox and digest; kept, never changed."""

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = body_column(index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)

    case: Mapped[Case | None] = relationship()
    sender: Mapped[Staff] = relationship()
