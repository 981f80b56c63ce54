"""Annual reports in the console: a draft is invisible to residents until reviewed and published;
then ``年报 YEAR`` answers with its news reply and ``/report/YEAR(.pdf)`` serve it. The statutory
tables come from ``bot.annual.tables.statutory_tables``, faked here.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select

from bot import db
from bot.annual import tables as annual_tables
from bot.content.reports import stored_report
from bot.models.content import ItemStatus, Report
from tests.support import (
    PUBLIC_URL,
    Desk,
    Resident,
    add_staff,
    audit_actions,
    pdf_text,
    town_id,
    visible_text,
)

YEAR = 2025
AT = f"/admin/reports/{YEAR}"
TABLES = [
    {
        "title": "三、收到和处理政府信息公开申请情况",
        "columns": ["申请人情况", "自然人", "法人或其他组织：商业企业", "法人或其他组织：科研机构", "总计"],
        "rows": [
            ["一、本年新收政府信息公开申请数量", 7, 2, 0, 9],
            ["三、本年度办理结果", "", "", "", ""],
            ["（一）予以公开", 5, 1, 0, 6],
        ],
    },
    {
        "title": "四、政府信息公开行政复议、行政诉讼情况",
        "columns": ["类别", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
        "rows": [["行政复议", 1, 0, 0, 0, 1]],
    },
]  # fmt: skip
SECTIONS = [
    ("总体情况", "2025年，毛城子镇认真贯彻《政府信息公开条例》，主动公开政府信息138条。"),
    ("主动公开政府信息情况", "【渠道统计】2025年各渠道发布情况\n全年通过政府网站发布80条。"),
]
FIGURES = [
    ("政府网站发布", "2025", "2025", "website", "80"),
    ("微信发布", "2025", "2025", "wechat", "50"),
    ("其他发布", "2025", "2025", "other", "8"),
]
ORIGINAL = b"%PDF-1.4\n% signed original of the 2025 report\n%%EOF\n"


def report_form(
    app: Flask,
    year: int = YEAR,
    sections: list[tuple[str, str]] | None = None,
    figures: list[tuple[str, ...]] | None = None,
    **fields: str,
) -> dict[str, Any]:
    """The editor's fields, as the browser posts them."""
    with app.app_context():
        session = db.get_session()
        report = stored_report(session, town_id(session), year)
        data: dict[str, Any] = {
            "revision": str(report.revision),
            "title": report.title,
            "issuer": report.issuer or "",
            "issued_on": "2026-01-20",
        }
    for index, (title, text) in enumerate(SECTIONS if sections is None else sections):
        data[f"sections-{index}-title"] = title
        data[f"sections-{index}-text"] = text
    for index, row in enumerate(FIGURES if figures is None else figures):
        for name, value in zip(
            ("label", "first_year", "last_year", "channel", "count"), row, strict=True
        ):
            data[f"figures-{index}-{name}"] = value
    return {**data, **fields}


def create_report(desk: Desk, year: int = YEAR) -> str:
    response = desk.post("/admin/reports/new", {"year": str(year), "title": ""})
    assert response.status_code == 302, visible_text(response.get_data(as_text=True))
    return response.headers["Location"]


def review_and_publish(desk: Desk, target: str = AT) -> None:
    assert "预先审查已通过" in desk.review(target, "pre")
    assert "保密审查已通过" in desk.review(target, "secrecy")
    assert "已发布" in desk.act(target, "publish")


def report_row(app: Flask, year: int = YEAR) -> Report:
    with app.app_context():
        session = db.get_session()
        return stored_report(session, town_id(session), year)


@pytest.fixture
def office(app: Flask) -> Flask:
    add_staff(app, "wang", "clerk", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    return app


@pytest.fixture
def tables_provider(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A stand-in for ``bot.annual.tables.statutory_tables``: returns ``TABLES``; the years
    asked are recorded."""
    asked: list[int] = []

    def statutory_tables(session: Any, body_id: int, year: int) -> list[dict[str, Any]]:
        asked.append(year)
        return TABLES

    replace_provider(monkeypatch, statutory_tables)
    return asked


def replace_provider(monkeypatch: pytest.MonkeyPatch, function: Callable[..., Any]) -> None:
    monkeypatch.setattr(annual_tables, "statutory_tables", function)


# ---- a year's report, from draft to residents ----


def test_a_draft_report_is_invisible_to_residents_until_published(office: Flask) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    assert create_report(clerk) == f"{AT}/edit"
    draft = report_row(office)
    assert draft.status == ItemStatus.DRAFT
    assert draft.title == "公主岭市毛城子镇2025年政府信息公开工作年度报告"
    assert [s["title"] for s in draft.sections][:3] == [
        "总体情况",
        "主动公开政府信息情况",
        "收到和处理政府信息公开申请情况",
    ]
    assert "已保存" in clerk.says(f"{AT}/edit", report_form(office))

    resident, client = Resident(office), office.test_client()

    def residents_see_it() -> bool:
        reply = resident.says(f"年报 {YEAR}")
        page, document = client.get(f"/report/{YEAR}"), client.get(f"/report/{YEAR}.pdf")
        statistics = resident.says("统计")
        seen = f"{PUBLIC_URL}/report/{YEAR}" in reply
        assert (page.status_code == 200) == seen and (document.status_code == 200) == seen
        assert ("2025—2025年" in statistics or "【2025年度报告】" in statistics) == seen
        return seen

    assert not residents_see_it()
    assert "没有2025年的年度报告。现有：2017年" in resident.says(f"年报 {YEAR}")
    assert "2017年政府信息公开工作年度报告" in resident.says("年报")
    assert client.get("/report").headers["Location"].endswith("/report/2017")

    preview = clerk.page(f"{AT}/preview")
    assert "预览 这是尚未发布的报告，居民看不到" in preview
    assert "主动公开政府信息138条" in preview and "网站 80 58.0%" in preview
    document = clerk.get(f"{AT}/preview.pdf")
    assert document.mimetype == "application/pdf"
    assert "主动公开政府信息138条" in pdf_text(document.data)
    assert not residents_see_it()

    approver.review(AT, "pre")
    assert not residents_see_it()
    approver.review(AT, "secrecy")
    assert not residents_see_it()
    approver.act(AT, "publish")

    assert residents_see_it()
    news = resident.says(f"年报 {YEAR}")
    assert news.startswith(
        "【公主岭市毛城子镇2025年政府信息公开工作年度报告】毛城子镇人民政府2026年1月发布"
    )
    assert "2025年公开138条：政府网站58.0%、微信36.2%、其他5.8%" in news
    assert f"{PUBLIC_URL}/report/{YEAR}" in resident.says("年报"), "the newest is the latest"
    assert "主动公开政府信息138条" in pdf_text(client.get(f"/report/{YEAR}.pdf").data)
    assert "年报" in resident.says("帮助")


def test_an_uploaded_original_pdf_is_served_as_it_is(office: Flask) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    create_report(clerk)

    refused = clerk.says(f"{AT}/pdf", {"file": (io.BytesIO(b"not a pdf"), "报告.pdf")})
    assert "报告.pdf 不是 PDF 文件，没有保存" in refused
    answer = clerk.says(f"{AT}/pdf", {"file": (io.BytesIO(ORIGINAL), "2025年报告（盖章）.pdf")})
    assert "已上传原件 2025年报告（盖章）.pdf" in answer
    assert "居民下载的是上传的原件： 2025年报告（盖章）.pdf" in clerk.page(AT)
    assert office.test_client().get(f"/report/{YEAR}.pdf").status_code == 404

    review_and_publish(approver)

    served = office.test_client().get(f"/report/{YEAR}.pdf")
    assert served.status_code == 200 and served.data == ORIGINAL
    assert quote("2025年报告（盖章）.pdf") in served.headers["Content-Disposition"]
    assert "原件" in visible_text(
        office.test_client().get(f"/report/{YEAR}").get_data(as_text=True)
    )

    assert "改用自动生成" in clerk.page(AT)
    assert "已删除原件 PDF" in clerk.says(f"{AT}/pdf/remove")
    assert report_row(office).status == ItemStatus.DRAFT, "a change needs review again"


def test_editing_a_published_report_takes_it_back_to_review(office: Flask) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    resident = Resident(office)
    assert "2017年政府信息公开工作年度报告" in resident.says("年报 2017")
    assert "这份报告已发布" in clerk.page("/admin/reports/2017/edit")

    form = editor_fields(clerk, "/admin/reports/2017/edit")
    form["title"] = "公主岭市毛城子镇2017年政府信息公开工作年度报告（修订）"
    answer = clerk.says("/admin/reports/2017/edit", form)

    assert "报告已从“年报”撤下，重新审查并发布后才会再次公开" in answer
    assert "还没有发布年度报告" in resident.says("年报")
    assert office.test_client().get("/report/2017").status_code == 404
    assert "【2017年度报告】" not in resident.says("统计")
    review_and_publish(approver, "/admin/reports/2017")
    assert "（修订）" in resident.says("年报 2017")
    assert "【2017年度报告】" in resident.says("统计")
    stored = report_row(office, 2017)
    assert [f.count for f in stored.figures if f.channel] == [111, 54, 91], "figures kept"
    assert stored.sections[1]["title"] == "基本做法", "sections kept"


def editor_fields(desk: Desk, path: str) -> dict[str, str]:
    """Every field of an editor page as the page fills it in (what a browser would post)."""
    page = desk.console.page(path)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        fields[name] = text.removeprefix("\n")
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option selected value="([^"]*)"',
        page,
        re.S,
    ):
        fields[name] = value
    fields.pop("csrf_token", None)
    return {name: html.unescape(value) for name, value in fields.items()}


def test_the_editor_round_trips_the_2017_report_unchanged(office: Flask) -> None:
    clerk = Desk(office, "wang")
    answer = clerk.says(
        "/admin/reports/2017/edit", editor_fields(clerk, "/admin/reports/2017/edit")
    )
    assert "没有修改任何内容" in answer
    assert report_row(office, 2017).status == ItemStatus.PUBLISHED


def test_the_author_cannot_review_the_report(office: Flask) -> None:
    add_staff(office, "zhao", "approver", name="赵强")
    author, other = Desk(office, "li"), Desk(office, "zhao")
    create_report(author)
    assert "您起草或修改过这份内容" in author.review(AT, "pre")
    assert "预先审查已通过" in other.review(AT, "pre")


def test_every_step_of_a_report_is_audited(office: Flask) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    create_report(clerk)
    clerk.says(f"{AT}/edit", report_form(office))
    approver.review(AT, "pre", "reject", "请补充2025年办件情况")
    clerk.act(AT, "resubmit")
    review_and_publish(approver)
    approver.act(AT, "withdraw", reason="数据有误")
    assert audit_actions(office, "report", YEAR) == [
        ("wang", "report.create"),
        ("wang", "report.edit"),
        ("li", "report.review"),
        ("wang", "report.resubmit"),
        ("li", "report.review"),
        ("li", "report.review"),
        ("li", "report.publish"),
        ("li", "report.withdraw"),
    ]
    assert "修改内容：发布日期、正文、渠道统计" in approver.page("/admin/audit?action=report.edit")


# ---- the statutory tables ----


def test_tables_from_the_case_records_are_stored_in_the_draft_and_shown(
    office: Flask, tables_provider: list[int]
) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    create_report(clerk)
    assert "从办件记录生成统计表" in clerk.page(AT)

    answer = clerk.says(f"{AT}/tables")

    assert tables_provider == [YEAR]
    assert "已从办件记录生成 2 张统计表：三、收到和处理政府信息公开申请情况、四、" in answer
    stored = report_row(office)
    assert stored.statutory_tables == TABLES
    placed = {
        section["title"]: [b["number"] for b in section["blocks"] if b["kind"] == "statutory_table"]
        for section in stored.sections
    }
    assert placed["收到和处理政府信息公开申请情况"] == [1]
    assert placed["政府信息公开行政复议、行政诉讼情况"] == [2]
    assert "统计表1：三、收到和处理政府信息公开申请情况" in clerk.page(AT)
    assert "没有变化" in clerk.says(f"{AT}/tables")

    preview = clerk.page(f"{AT}/preview")
    assert (
        "三、收到和处理政府信息公开申请情况 申请人情况 自然人 法人或其他组织 总计 商业企业 科研机构"
        in preview
    )
    assert "一、本年新收政府信息公开申请数量 7 2 0 9" in preview
    document = pdf_text(clerk.get(f"{AT}/preview.pdf").data)
    assert "三、收到和处理政府信息公开申请情况" in document
    assert "一、本年新收政府信息公开申请数量7209" in document
    assert "行政复议10001" in document

    review_and_publish(approver)
    public = visible_text(office.test_client().get(f"/report/{YEAR}").get_data(as_text=True))
    assert "（一）予以公开 5 1 0 6" in public
    assert "行政复议10001" in pdf_text(office.test_client().get(f"/report/{YEAR}.pdf").data)


def test_generating_tables_after_review_needs_review_again(
    office: Flask, tables_provider: list[int]
) -> None:
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    create_report(clerk)
    review_and_publish(approver)
    clerk.says(f"{AT}/tables")
    assert report_row(office).status == ItemStatus.DRAFT
    assert f"{PUBLIC_URL}/report/{YEAR}" not in Resident(office).says(f"年报 {YEAR}")


def test_a_table_placed_before_it_is_generated_says_so(office: Flask) -> None:
    clerk = Desk(office, "wang")
    create_report(clerk)
    assert report_row(office).statutory_tables is None
    clerk.says(f"{AT}/edit", report_form(office, sections=[("收到和处理申请情况", "【统计表1】")]))
    assert "这里的“统计表1”还没有生成" in clerk.page(f"{AT}/preview")


@pytest.mark.parametrize(
    "failure",
    [
        lambda session, year: 1 / 0,
        lambda session, year: [{"title": "表", "columns": ["a"], "rows": [[1, 2, 3, 4]]}],
        lambda session, year: "not tables",
    ],
    ids=["raises", "ragged rows", "not a list"],
)
def test_a_failing_provider_leaves_the_draft_alone(
    office: Flask,
    tables_provider: list[int],
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[..., Any],
) -> None:
    replace_provider(monkeypatch, failure)
    clerk = Desk(office, "wang")
    create_report(clerk)
    before = report_row(office).revision
    assert "生成统计表时出错，报告没有改动" in clerk.says(f"{AT}/tables")
    after = report_row(office)
    assert after.statutory_tables is None and after.revision == before


# ---- the forms ----


def test_a_new_report_needs_a_year_not_yet_held(office: Flask) -> None:
    clerk = Desk(office, "wang")
    for year, message in (
        ("25", "请填写四位数的年份"),
        ("1999", "请填写四位数的年份"),
        ("2017", "2017年的报告已经有了，请在列表中打开它修改"),
    ):
        response = clerk.post("/admin/reports/new", {"year": year})
        assert message in visible_text(response.get_data(as_text=True)), year
    with office.app_context():
        assert db.get_session().scalars(select(Report.year)).all() == [2017]


def test_wrong_figures_are_explained_and_nothing_is_saved(office: Flask) -> None:
    clerk = Desk(office, "wang")
    create_report(clerk)
    figures = [
        ("", "2025", "2025", "website", "80"),
        ("微信发布", "2026", "2025", "wechat", "五十"),
    ]
    response = clerk.post(
        f"{AT}/edit", report_form(office, figures=figures, issued_on="2026-13-01")
    )
    page = visible_text(response.get_data(as_text=True))
    assert "有内容需要修改，见下方红字。没有保存" in page
    for message in (
        "请填写名称，如“政府网站发布”",
        "起始年不能晚于截止年",
        "条数请填写 0 或正整数",
        "日历上没有“2026-13-01”这一天",
    ):
        assert message in page, message
    assert report_row(office).figures == []


def test_the_reports_list_shows_where_each_stands(office: Flask) -> None:
    clerk = Desk(office, "wang")
    create_report(clerk)
    listing = clerk.page("/admin/reports")
    assert "2025 公主岭市毛城子镇2025年政府信息公开工作年度报告 待预先审查 自动生成" in listing
    assert "2017 公主岭市毛城子镇2017年政府信息公开工作年度报告 已发布" in listing
    assert clerk.get("/admin/reports/2031").status_code == 404
