"""The annual report's statutory tables in the console: ``/admin/annual/<year>``, CSV and XLSX.

The tables come from ``bot.annual.tables.statutory_tables`` (the same as
``sunshine report stats``), with the check 一 + 二 = 三(七) + 四. Members who edit
published information enter the figures of table 二 that the catalogue cannot
count; handlers record reconsiderations and lawsuits for table 四.
"""

from __future__ import annotations

import io
from datetime import date

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.console import bp, staff_body
from bot.annual import narrative, statutory, writers
from bot.annual import tables as annual
from bot.annual.outline import FORMAT_2021
from bot.annual.tables import AnnualError
from bot.db import get_session
from bot.models.cases import APPEAL_KINDS, APPEAL_RESULTS, DisclosureAppeal

FIRST_YEAR = 2008
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def known_year(year: int) -> int:
    if not FIRST_YEAR <= year <= clock.today().year:
        abort(404)
    return year


@bp.get("/annual")
@permission_required("cases.view")
def annual_index() -> ResponseReturnValue:
    """The year asked for, else last year's: the report due by the end of January is about it."""
    year = request.args.get("year", type=int) or clock.today().year - 1
    return redirect(url_for("admin.annual_year", year=year))


@bp.get("/annual/<int:year>")
@permission_required("cases.view")
def annual_year(year: int) -> ResponseReturnValue:
    return _year_page(known_year(year))


def _year_page(year: int, errors: list[str] | None = None) -> ResponseReturnValue:
    session = get_session()
    body_id = staff_body().id
    result = annual.compute(session, body_id, year)
    return render_template(
        "admin/cases/annual.html",
        year=year,
        years=list(range(clock.today().year, FIRST_YEAR - 1, -1)),
        result=result,
        grids=[statutory.grid(table) for table in result.tables],
        figures=annual.figure_values(session, body_id, year),
        appeals=annual.appeals_of_year(session, body_id, year),
        appeal_kinds=APPEAL_KINDS,
        appeal_results=APPEAL_RESULTS,
        errors=errors or [],
        form=request.form if errors else {},
        earlier_format=year < FORMAT_2021,
        today=clock.today(),
    ), (422 if errors else 200)


@bp.get("/annual/<int:year>.<fmt>")
@permission_required("cases.view")
def annual_export(year: int, fmt: str) -> ResponseReturnValue:
    if fmt not in EXPORTS:
        abort(404)
    session = get_session()
    year = known_year(year)
    body_id = staff_body().id
    tables = [
        *annual.statutory_tables(session, body_id, year),
        narrative.fees_table(narrative.fees_collected(session, body_id, year)),
    ]
    return download(tables, year, fmt, f"annual-report-tables-{year}")


def download(tables: list[annual.Table], year: int, fmt: str, name: str) -> Response:
    """The tables as a CSV (``fmt`` "csv") or XLSX attachment named ``name.fmt``."""
    if fmt == "csv":
        text = io.StringIO(newline="")
        writers.write_csv(tables, text)
        # A byte-order mark, so that Excel opens the Chinese text as UTF-8.
        body: bytes = ("\ufeff" + text.getvalue()).encode("utf-8")
    else:
        buffer = io.BytesIO()
        writers.write_xlsx(tables, buffer, year=year)
        body = buffer.getvalue()
    response = Response(body, mimetype=EXPORTS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.post("/annual/<int:year>/figures")
@permission_required("items.edit")
def annual_figures(year: int) -> ResponseReturnValue:
    session = get_session()
    values = {}
    problems = []
    for figure in annual.FIGURES:
        try:
            values[figure.key] = annual.parse_figure(figure, request.form.get(figure.key, ""))
        except AnnualError as error:
            problems.append(str(error))
    if problems:
        return _year_page(known_year(year), errors=problems)
    changed = annual.save_figures(
        session, staff_body().id, known_year(year), values, g.staff, clock.now()
    )
    session.commit()
    flash(f"已保存{len(changed)}项数据。" if changed else "数据没有变化。", "info")
    return redirect(url_for("admin.annual_year", year=year) + "#table-two")


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@bp.post("/annual/<int:year>/appeals")
@permission_required("cases.handle")
def annual_appeal_add(year: int) -> ResponseReturnValue:
    session = get_session()
    filed_on = _date("filed_on")
    try:
        if filed_on is None:
            raise AnnualError("请填写收到复议申请或起诉的日期。")
        appeal = annual.add_appeal(
            session,
            staff_body().id,
            g.staff,
            kind=request.form.get("kind", ""),
            filed_on=filed_on,
            case_number=request.form.get("case_number"),
            reference=request.form.get("reference"),
            note=request.form.get("note"),
            now=clock.now(),
        )
    except AnnualError as error:
        session.rollback()
        return _year_page(known_year(year), errors=[str(error)])
    session.commit()
    flash(f"已登记{APPEAL_KINDS[appeal.kind]}（{appeal.filed_on.year}年度）。", "info")
    return redirect(url_for("admin.annual_year", year=appeal.filed_on.year) + "#table-four")


@bp.post("/annual/appeals/<int:appeal_id>")
@permission_required("cases.handle")
def annual_appeal_result(appeal_id: int) -> ResponseReturnValue:
    session = get_session()
    appeal = session.get(DisclosureAppeal, appeal_id)
    if appeal is None or appeal.body_id != staff_body().id:
        abort(404)
    try:
        annual.set_appeal_result(
            appeal, g.staff, request.form.get("result", ""), _date("decided_on"), clock.now()
        )
    except AnnualError as error:
        session.rollback()
        return _year_page(appeal.filed_on.year, errors=[str(error)])
    session.commit()
    flash("结果已更新。", "info")
    return redirect(url_for("admin.annual_year", year=appeal.filed_on.year) + "#table-four")
