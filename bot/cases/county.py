"""The county's view of its towns' cases: the league table and 督办.

A county supervisor (``Role.SUPERVISOR``) reads across the bodies it is a member of.
The league table counts, per body, the open cases, those past their next deadline and
those due by Sunday, from the stored deadlines (``next_deadline_sql``: an application's
in working days, a complaint's in calendar days, pauses and extensions counted), so a
town's figures match its own dashboard. 督办 (``escalate``) is a notice a supervisor
sends to a town's handlers about one case or the town's work; it is kept, shown on the
case page and in the town's inbox and digest, and written to the audit log here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, selectinload

from bot.cases.digest import next_deadline_sql
from bot.cases.states import HandlingError
from bot.models import Body
from bot.models.cases import CLOSED_STATUSES, Case
from bot.models.county import Escalation
from bot.models.staff import Staff
from bot.staff import audit

#: How long a 督办 notice may be.
ESCALATION_MAX = 1000
#: The orders the league table can be read in: the column, and whether the largest first.
SORTS: dict[str, tuple[str, bool]] = {
    "overdue": ("overdue", True),
    "week": ("due_this_week", True),
    "open": ("open", True),
    "name": ("name", False),
}


@dataclass(frozen=True)
class TownFigures:
    """One row of the league table."""

    body: Body
    open: int
    overdue: int
    due_this_week: int

    @property
    def name(self) -> str:
        return self.body.name


def week_end(on: date) -> date:
    """The Sunday of ``on``'s week: what is due by then is due this week."""
    return on + timedelta(days=6 - on.weekday())


def league_table(
    session: Session, bodies: Iterable[Body], today: date, sort: str = "overdue"
) -> list[TownFigures]:
    """Open, overdue and due-this-week cases of each body, in the order ``sort`` names
    (``SORTS``; ties by name); a body without open cases has a row of zeros."""
    bodies = list(bodies)
    deadline = next_deadline_sql()
    counted = session.execute(
        select(
            Case.body_id,
            func.count(),
            func.count(when((deadline < today, 1))),
            func.count(when((and_(deadline >= today, deadline <= week_end(today)), 1))),
        )
        .where(Case.body_id.in_([body.id for body in bodies]))
        .where(Case.status.not_in(CLOSED_STATUSES))
        .group_by(Case.body_id)
    ).all()
    figures = {body_id: (total, late, week) for body_id, total, late, week in counted}
    rows = [TownFigures(body, *figures.get(body.id, (0, 0, 0))) for body in bodies]
    column, largest_first = SORTS.get(sort, SORTS["overdue"])
    rows.sort(key=lambda row: row.name)
    rows.sort(key=lambda row: getattr(row, column), reverse=largest_first)
    return rows


def escalate(
    session: Session, supervisor: Staff, body: Body, text: str, case: Case | None = None
) -> Escalation:
    """Send a 督办 notice to ``body``'s handlers, about ``case`` when given, and write
    ``county.escalate`` (the caller commits). Only a member who may escalate in that body."""
    if not supervisor.can("county.escalate", body.id):
        raise HandlingError("您没有向这个乡镇发出督办通知的权限。")
    if case is not None and case.body_id != body.id:
        raise ValueError(f"case {case.number} is not {body.slug}'s")
    text = (text or "").strip()
    if not text:
        raise HandlingError("请填写督办内容。")
    if len(text) > ESCALATION_MAX:
        raise HandlingError(f"督办内容最多{ESCALATION_MAX}字，现在是{len(text)}字。")
    notice = Escalation(body_id=body.id, case=case, sender=supervisor, text=text)
    session.add(notice)
    session.flush()
    target = ("case", case.number) if case is not None else ("body", body.slug)
    audit.record(supervisor, "county.escalate", *target, body_id=body.id, text=text)
    return notice


def escalations(
    session: Session,
    body_ids: Iterable[int],
    *,
    case: Case | None = None,
    since: datetime | None = None,
    limit: int = 20,
) -> list[Escalation]:
    """The newest 督办 notices to these bodies (about ``case`` only, when given; sent at
    ``since`` or later, when given)."""
    query = (
        select(Escalation)
        .options(selectinload(Escalation.sender), selectinload(Escalation.case))
        .where(Escalation.body_id.in_(list(body_ids)))
        .order_by(Escalation.sent_at.desc(), Escalation.id.desc())
        .limit(limit)
    )
    if case is not None:
        query = query.where(Escalation.case_id == case.id)
    if since is not None:
        query = query.where(Escalation.sent_at >= since)
    return list(session.scalars(query))
