"""Web pages residents open from WeChat: the catalogue (``/items``) and the reports (``/report``).

Mobile-first pages rendered from ``templates/content``; they work offline (no
CDN: styles inline, charts in CSS). The catalogue's search is the chat's search.

Each body has its pages under ``/b/<slug>`` (``/b/<slug>/items``, ``/b/<slug>/report/2017``);
the single-town paths (``/items``, ``/report``) show the default body's. An unknown
slug is a 404 (in Chinese, ``bot.errors``). Links between pages stay on the path they
were opened by (``body_url``).
"""

from __future__ import annotations

import math
from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response

from bot.annual import statutory
from bot.content import pdf, stats
from bot.content.indexes import index_of
from bot.content.reports import latest_report, report_for, report_years
from bot.content.search import Entry
from bot.db import get_session
from bot.models import Body
from bot.models.content import CHANNEL_LABELS, Channel, Item, ItemStatus, Report
from bot.staff import bodies

items_bp = Blueprint("items", __name__, url_prefix="/items")
report_bp = Blueprint("report", __name__, url_prefix="/report")
#: A body's pages: the blueprints registered again under ``/b/<slug>``, named with this prefix.
BODY_PAGES = "body_"

PAGE_SIZE = 20


@items_bp.url_value_preprocessor
@report_bp.url_value_preprocessor
def _body_of_path(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    slug = (values or {}).pop("body_slug", None)
    if slug is None:
        return
    body = bodies.by_slug(get_session(), slug)
    if body is None:
        abort(404)
    g.shown_body, g.shown_slug = body, slug


def body_url(endpoint: str, *, body: Body | None = None, **values: Any) -> str:
    """``url_for`` a public page (``items.catalogue``…) of ``body`` (default: the body shown),
    on its ``/b/<slug>`` path unless it is the default body seen at the single-town one."""
    slug = None
    if body is None:
        body, slug = g.get("shown_body"), g.get("shown_slug")
    if slug is None and body is not None and body.id != bodies.default_id(get_session()):
        slug = body.slug
    if slug is None:
        return url_for(endpoint, **values)
    return url_for(BODY_PAGES + endpoint, body_slug=slug, **values)


def shown_body() -> Body:
    """The body whose pages these are: the default body's at the single-town paths."""
    body: Body | None = g.get("shown_body")
    if body is None:
        body = bodies.default(get_session())
        if body is None:
            abort(404)
        g.shown_body = body
    return body


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a content page with what every page shows (the office, the report years)."""
    session = get_session()
    office = shown_body()
    return render_template(
        f"content/{template}",
        office=office,
        report_years=report_years(session, office.id),
        channel_labels=CHANNEL_LABELS,
        **context,
    ), status


@items_bp.get("")
def catalogue() -> tuple[str, int]:
    session = get_session()
    body_id = shown_body().id
    index = index_of(session, body_id)
    query = request.args.get("q", "").strip()[:60]
    category = request.args.get("category", "").strip()
    year = request.args.get("year", type=int)
    number = max(request.args.get("page", 1, type=int), 1)
    found = index.search(query) if query else index.latest()
    positions = index.narrowed(found.positions, category, year)
    pages = max(math.ceil(len(positions) / PAGE_SIZE), 1)
    number = min(number, pages)
    shown = [index.entry(p) for p in positions[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]]
    held = stats.held_by_year(session, body_id)
    return page(
        "items.html",
        query=query,
        category=category,
        year=year,
        entries=shown,
        total=len(positions),
        page_number=number,
        pages=pages,
        categories=index.categories,
        years=index.years,
        history=stats.report_history(session, body_id),
        held=held,
        held_total=stats.combined(held),
        channels=list(Channel),
        page_url=lambda n: body_url(
            "items.catalogue", q=query or None, category=category or None, year=year, page=n
        ),
    )


@items_bp.get("/<int:item_id>")
def item(item_id: int) -> tuple[str, int]:
    found = get_session().get(Item, item_id)
    shown = found is not None and found.body_id == shown_body().id
    if found is None or not shown or found.status != ItemStatus.PUBLISHED:
        return page("not_found.html", 404, what="这条信息")
    return page("item.html", item=found)


@report_bp.get("")
def latest() -> Response | tuple[str, int]:
    report = latest_report(get_session(), shown_body().id)
    if report is None:
        return page("not_found.html", 404, what="年度报告")
    return redirect(body_url("report.show", year=report.year))


@report_bp.get("/<int:year>")
def show(year: int) -> tuple[str, int]:
    session = get_session()
    report = report_for(session, shown_body().id, year)
    if report is None:
        return page("not_found.html", 404, what=f"{year}年的年度报告")
    return report_page(report, pdf_url=body_url("report.show_pdf", year=year))


def report_page(report: Report, *, pdf_url: str, preview: bool = False) -> tuple[str, int]:
    """The report as residents read it; ``preview`` marks a draft shown to staff."""
    if "shown_body" not in g:  # the console's preview: the report's own body
        g.shown_body = get_session().get_one(Body, report.body_id)
    figures = [f for f in report.figures if f.channel is not None]
    channel_total = sum(f.count for f in figures)
    tables = report.statutory_tables or []
    return page(
        "report.html",
        report=report,
        pdf_url=pdf_url,
        preview=preview,
        tables=[statutory.grid(table) for table in tables],
        unplaced_tables=statutory.unplaced(report.sections, tables),
        figures=[
            {
                "label": f.label.removesuffix("发布"),
                "channel": f.channel,
                "count": f.count,
                "percent": stats.percent(f.count, channel_total),
            }
            for f in figures
        ],
        channel_total=channel_total,
        errata=lambda text: stats.errata(text, channel_total),
        numerals=pdf.NUMERALS,
        missing_table_note=pdf.MISSING_TABLE_NOTE,
    )


@report_bp.get("/<int:year>.pdf")
def show_pdf(year: int) -> Response | tuple[str, int]:
    session = get_session()
    report = report_for(session, shown_body().id, year)
    if report is None:
        return page("not_found.html", 404, what=f"{year}年的年度报告")
    document = pdf.report_pdf(session, report)
    return send_file(
        BytesIO(document.data),
        mimetype="application/pdf",
        download_name=document.filename,
        etag=document.etag,
        conditional=True,
        max_age=300,
    )


def entry_url(entry: Entry | Item) -> str:
    return body_url("items.item", item_id=entry.id)


def register(app: Flask) -> None:
    for blueprint in (items_bp, report_bp):
        app.register_blueprint(blueprint)
        app.register_blueprint(
            blueprint,
            name=BODY_PAGES + blueprint.name,
            url_prefix=f"/b/<body_slug>{blueprint.url_prefix}",
        )
    app.add_template_global(entry_url)
    app.add_template_global(body_url)
