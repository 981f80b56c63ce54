"""Console pages for the annual reports (``/admin/reports``): write a year's report, review, publish.

A report created here is a draft: residents' ``年报``, ``/report/<year>`` and
``统计`` do not show it until it has passed the same review as items (预先审查 and
保密审查 by an approver who did not write it) and been published. Staff edit its
title, parts (``bot.annual.outline``) and channel figures, upload the signed
original PDF, generate the statutory tables from the case records
(``bot.annual.statutory``), and preview the page and the PDF exactly as
residents will get them. Any change to a reviewed or published report returns it
to draft.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from bot import clock
from bot.admin.auth import login_required, permission_required
from bot.admin.console import bp, staff_body
from bot.admin.publishing import (
    PANEL_STEP_RULE,
    STAGE_CLASSES,
    ReasonForm,
    ReviewForm,
    catalogue_rule,
    panel_action,
    review_panel,
    take_step,
)
from bot.annual import outline, statutory
from bot.content import pdf, review
from bot.content.catalogue import parse_date
from bot.content.reports import attach_original_pdf, stored_report
from bot.db import get_session
from bot.models.content import (
    CHANNEL_LABELS,
    Channel,
    ItemStatus,
    Report,
    ReportFigure,
)
from bot.public.pages import report_page

log = logging.getLogger(__name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Blank parts and figure rows the editor offers for adding new ones.
BLANK_SECTIONS, BLANK_FIGURES = 1, 2
NO_CHANNEL = ""
FIELD_LABELS = {
    "title": "标题",
    "issuer": "发布机关",
    "issued_on": "发布日期",
    "sections": "正文",
    "figures": "渠道统计",
}


class YearError(ValueError):
    pass


def parse_year(text: str | None) -> int:
    value = (text or "").strip().removesuffix("年")
    if not re.fullmatch(r"\d{4}", value) or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise YearError(f"请填写四位数的年份（{FIRST_YEAR}—{LAST_YEAR}），如 2025。")
    return int(value)


# ---- forms ----


class NewReportForm(FlaskForm):
    year = StringField("年度", validators=[DataRequired("请填写年度，如 2025。")])
    title = StringField(
        "标题",
        validators=[Length(max=200, message="标题最多 200 字。")],
        description="不填时按上一份报告的写法生成。",
    )


class SectionForm(Form):
    title = StringField("标题", validators=[Length(max=100, message="部分标题最多 100 字。")])
    text = TextAreaField("内容", render_kw={"rows": 8})


class FigureForm(Form):
    label = StringField("名称", validators=[Length(max=100, message="名称最多 100 字。")])
    first_year = StringField("起始年")
    last_year = StringField("截止年")
    channel = SelectField(
        "渠道",
        choices=[
            SelectChoice(NO_CHANNEL, "（合计或其他）"),
            *(SelectChoice(c.value, CHANNEL_LABELS[c]) for c in Channel),
        ],
        validate_choice=False,
    )
    count = StringField("条数")

    def blank(self) -> bool:
        return not any(
            (self.label.data or "").strip() or (field.data or "").strip()
            for field in (self.first_year, self.last_year, self.count)
        )


class ReportForm(FlaskForm):
    revision = HiddenField()
    title = StringField(
        "标题",
        validators=[DataRequired("请填写标题。"), Length(max=200, message="标题最多 200 字。")],
    )
    issuer = StringField("发布机关", validators=[Length(max=100, message="最多 100 字。")])
    issued_on = StringField(
        "发布日期", validators=[catalogue_rule(parse_date)], render_kw={"type": "date"}
    )
    sections = FieldList(FormField(SectionForm))
    figures = FieldList(FormField(FigureForm))

    def fill(self, report: Report) -> None:
        self.process(
            data={
                "revision": str(report.revision),
                "title": report.title,
                "issuer": report.issuer or "",
                "issued_on": report.issued_on.isoformat() if report.issued_on else "",
                "sections": [
                    {"title": section["title"], "text": outline.blocks_text(section["blocks"])}
                    for section in report.sections
                ]
                + [{"title": "", "text": ""}] * BLANK_SECTIONS,
                "figures": [
                    {
                        "label": f.label,
                        "first_year": str(f.first_year),
                        "last_year": str(f.last_year),
                        "channel": f.channel or NO_CHANNEL,
                        "count": str(f.count),
                    }
                    for f in report.figures
                ]
                + [{"channel": NO_CHANNEL}] * BLANK_FIGURES,
            }
        )

    def sections_data(self) -> list[dict[str, Any]]:
        sections = []
        for entry in self.sections:
            title = (entry.form.title.data or "").strip()
            blocks = outline.text_blocks(entry.form.text.data or "")
            if title or blocks:
                sections.append({"title": title, "blocks": blocks})
        return sections

    def figures_data(self) -> list[dict[str, Any]] | None:
        """The figure rows as ``ReportFigure`` fields; None (errors on the rows) if any is wrong."""
        figures: list[dict[str, Any]] = []
        valid = True
        for entry in self.figures:
            row: FigureForm = entry.form
            if row.blank():
                continue
            problems: list[str] = []
            label = (row.label.data or "").strip()
            if not label:
                problems.append("请填写名称，如“政府网站发布”。")
            years = []
            for field in (row.first_year, row.last_year):
                try:
                    years.append(parse_year(field.data))
                except YearError as error:
                    problems.append(f"{field.label.text}：{error}")
            if len(years) == 2 and years[0] > years[1]:
                problems.append("起始年不能晚于截止年。")
            count_text = (row.count.data or "").strip()
            if not count_text.isdigit():
                problems.append("条数请填写 0 或正整数。")
            if problems:
                row.label.errors = [*row.label.errors, *problems]
                valid = False
                continue
            figures.append(
                {
                    "label": label,
                    "first_year": years[0],
                    "last_year": years[1],
                    "channel": row.channel.data or None,
                    "count": int(count_text),
                }
            )
        return figures if valid else None


class PdfForm(FlaskForm):
    file = FileField("原件 PDF", validators=[FileRequired("请选择 PDF 文件。")])


# ---- helpers ----


def _report(year: int, *, for_update: bool = False) -> Report:
    query = select(Report).where(Report.body_id == staff_body().id, Report.year == year)
    if for_update:
        query = query.with_for_update()
    found = get_session().scalars(query).first()
    if found is None:
        abort(404)
    return found


def _figure_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "label": f.label,
            "first_year": f.first_year,
            "last_year": f.last_year,
            "channel": f.channel,
            "count": f.count,
        }
        for f in report.figures
    ]


def _default_title(session: Session, year: int) -> tuple[str, str | None]:
    """Title and issuer of a new report, written like the newest report held."""
    held = select(Report).where(Report.body_id == staff_body().id)
    previous = session.scalars(held.order_by(Report.year.desc()).limit(1)).first()
    if previous is not None and f"{previous.year}年" in previous.title:
        return previous.title.replace(f"{previous.year}年", f"{year}年", 1), previous.issuer
    return f"{year}年政府信息公开工作年度报告", staff_body().name


# ---- pages ----


@bp.get("/reports")
@permission_required("items.edit")
def reports() -> ResponseReturnValue:
    session = get_session()
    held = list(
        session.scalars(
            select(Report).where(Report.body_id == staff_body().id).order_by(Report.year.desc())
        )
    )
    records = review.records_by_subject(session, "report", (r.id for r in held))
    return render_template(
        "admin/reports/list.html",
        reports=held,
        stages={r.id: review.standing(r, records.get(r.id, [])).stage for r in held},
        stage_classes=STAGE_CLASSES,
    )


@bp.route("/reports/new", methods=["GET", "POST"])
@permission_required("items.edit")
def report_new() -> ResponseReturnValue:
    session = get_session()
    form = NewReportForm()
    if request.method == "GET":
        form.year.data = str(clock.in_beijing(clock.now()).year - 1)
    elif form.validate_on_submit() and (year := _year_not_held(session, form)) is not None:
        title, issuer = _default_title(session, year)
        report = Report(
            body_id=staff_body().id,
            year=year,
            title=(form.title.data or "").strip() or title,
            issuer=issuer,
            status=ItemStatus.DRAFT,
            revision=1,
            sections=outline.new_report_sections(year),
        )
        session.add(report)
        try:
            session.flush()
        except IntegrityError:  # a colleague created that year's report a moment ago
            session.rollback()
            flash(f"{year}年的报告刚刚已由别人新建，请在列表中打开它修改。", "warning")
            return redirect(url_for("admin.reports"))
        review.created(session, report, g.staff)
        session.commit()
        flash(f"已新建{year}年报告的草稿。写好后请审核人审查、发布。", "info")
        return redirect(url_for("admin.report_edit", year=year))
    return render_template("admin/reports/new.html", form=form)


def _year_not_held(session: Session, form: NewReportForm) -> int | None:
    """The year asked for, or None (with the reason on the form) when wrong or already held."""
    try:
        year = parse_year(form.year.data)
    except YearError as error:
        form.year.errors = [str(error)]
        return None
    if stored_report(session, staff_body().id, year) is not None:
        form.year.errors = [f"{year}年的报告已经有了，请在列表中打开它修改。"]
        return None
    return year


@bp.get("/reports/<int:year>")
@permission_required("items.edit")
def report(year: int) -> ResponseReturnValue:
    return _report_page(_report(year))


def _report_page(found: Report, kept: ReviewForm | ReasonForm | None = None) -> ResponseReturnValue:
    year = found.year
    records = review.records_of(get_session(), found)
    return render_template(
        "admin/reports/show.html",
        report=found,
        panel=review_panel(found, records, kept),
        action_url=lambda name: url_for("admin.report_step", year=year, step=name),
        pdf_form=PdfForm(formdata=None),
        tables=[statutory.grid(table) for table in found.statutory_tables or []],
    )


@bp.route("/reports/<int:year>/edit", methods=["GET", "POST"])
@permission_required("items.edit")
def report_edit(year: int) -> ResponseReturnValue:
    session = get_session()
    found = _report(year, for_update=request.method == "POST")
    form = ReportForm()
    if request.method == "GET":
        form.fill(found)
        return _editor(form, found)
    valid = form.validate_on_submit()
    figures = form.figures_data()
    if not valid or figures is None:
        return _editor(form, found, invalid=True)
    if form.revision.data != str(found.revision):
        flash(
            "您编辑期间，这份报告被他人修改过，您的修改没有保存。下面是最新内容，请重新修改。",
            "warning",
        )
        form.fill(found)
        return _editor(form, found)
    issued_on = parse_date(form.issued_on.data) if form.issued_on.data else None
    wanted = {
        "title": form.title.data.strip(),
        "issuer": (form.issuer.data or "").strip() or None,
        "issued_on": issued_on,
        "sections": form.sections_data(),
    }
    changed = [name for name, value in wanted.items() if getattr(found, name) != value]
    if figures != _figure_rows(found):
        changed.append("figures")
    if not changed:
        flash("没有修改任何内容。", "info")
        return redirect(url_for("admin.report", year=year))
    was = ItemStatus(found.status)
    for name, value in wanted.items():
        setattr(found, name, value)
    if "figures" in changed:
        found.figures = [
            ReportFigure(position=position, **figure) for position, figure in enumerate(figures)
        ]
    changes = "、".join(FIELD_LABELS[name] for name in changed)
    review.edited(session, found, g.staff, changes, "修改报告")
    session.commit()
    if was == ItemStatus.PUBLISHED:
        flash("已保存。报告已从“年报”撤下，重新审查并发布后才会再次公开。", "info")
    else:
        flash("已保存。", "info")
    return redirect(url_for("admin.report", year=year))


def _editor(form: ReportForm, report: Report, *, invalid: bool = False) -> ResponseReturnValue:
    return render_template(
        "admin/reports/edit.html",
        form=form,
        report=report,
        invalid=invalid,
        table_titles=[table["title"] for table in report.statutory_tables or []],
    ), 200


@bp.get("/reports/<int:year>/preview")
@permission_required("items.edit")
def report_preview(year: int) -> ResponseReturnValue:
    found = _report(year)
    return report_page(found, pdf_url=url_for("admin.report_preview_pdf", year=year), preview=True)


@bp.get("/reports/<int:year>/preview.pdf")
@permission_required("items.edit")
def report_preview_pdf(year: int) -> Response:
    found = _report(year)
    document = pdf.report_pdf(get_session(), found)
    return send_file(
        BytesIO(document.data), mimetype="application/pdf", download_name=document.filename
    )


@bp.post("/reports/<int:year>/pdf")
@permission_required("items.edit")
def report_pdf(year: int) -> ResponseReturnValue:
    session = get_session()
    found = _report(year, for_update=True)
    form = PdfForm()
    if not form.validate_on_submit():
        flash("；".join(form.file.errors) or "请选择 PDF 文件。", "warning")
        return redirect(url_for("admin.report", year=year))
    upload = form.file.data
    filename = (upload.filename or f"{year}年政府信息公开工作年度报告.pdf")[:200]
    try:
        attach_original_pdf(found, upload.read(), filename)
    except ValueError:
        flash(f"{filename} 不是 PDF 文件，没有保存。请上传盖章原件的 PDF。", "warning")
        return redirect(url_for("admin.report", year=year))
    review.edited(session, found, g.staff, "原件PDF", f"上传原件 PDF：{filename}")
    session.commit()
    flash(f"已上传原件 {filename}。居民下载的将是这份原件；报告需重新审查后发布。", "info")
    return redirect(url_for("admin.report", year=year))


@bp.post("/reports/<int:year>/pdf/remove")
@permission_required("items.edit")
def report_pdf_remove(year: int) -> ResponseReturnValue:
    session = get_session()
    found = _report(year, for_update=True)
    if found.original_pdf_name is None:
        return redirect(url_for("admin.report", year=year))
    found.original_pdf = None
    found.original_pdf_name = None
    review.edited(session, found, g.staff, "原件PDF", "删除原件 PDF")
    session.commit()
    flash("已删除原件 PDF，居民将下载由报告内容生成的 PDF。", "info")
    return redirect(url_for("admin.report", year=year))


@bp.post("/reports/<int:year>/tables")
@permission_required("items.edit")
def report_tables(year: int) -> ResponseReturnValue:
    session = get_session()
    found = _report(year, for_update=True)
    try:
        tables = statutory.generate(session, found.body_id, year)
    except Exception:  # a fault in the tables must not cost the draft: tell staff, keep it
        log.exception("generating the statutory tables of %s failed", year)
        session.rollback()
        flash("生成统计表时出错，报告没有改动。请稍后再试，或联系系统维护人员。", "warning")
        return redirect(url_for("admin.report", year=year))
    if tables == (found.statutory_tables or []):
        flash(f"已根据办件记录重新计算，{len(tables)} 张统计表没有变化。", "info")
        return redirect(url_for("admin.report", year=year))
    found.statutory_tables = tables
    found.sections = outline.place_tables(found.sections, tables)
    review.edited(session, found, g.staff, "统计表", "从办件记录生成统计表")
    session.commit()
    titles = "、".join(table["title"] for table in tables)
    flash(f"已从办件记录生成 {len(tables)} 张统计表：{titles}。请预览核对。", "info")
    return redirect(url_for("admin.report", year=year))


@bp.post(f"/reports/<int:year>/{PANEL_STEP_RULE}")
@login_required
def report_step(year: int, step: str) -> ResponseReturnValue:
    action = panel_action(step)
    found = _report(year, for_update=True)
    kept = take_step(found, action)
    if kept is not None:
        return _report_page(found, kept)
    return redirect(url_for("admin.report", year=year))
