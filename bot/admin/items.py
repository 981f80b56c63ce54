"""Console pages for the catalogue's items (``/admin/items``): list, write, import, review, publish.

Every item written here starts (or, once changed, starts again) as a draft that
residents cannot see; it reaches the chat and ``/items`` only after 预先审查 and
保密审查 by an approver who did not write it, and publishing (``bot.content.review``).
An import is checked row by row before anything is written and reports every
problem by the row number the spreadsheet shows; a row whose document number is
already held updates that item, and an item whose content changes goes back to
review.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import ColumnElement, extract, func, or_, select
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

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
    upload_limit,
)
from bot.content import importer, review
from bot.content.catalogue import CATEGORIES, canonical_doc_number, parse_date
from bot.content.importer import ImportRejected
from bot.db import get_session
from bot.models.content import (
    CHANNEL_LABELS,
    Channel,
    Item,
    ItemStatus,
    ReviewRecord,
)
from bot.models.staff import Staff
from bot.urls import whole_number

PAGE_SIZE = 50
#: The list's status filter: stored statuses, and drafts awaiting the member's review.
AWAITING_ME = "mine"
STATUS_FILTERS = {
    "": "全部",
    ItemStatus.DRAFT.value: "草稿（待审查、已退回、已撤回）",
    AWAITING_ME: "待我审查",
    ItemStatus.REVIEWED.value: "已审核，待发布",
    ItemStatus.PUBLISHED.value: "已发布",
}
EXAMPLE_FILTERS = {"": "全部", "only": "只看示例", "none": "不含示例"}
FIELD_LABELS = {
    "title": "标题",
    "category": "类别",
    "doc_number": "文号",
    "publisher": "发布机构",
    "published_on": "发布日期",
    "channel": "发布渠道",
    "summary": "摘要",
    "body": "正文",
    "link": "原文链接",
    "attachments": "附件",
}
TEMPLATE_ROWS = [
    ["标题", "类别", "文号", "发布机构", "发布日期", "渠道", "摘要", "正文", "链接", "附件"],
    [
        "关于2026年城乡居民医疗保险缴费的通知",
        "民生保障",
        "毛政发〔2026〕1号",
        "镇人民政府",
        "2026-01-05",
        "网站",
        "缴费时间、标准和方式。",
        "",
        "",
        "缴费标准.xlsx|https://example.gov.cn/files/1.xlsx",
    ],
]


# ---- the form ----


class ItemForm(FlaskForm):
    revision = HiddenField()
    title = StringField(
        "标题",
        validators=[DataRequired("请填写标题。"), Length(max=300, message="标题最多 300 字。")],
    )
    category = SelectField(
        "类别",
        choices=[SelectChoice("", "请选择类别"), *(SelectChoice(name) for name in CATEGORIES)],
        validate_choice=False,
        validators=[DataRequired("请选择类别。")],
    )
    doc_number = StringField(
        "文号",
        validators=[Length(max=100, message="文号最多 100 字。")],
        description="没有文号可不填。写法如 毛政发〔2026〕1号，方括号、全角半角都可以。",
    )
    publisher = StringField(
        "发布机构", validators=[Length(max=100, message="发布机构最多 100 字。")]
    )
    published_on = StringField(
        "发布日期",
        validators=[DataRequired("请填写发布日期，如 2026-01-05。"), catalogue_rule(parse_date)],
        render_kw={"type": "date"},
    )
    channel = RadioField(
        "发布渠道",
        choices=[SelectChoice(channel.value, CHANNEL_LABELS[channel]) for channel in Channel],
        default=Channel.WEBSITE.value,
        validators=[DataRequired("请选择发布渠道。")],
    )
    summary = TextAreaField("摘要", render_kw={"rows": 3})
    body = TextAreaField("正文", render_kw={"rows": 12})
    link = StringField(
        "原文链接",
        validators=[
            Length(max=500, message="链接最多 500 字。"),
            catalogue_rule(importer.check_link),
        ],
        description="网站上的原文地址（以 http:// 或 https:// 开头），没有可不填。",
    )
    attachments = TextAreaField(
        "附件",
        validators=[catalogue_rule(importer.parse_attachments)],
        render_kw={"rows": 3},
        description="每行一个，写成 名称|网址，如 缴费标准.xlsx|https://example.gov.cn/1.xlsx",
    )

    def validate_category(self, field: Field) -> None:
        if field.data and field.data not in CATEGORIES:
            raise ValidationError("请从列表中选择类别。")

    def item_fields(self) -> dict[str, Any]:
        """The validated form as the item's fields."""
        return {
            "title": self.title.data.strip(),
            "category": self.category.data,
            "doc_number": canonical_doc_number(self.doc_number.data),
            "publisher": _text(self.publisher.data),
            "published_on": parse_date(self.published_on.data),
            "channel": Channel(self.channel.data).value,
            "summary": _text(self.summary.data),
            "body": _text(self.body.data),
            "link": _text(self.link.data),
            "attachments": importer.parse_attachments(_text(self.attachments.data)),
        }

    def fill(self, item: Item) -> None:
        self.revision.data = str(item.revision)
        self.title.data = item.title
        self.category.data = item.category
        self.doc_number.data = item.doc_number or ""
        self.publisher.data = item.publisher or ""
        self.published_on.data = item.published_on.isoformat()
        self.channel.data = item.channel
        self.summary.data = item.summary or ""
        self.body.data = item.body or ""
        self.link.data = item.link or ""
        self.attachments.data = importer.attachments_text(item.attachments or [])


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _number_taken(form: ItemForm, item_id: int | None) -> bool:
    number = canonical_doc_number(form.doc_number.data)
    if not number:
        return False
    query = select(Item.id).where(Item.body_id == staff_body().id, Item.doc_number == number)
    if item_id is not None:
        query = query.where(Item.id != item_id)
    other = get_session().scalar(query)
    if other is None:
        return False
    form.doc_number.errors = [
        *form.doc_number.errors,
        f"文号 {number} 已被另一条信息（编号 {other}）使用。",
    ]
    return True


# ---- the list ----


@bp.get("/items")
@permission_required("items.edit")
def items() -> ResponseReturnValue:
    session = get_session()
    staff: Staff = g.staff
    status = request.args.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    category = request.args.get("category", "")
    year = request.args.get("year", type=whole_number)
    examples = request.args.get("examples", "")
    query_text = request.args.get("q", "").strip()[:60]
    number = max(request.args.get("page", 1, type=whole_number), 1)

    conditions: list[ColumnElement[bool]] = [Item.body_id == staff_body().id]
    if status in (ItemStatus.DRAFT, ItemStatus.REVIEWED, ItemStatus.PUBLISHED):
        conditions.append(Item.status == status)
    elif status == AWAITING_ME:
        conditions.append(Item.status == ItemStatus.DRAFT)
    if category in CATEGORIES:
        conditions.append(Item.category == category)
    if year:
        conditions.append(extract("year", Item.published_on) == year)
    if examples == "only":
        conditions.append(Item.is_example.is_(True))
    elif examples == "none":
        conditions.append(Item.is_example.is_(False))
    if query_text:
        conditions.append(
            or_(
                Item.title.icontains(query_text, autoescape=True),
                Item.doc_number.icontains(query_text, autoescape=True),
            )
        )
    ordered = select(Item).where(*conditions).order_by(Item.updated_at.desc(), Item.id.desc())

    if status == AWAITING_ME:
        drafts = list(session.scalars(ordered))
        records = review.records_by_subject(session, "item", (item.id for item in drafts))
        found = [item for item in drafts if _awaits(item, records[item.id], staff)]
        total = len(found)
        shown = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    else:
        total = session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0
        shown = list(session.scalars(ordered.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)))
        records = review.records_by_subject(
            session, "item", (item.id for item in shown if item.status == ItemStatus.DRAFT)
        )
    stages = {item.id: review.standing(item, records.get(item.id, [])).stage for item in shown}
    years = sorted(
        {
            int(y)
            for y in session.scalars(
                select(extract("year", Item.published_on))
                .where(Item.body_id == staff_body().id)
                .distinct()
            )
        },
        reverse=True,
    )
    filters: dict[str, Any] = {  # also given to url_for as keywords
        "status": status or None,
        "category": category or None,
        "year": year,
        "examples": examples or None,
        "q": query_text or None,
    }
    return render_template(
        "admin/items/list.html",
        shown=shown,
        stages=stages,
        stage_classes=STAGE_CLASSES,
        total=total,
        page_number=number,
        pages=max(math.ceil(total / PAGE_SIZE), 1),
        page_url=lambda n: url_for("admin.items", page=n, **filters),
        filters=filters,
        status_filters={
            key: label
            for key, label in STATUS_FILTERS.items()
            if key != AWAITING_ME or staff.can("items.review", staff_body().id)
        },
        example_filters=EXAMPLE_FILTERS,
        categories=CATEGORIES,
        years=years,
        channel_labels=CHANNEL_LABELS,
    )


def _awaits(item: Item, records: list[ReviewRecord], staff: Staff) -> bool:
    step = review.standing(item, records).stage.step
    return step is not None and review.review_refusal(item, records, staff, step) is None


# ---- one item ----


def _item(item_id: int, *, for_update: bool = False) -> Item:
    found = get_session().get(Item, item_id, with_for_update=for_update)
    if found is None or found.body_id != staff_body().id:
        abort(404)
    return found


@bp.get("/items/<int:item_id>")
@permission_required("items.edit")
def item(item_id: int) -> ResponseReturnValue:
    return _item_page(_item(item_id))


def _item_page(found: Item, kept: ReviewForm | ReasonForm | None = None) -> ResponseReturnValue:
    records = review.records_of(get_session(), found)
    return render_template(
        "admin/items/show.html",
        item=found,
        panel=review_panel(found, records, kept),
        action_url=lambda name: url_for("admin.item_step", item_id=found.id, step=name),
    )


@bp.route("/items/new", methods=["GET", "POST"])
@permission_required("items.edit")
def item_new() -> ResponseReturnValue:
    session = get_session()
    form = ItemForm()
    if request.method == "GET":
        form.publisher.data = staff_body().name
    if form.validate_on_submit() and not _number_taken(form, None):
        created = Item(
            **form.item_fields(),
            body_id=staff_body().id,
            status=ItemStatus.DRAFT,
            is_example=False,
            revision=1,
        )
        session.add(created)
        session.flush()
        review.created(session, created, g.staff)
        session.commit()
        flash("已保存为草稿。审核人预先审查、保密审查通过并发布后，居民才能看到。", "info")
        return redirect(url_for("admin.item", item_id=created.id))
    return render_template("admin/items/form.html", form=form, item=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@permission_required("items.edit")
def item_edit(item_id: int) -> ResponseReturnValue:
    session = get_session()
    found = _item(item_id, for_update=request.method == "POST")
    form = ItemForm()
    if request.method == "GET":
        form.fill(found)
    elif form.validate_on_submit() and not _number_taken(form, found.id):
        if form.revision.data != str(found.revision):
            flash(
                "您编辑期间，这条信息被他人修改过，您的修改没有保存。下面是最新内容，请重新修改。",
                "warning",
            )
            form.fill(found)
            return render_template("admin/items/form.html", form=form, item=found)
        fields = form.item_fields()
        changed = [name for name, value in fields.items() if getattr(found, name) != value]
        if not changed:
            flash("没有修改任何内容。", "info")
            return redirect(url_for("admin.item", item_id=found.id))
        was = ItemStatus(found.status)
        for name in changed:
            setattr(found, name, fields[name])
        review.edited(session, found, g.staff, "、".join(FIELD_LABELS[name] for name in changed))
        session.commit()
        flash(_after_edit(was), "info")
        return redirect(url_for("admin.item", item_id=found.id))
    return render_template("admin/items/form.html", form=form, item=found)


def _after_edit(was: ItemStatus) -> str:
    if was == ItemStatus.PUBLISHED:
        return "已保存。这条信息已从微信和公开目录撤下，重新审查并发布后才会再次公开。"
    if was == ItemStatus.REVIEWED:
        return "已保存。内容改了，需要重新审查。"
    return "已保存，等待审核人审查。"


@bp.post(f"/items/<int:item_id>/{PANEL_STEP_RULE}")
@login_required
def item_step(item_id: int, step: str) -> ResponseReturnValue:
    action = panel_action(step)
    found = _item(item_id, for_update=True)
    kept = take_step(found, action)
    if kept is not None:
        return _item_page(found, kept)
    return redirect(url_for("admin.item", item_id=item_id))


# ---- import ----


class ImportForm(FlaskForm):
    file = FileField("表格文件", validators=[FileRequired("请选择要导入的 .csv 或 .xlsx 文件。")])


@bp.route("/items/import", methods=["GET", "POST"])
@permission_required("items.edit")
def items_import() -> ResponseReturnValue:
    form = ImportForm()
    problems: list[importer.Problem] = []
    filename = None
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or "上传的文件"
        try:
            table = importer.read_upload(upload.read(), filename)
            rows, ignored = importer.validate(table)
        except ImportRejected as rejected:
            problems = rejected.details
        else:
            done = importer.import_drafts(
                get_session(), staff_body().id, rows, ignored, g.staff, filename
            )
            get_session().commit()
            flash(_imported(done, filename), "info")
            return redirect(url_for("admin.items", status=ItemStatus.DRAFT.value))
    return render_template(
        "admin/items/import.html",
        form=form,
        problems=problems,
        filename=filename,
        columns=importer.COLUMNS,
        required=importer.REQUIRED,
        limit=upload_limit(),
    )


def _imported(done: importer.ImportSummary, filename: str) -> str:
    """What an import did, for staff."""
    parts = [f"已从 {filename} 导入：新增 {done.created} 条，更新 {done.updated} 条"]
    if done.unchanged:
        parts.append(f"{done.unchanged} 条与已有内容相同，未改动")
    parts.append("新增和更新的信息都是草稿，审查通过并发布后居民才能看到")
    if done.withdrawn:
        parts.append(f"其中 {done.withdrawn} 条原已发布，已撤下等待重新审查")
    if done.ignored_columns:
        parts.append(f"未识别的列已忽略：{'、'.join(done.ignored_columns)}")
    return "；".join(parts) + "。"


@bp.get("/items/import/template.csv")
@permission_required("items.edit")
def items_import_template() -> Response:
    out = io.StringIO()
    csv.writer(out).writerows(TEMPLATE_ROWS)
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=items-template.csv"},
    )
