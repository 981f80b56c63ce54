"""The report editor's text format and the statutory tables' shape, as plain functions."""

from __future__ import annotations

import pytest

from bot.annual import outline, statutory
from bot.annual.statutory import HeaderCell, TableShapeError
from bot.content.pdf import render_report
from bot.content.reports import parse_report
from bot.models.content import Report
from bot.seed import report_text
from tests.support import pdf_text


def test_the_2017_report_goes_through_the_editor_unchanged() -> None:
    sections = parse_report(report_text()).sections
    for section in sections:
        text = outline.blocks_text(section["blocks"])
        assert outline.text_blocks(text) == section["blocks"]
    figures = outline.blocks_text(sections[2]["blocks"])
    assert "【渠道统计】2014年至2017年政府信息公开数据统计表" in figures
    assert figures.endswith("【缺表】2017年度政府信息公开情况")


def test_marks_are_read_with_either_brackets_and_blank_lines_dropped() -> None:
    text = "第一段。\n\n  [统计表 2]  \n【渠道统计】\n【统计表3】表后的说明。\n　第二段。　"
    assert outline.text_blocks(text) == [
        {"kind": "paragraph", "text": "第一段。"},
        {"kind": "statutory_table", "number": 2},
        {"kind": "figures", "caption": ""},
        {"kind": "statutory_table", "number": 3},
        {"kind": "paragraph", "text": "表后的说明。"},
        {"kind": "paragraph", "text": "第二段。"},
    ]
    assert outline.text_blocks("【统计表】不是标记")[0]["kind"] == "paragraph"


def test_a_new_report_follows_the_national_format_from_2021() -> None:
    titles = [section["title"] for section in outline.new_report_sections(2025)]
    assert titles == [
        "总体情况",
        "主动公开政府信息情况",
        "收到和处理政府信息公开申请情况",
        "政府信息公开行政复议、行政诉讼情况",
        "存在的主要问题及改进情况",
        "其他需要报告的事项",
    ]
    assert outline.new_report_sections(2018) == [{"title": "", "blocks": []}]


def test_generated_tables_go_to_the_part_they_belong_to() -> None:
    sections = outline.new_report_sections(2025)
    sections[2]["blocks"] = [{"kind": "paragraph", "text": "全年收到申请9件。"}]
    tables = [
        {"title": "二、主动公开政府信息情况（第二十条第（一）项）", "columns": [], "rows": []},
        {"title": "二、主动公开政府信息情况（第二十条第（五）项）", "columns": [], "rows": []},
        {"title": "三、收到和处理政府信息公开申请情况", "columns": [], "rows": []},
        {"title": "附表：办件来源", "columns": [], "rows": []},
    ]
    placed = outline.place_tables(sections, tables)
    numbers = [[b.get("number") for b in s["blocks"]] for s in placed]
    assert numbers[1] == [1, 2]
    assert numbers[2] == [None, 3], "after what the part already says"
    assert statutory.placed_numbers(placed) == {1, 2, 3}
    assert [t.title for t in statutory.unplaced(placed, tables)] == ["附表：办件来源"]
    assert outline.place_tables(placed, tables) == placed, "placing again adds nothing"
    assert sections[1]["blocks"] == [], "the input is not changed"


def test_tables_are_kept_as_plain_json() -> None:
    checked = statutory.checked(
        [
            {
                "title": " 表四 ",
                "columns": ("类别", "总计"),
                "rows": [("行政复议", 1), ["诉讼", None]],
            }
        ]
    )
    assert checked == [
        {"title": "表四", "columns": ["类别", "总计"], "rows": [["行政复议", 1], ["诉讼", ""]]}
    ]


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"title": "x"}, "expected a list"),
        ([["x"]], "is not a dict"),
        ([{"title": "", "columns": [], "rows": []}], "has no title"),
        ([{"title": "表", "columns": "ab", "rows": []}], "needs lists"),
        ([{"title": "表", "columns": ["a"], "rows": [[1, 2, 3]]}], "3 cells for 1 columns"),
        ([{"title": "表", "columns": ["a"], "rows": ["ab"]}], "not a list"),
    ],
)
def test_tables_of_another_shape_are_refused(tables: object, message: str) -> None:
    with pytest.raises(TableShapeError, match=message):
        statutory.checked(tables)


def test_grouped_columns_get_a_two_row_header() -> None:
    grid = statutory.grid(
        {
            "title": "三",
            "columns": ["申请人情况", "自然人", "法人或其他组织：商业企业", "法人或其他组织：其他", "总计"],
            "rows": [["三、本年度办理结果", "", "", "", ""], ["（一）予以公开", 5, 1, 0, 6.0]],
        }
    )  # fmt: skip
    assert grid.header == [
        [
            HeaderCell("申请人情况", rowspan=2),
            HeaderCell("自然人", rowspan=2),
            HeaderCell("法人或其他组织", colspan=2),
            HeaderCell("总计", rowspan=2),
        ],
        [HeaderCell("商业企业"), HeaderCell("其他")],
    ]
    assert grid.rows[1] == ["（一）予以公开", "5", "1", "0", "6"]
    assert [grid.is_heading(row) for row in grid.rows] == [True, False]


FEES_COLUMN = "本年收费金额（单位：万元）"


def test_a_colon_inside_brackets_is_part_of_the_header_not_a_group() -> None:
    fees = {"title": "二", "columns": ["信息内容", FEES_COLUMN], "rows": [["行政事业性收费", 0]]}
    assert statutory.grid(fees).header == [[HeaderCell("信息内容"), HeaderCell(FEES_COLUMN)]]
    mixed = ["情况", "法人或其他组织：商业企业", "金额（元：角）"]
    assert statutory.header(mixed) == [
        [HeaderCell("情况", rowspan=2), HeaderCell("法人或其他组织"), HeaderCell("金额（元：角）", rowspan=2)],
        [HeaderCell("商业企业")],
    ]  # fmt: skip


def test_the_pdf_keeps_a_bracketed_header_whole() -> None:
    fees = {"title": "二、主动公开政府信息情况（第二十条第（八）项）", "columns": ["信息内容", FEES_COLUMN],
            "rows": [["行政事业性收费", 0]]}  # fmt: skip
    report = Report(year=2025, title="报告", issuer="某镇", sections=[], statutory_tables=[fees],
                    figures=[])  # fmt: skip
    text = pdf_text(render_report(report))
    assert "本年收费金额（单位：万元）" in text, "the colon and both halves in one cell, in order"


def test_a_header_without_the_label_column_gets_an_empty_one() -> None:
    grid = statutory.grid({"title": "表", "columns": ["维持", "纠正"], "rows": [["复议", 1, 0]]})
    assert grid.header == [[HeaderCell(""), HeaderCell("维持"), HeaderCell("纠正")]]
    assert grid.width == 3


def test_the_pdf_shows_tables_where_placed_and_the_others_at_the_end() -> None:
    report = Report(
        year=2025,
        title="2025年政府信息公开工作年度报告",
        issuer="某镇人民政府",
        sections=[
            {"title": "收到和处理政府信息公开申请情况", "blocks": [
                {"kind": "paragraph", "text": "全年收到申请九件。"},
                {"kind": "statutory_table", "number": 1},
            ]},
            {"title": "存在的主要问题及改进情况", "blocks": [
                {"kind": "paragraph", "text": "宣传还不够。"},
                {"kind": "statutory_table", "number": 7},
            ]},
        ],
        statutory_tables=[
            {"title": "三、收到和处理申请情况", "columns": ["情况", "自然人"], "rows": [["新收", 9]]},
            {"title": "附表：来源", "columns": ["来源", "件数"], "rows": [["微信", 4]]},
        ],
        figures=[],
    )  # fmt: skip
    text = pdf_text(render_report(report))
    order = [
        "全年收到申请九件",
        "三、收到和处理申请情况情况自然人新收9",
        "宣传还不够",
        "附表：来源来源件数微信4",
    ]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
