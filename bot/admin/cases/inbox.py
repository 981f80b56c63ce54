"""The lists of cases: the inbox (``/admin/cases``) and the call-back list (``/admin/callbacks``).

The inbox shows open cases overdue first, then due soonest; filters, search and
closed cases by filter; a page at a time. What it selects, in which order and how
many, is ``bot.cases.inbox``'s, in the database.
"""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.cases.labels import outcome_label
from bot.admin.console import bp, staff_body
from bot.cases.calendar import missing_next_year
from bot.cases.digest import KIND_LABELS, STEP_LABELS
from bot.cases.inbox import CATEGORIES, STATUS_FILTERS, Filters
from bot.cases.inbox import page as inbox_page
from bot.db import get_session
from bot.models.cases import POOR_RATINGS, STATUS_LABELS, Case, CaseRating


@bp.get("/cases")
@permission_required("cases.view")
def cases_inbox() -> ResponseReturnValue:
    session = get_session()
    filters = Filters.from_args(request.args)
    on = clock.today()
    number = request.args.get("page", 1, type=int)
    found = inbox_page(session, staff_body().id, filters, g.staff.id, on, number)
    return render_template(
        "admin/cases/inbox.html",
        rows=found.rows,
        total=found.total,
        overdue=found.overdue,
        page=found.number,
        pages=found.pages,
        filters=filters,
        assignees={row.case.id: row.case.assignee for row in found.rows if row.case.assignee},
        page_url=lambda n: url_for("admin.cases_inbox", **filters.args(page=n)),
        status_filters=STATUS_FILTERS,
        kind_labels=KIND_LABELS,
        categories=CATEGORIES,
        status_labels=STATUS_LABELS,
        step_labels=STEP_LABELS,
        outcome_label=outcome_label,
        today=on,
        missing_year=missing_next_year(session, on),
    )


@bp.get("/callbacks")
@permission_required("cases.view")
def callbacks() -> ResponseReturnValue:
    """Poor ratings: those still to call back first, then the ones done."""
    ratings = get_session().scalars(
        select(CaseRating)
        .join(Case, Case.id == CaseRating.case_id)
        .options(selectinload(CaseRating.case))
        .where(Case.body_id == staff_body().id, CaseRating.rating.in_(POOR_RATINGS))
        .order_by(CaseRating.called_back_at.is_not(None), CaseRating.rated_at.desc())
    )
    return render_template(
        "admin/cases/callbacks.html", ratings=list(ratings), kind_labels=KIND_LABELS
    )
