"""``sunshine items import``: every row checked first, plain errors by row, all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from bot import db
from bot.content.catalogue import canonical_doc_number
from bot.models.content import Item
from tests.support import GOOD, Resident, write_csv


def run_import(app: Flask, path: Path):
    return app.test_cli_runner().invoke(args=["items", "import", str(path)])


def items(app: Flask) -> dict[str, Item]:
    with app.app_context():
        found = db.get_session().scalars(select(Item).where(Item.is_example.is_(False)))
        return {item.title: item for item in found}


def test_a_csv_is_imported_and_found_in_chat(app: Flask, tmp_path: Path) -> None:
    result = run_import(app, write_csv(tmp_path / "items.csv", GOOD))
    assert result.exit_code == 0, result.stderr
    assert "Imported 2 items from items.csv into town: 2 new, 0 updated." in result.stdout
    assert "Ignored columns: 序号" in result.stdout
    held = items(app)
    first = held["2018年第一季度低保资金发放情况"]
    assert first.doc_number == "毛民发〔2018〕3号"
    assert first.published_on == date(2018, 4, 2) and first.channel == "website"
    assert first.attachments == [{"name": "发放表", "url": "https://example.gov.cn/a.xlsx"}]
    assert held["2018年春季防汛物资储备情况"].doc_number is None
    assert "2018年第一季度低保资金发放情况" in Resident(app).says("低保")


def test_every_problem_is_reported_by_row_and_nothing_is_written(
    app: Flask, tmp_path: Path
) -> None:
    rows = [
        GOOD[0],
        [2, "", "民生保障", "毛民发〔2018〕4号", "", "2018-02-30", "报纸", "", ""],
        [3, "某通知", "杂项", "毛民发〔2018〕3号", "", "", "网站", "", "附件一"],
    ]
    result = run_import(app, write_csv(tmp_path / "bad.csv", rows))
    assert result.exit_code == 1
    errors = result.stderr
    assert "Nothing was imported from bad.csv" in errors
    assert "row 3: the title is empty" in errors
    assert "row 3: '2018-02-30' is not a real day of the calendar" in errors
    assert "row 3: channel '报纸' is not one of 网站、微信、其他" in errors
    assert "row 4: category '杂项' is not in the catalogue" in errors
    assert "row 4: the date is empty" in errors
    assert "row 4: document number 毛民发〔2018〕3号 is also on row 2" in errors
    assert "row 4: the attachment '附件一' needs a web address" in errors
    assert "Traceback" not in errors
    assert items(app) == {}, "all or nothing"


def test_missing_columns_are_named(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("标题,文号\n某通知,毛政发〔2018〕1号\n", encoding="utf-8")
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "row 1: these columns are missing: category (类别 or 分类)" in result.stderr


def test_reimport_updates_by_document_number(app: Flask, tmp_path: Path) -> None:
    run_import(app, write_csv(tmp_path / "first.csv", GOOD))
    changed = [[1, "2018年第一季度城乡低保资金发放情况（更正）", "民生保障", "毛民发〔2018〕3号", "镇民政办",
                "2018-04-03", "其他", "更正后的明细。", ""]]  # fmt: skip
    result = run_import(app, write_csv(tmp_path / "second.csv", changed))
    assert "0 new, 1 updated" in result.stdout
    held = items(app)
    assert len(held) == 2
    updated = held["2018年第一季度城乡低保资金发放情况（更正）"]
    assert updated.channel == "other" and updated.summary == "更正后的明细。"
    assert "（更正）" in Resident(app).says("低保资金")


def test_excel_files_and_gbk_csv_files_import(app: Flask, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["title", "category", "doc_number", "published_on", "channel"])
    sheet.append(
        ["2018年村级财务收支公开", "财政预决算", "毛财发（2018）5号", date(2018, 5, 6), "wechat"]
    )
    workbook.save(tmp_path / "items.xlsx")
    assert run_import(app, tmp_path / "items.xlsx").exit_code == 0
    gbk = write_csv(tmp_path / "gbk.csv", [GOOD[1]], encoding="gb18030")
    assert run_import(app, gbk).exit_code == 0
    held = items(app)
    assert held["2018年村级财务收支公开"].doc_number == "毛财发〔2018〕5号"
    assert held["2018年村级财务收支公开"].published_on == date(2018, 5, 6)
    assert "2018年春季防汛物资储备情况" in held


def test_other_files_are_refused_plainly(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "items.txt"
    path.write_text("标题\n", encoding="utf-8")
    result = run_import(app, path)
    assert result.exit_code == 1 and "only .csv and .xlsx files can be imported" in result.stderr


def test_document_numbers_have_one_canonical_form() -> None:
    for raw in (
        "毛政发[2017]12号",
        "毛政发 【2017】 12号",
        "毛政发（2017）12号",
        "毛政发〔2017〕12号",
    ):
        assert canonical_doc_number(raw) == "毛政发〔2017〕12号"
    assert canonical_doc_number("  ") is None


def test_examples_can_be_removed_before_going_live(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["items", "remove-examples"])
    assert "Removed 14 example items from town." in result.output
    with app.app_context():
        assert db.get_session().scalar(select(func.count()).select_from(Item)) == 0
    assert "没有找到" in Resident(app).says("低保")
