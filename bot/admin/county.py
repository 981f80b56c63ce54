"""The county supervisor's pages: the league table of the towns' cases, 督办, and 汇总 (the
county's summary of the towns' annual tables, on a page and as CSV/XLSX).

A supervisor sees the bodies it is a member of (``county.view`` there); which bodies a
county supervises is thus set with ``sunshine staff add USER --role supervisor --body
…``. A body it does not belong to is not found (404), whatever the URL says.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot import clock
from bot.admin.annual import EXPORTS, FIRST_YEAR, download, known_year
from bot.admin.auth import permission_required
from bot.admin.console import bp, staff_body
from bot.annual import county as summaries
from bot.annual import statutory
from bot.cases import county
from bot.cases.states import HandlingError
from bot.db import get_session
from bot.models import Body
from bot.models.cases import Case
from bot.models.county import Escalation
from bot.staff import bodies


def bodies_where(permission: str) -> list[Body]:
    """The member's bodies in which their role grants ``permission``."""
    return [body for body in bodies.listed(get_session()) if g.staff.can(permission, body.id)]


@bp.app_template_global("county_notices")
def county_notices(case: Case | None = None) -> list[Escalation]:
    """The 督办 notices a page shows: about ``case``, or to the body the member works in
    (the inbox, the digest)."""
    staff = g.get("staff")
    if staff is None:
        return []
    if case is not None:
        return county.escalations(get_session(), [case.body_id], case=case)
    return county.escalations(get_session(), [staff_body().id], limit=5)


@bp.get("/county")
@permission_required("county.view")
def county_league() -> ResponseReturnValue:
    session = get_session()
    towns = bodies_where("county.view")
    sort = request.args.get("sort", "overdue")
    today = clock.today()
    return render_template(
        "admin/county/league.html",
        rows=county.league_table(session, towns, today, sort),
        sort=sort if sort in county.SORTS else "overdue",
        today=today,
        week_end=county.week_end(today),
        notices=county.escalations(session, [town.id for town in towns]),
        limit=county.ESCALATION_MAX,
        year=today.year - 1,
    )


@bp.post("/county/escalate")
@permission_required("county.escalate")
def county_escalate() -> ResponseReturnValue:
    """督办 to a town (``body``: its id), or about one of its cases (``number``); back to
    the page it came from. A town or case the member does not supervise is not found."""
    session = get_session()
    chosen = request.form.get("body", type=int)
    body = next((b for b in bodies_where("county.escalate") if b.id == chosen), None)
    if body is None:
        abort(404)
    number = request.form.get("number", "").strip()
    case = None
    if number:
        case = session.scalars(
            select(Case).where(Case.body_id == body.id, Case.number == number)
        ).first()
        if case is None:
            abort(404)
    try:
        county.escalate(session, g.staff, body, request.form.get("text", ""), case)
    except HandlingError as problem:
        flash(str(problem), "warning")
    else:
        session.commit()
        flash(f"已向{body.name}发出督办通知。", "info")
    if case is not None:
        return redirect(url_for("admin.case_page", number=case.number, body=body.slug))
    return redirect(url_for("admin.county_league"))


@bp.get("/county/summary")
@permission_required("county.view")
def county_summary_index() -> ResponseReturnValue:
    year = request.args.get("year", type=int) or clock.today().year - 1
    return redirect(url_for("admin.county_summary", year=year))


@bp.get("/county/summary/<int:year>")
@permission_required("county.view")
def county_summary(year: int) -> ResponseReturnValue:
    result = summaries.summary(get_session(), bodies_where("county.view"), known_year(year))
    return render_template(
        "admin/county/summary.html",
        result=result,
        year=year,
        years=list(range(clock.today().year, FIRST_YEAR - 1, -1)),
        grids=[statutory.grid(table) for table in result.tables],
    )


@bp.get("/county/summary/<int:year>.<fmt>")
@permission_required("county.view")
def county_summary_export(year: int, fmt: str) -> ResponseReturnValue:
    if fmt not in EXPORTS:
        abort(404)
    result = summaries.summary(get_session(), bodies_where("county.view"), known_year(year))
    return download(result.tables, year, fmt, f"county-summary-tables-{year}")
