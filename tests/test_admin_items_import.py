"""Importing items in the console: every row checked first, errors in Chinese by row number,
all or nothing; imported items are drafts until reviewed; a re-import updates by document number.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from bot import db
from bot.content.review import Stage
from bot.models.content import Item, ItemStatus
from bot.models.staff import AuditEntry
from tests.support import Desk, Resident, add_staff, at, item_row, stage_of, visible_text

HEADER = ["序号", "标题", "类别", "文号", "发布机构", "发布日期", "渠道", "摘要", "附件", "状态"]
GOOD = [
    [1, "2026年第三季度低保资金发放情况", "民生保障", "毛民发[2026]9号", "镇民政办", "2026/10/9",
     "网站", "本季度低保资金发放明细。", "发放表|https://example.gov.cn/a.xlsx", "已发布"],
    [2, "2026年冬季供暖保障工作安排", "民生保障", "", "镇政府办公室", "2026年11月2日", "微信", "",
     "", ""],
]  # fmt: skip


def csv_file(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


def upload(desk: Desk, data: bytes, filename: str) -> str:
    response = desk.post(
        "/admin/items/import",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    return visible_text(response.get_data(as_text=True))


def imported(app: Flask) -> dict[str, Item]:
    with app.app_context():
        rows = db.get_session().scalars(select(Item).where(Item.is_example.is_(False)))
        return {item.title: item for item in rows}


def make_office(app: Flask) -> tuple[Desk, Desk]:
    add_staff(app, "wang", "clerk", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    return Desk(app, "wang"), Desk(app, "li")


def test_an_import_makes_drafts_that_residents_see_only_once_published(app: Flask) -> None:
    clerk, approver = make_office(app)

    answer = upload(clerk, csv_file(GOOD), "第三季度.csv")

    assert "已从 第三季度.csv 导入：新增 2 条，更新 0 条" in answer
    assert "新增和更新的信息都是草稿" in answer and "未识别的列已忽略：序号" in answer
    held = imported(app)
    low = held["2026年第三季度低保资金发放情况"]
    assert low.status == ItemStatus.DRAFT, "a status column does not publish"
    assert low.doc_number == "毛民发〔2026〕9号" and low.published_on == date(2026, 10, 9)
    assert low.attachments == [{"name": "发放表", "url": "https://example.gov.cn/a.xlsx"}]
    assert "低保资金发放情况" not in Resident(app).says("2026年低保资金")
    assert stage_of(app, low.id) == Stage.AWAITING_PRE
    assert "王芳（wang） · 导入" in clerk.page(at(low.id))
    assert "导入自 第三季度.csv" in clerk.page(at(low.id))

    approver.review(at(low.id), "pre")
    approver.review(at(low.id), "secrecy")
    approver.act(at(low.id), "publish")
    assert "2026年第三季度低保资金发放情况" in Resident(app).says("2026年低保资金")
    log = approver.page("/admin/audit?action=item.import")
    assert "文件：第三季度.csv 新增2条 更新0条" in log


def test_every_problem_is_shown_by_row_in_chinese_and_nothing_is_written(app: Flask) -> None:
    clerk, _ = make_office(app)
    rows = [
        GOOD[0],
        [2, "", "民生保障", "毛民发〔2026〕10号", "", "2026-02-30", "报纸", "", "", ""],
        [3, "某通知", "杂项", "毛民发〔2026〕9号", "", "", "网站", "", "附件一", "待定"],
    ]

    answer = upload(clerk, csv_file(rows), "有错.csv")

    assert "有错.csv 没有导入：请改正下面 8 处问题后重新上传" in answer
    assert "一条也没有导入" in answer
    for line in (
        "第 3 行 标题是空的",
        "第 3 行 日历上没有“2026-02-30”这一天",
        "第 3 行 发布渠道“报纸”不是网站、微信、其他之一",
        "第 4 行 类别“杂项”不在公开目录的类别中",
        "第 4 行 日期是空的（请写成 2017-03-01）",
        "第 4 行 附件“附件一”缺少网址（写成 名称|https://...）",
        "第 4 行 状态“待定”不是草稿、已审核、已发布之一",
        "第 4 行 文号 毛民发〔2026〕9号 与第 2 行重复",
    ):
        assert line in answer, line
    assert imported(app) == {}, "all or nothing"


def test_missing_columns_and_wrong_files_are_named(app: Flask) -> None:
    clerk, _ = make_office(app)
    short = upload(clerk, "标题,文号\n某通知,毛政发〔2026〕1号\n".encode(), "少列.csv")
    assert "第 1 行 缺少这些列：“类别”、“发布日期”、“渠道”" in short
    assert "只能导入 .csv 或 .xlsx 文件" in upload(clerk, b"%PDF-1.4", "信息.pdf")
    broken = upload(clerk, b"not a zip", "坏的.xlsx")
    assert "不是可以读取的 Excel（.xlsx）文件" in broken
    assert "文件只有列名，没有信息" in upload(clerk, csv_file([]), "空.csv")
    assert "请选择要导入的 .csv 或 .xlsx 文件" in visible_text(
        clerk.post("/admin/items/import", content_type="multipart/form-data").get_data(as_text=True)
    )


def test_a_reimport_updates_by_document_number_and_sends_changes_back_to_review(
    app: Flask,
) -> None:
    clerk, approver = make_office(app)
    upload(clerk, csv_file(GOOD), "第一次.csv")
    first = imported(app)["2026年第三季度低保资金发放情况"]
    approver.review(at(first.id), "pre")
    approver.review(at(first.id), "secrecy")
    approver.act(at(first.id), "publish")
    assert "低保资金发放情况" in Resident(app).says("2026年低保资金")

    corrected = [
        [1, "2026年第三季度城乡低保资金发放情况（更正）", "民生保障", "毛民发〔2026〕9号",
         "镇民政办", "2026-10-10", "网站", "更正后的明细。", "", ""],
        GOOD[1],
    ]  # fmt: skip
    answer = upload(clerk, csv_file(corrected), "更正.csv")

    assert "新增 0 条，更新 1 条；1 条与已有内容相同，未改动" in answer
    assert "其中 1 条原已发布，已撤下等待重新审查" in answer
    held = imported(app)
    assert len(held) == 2
    updated = held["2026年第三季度城乡低保资金发放情况（更正）"]
    assert updated.id == first.id and updated.revision == 2
    assert updated.status == ItemStatus.DRAFT and updated.summary == "更正后的明细。"
    assert "低保资金发放情况" not in Resident(app).says("2026年低保资金")
    unchanged = held["2026年冬季供暖保障工作安排"]
    assert unchanged.revision == 1


def test_excel_workbooks_and_gb18030_csv_files_import(app: Flask) -> None:
    clerk, _ = make_office(app)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["标题", "类别", "文号", "发布日期", "渠道"])
    sheet.append(
        ["2026年村级财务收支公开", "财政预决算", "毛财发（2026）5号", date(2026, 5, 6), "微信"]
    )
    data = io.BytesIO()
    workbook.save(data)
    assert "新增 1 条" in upload(clerk, data.getvalue(), "财务.xlsx")
    assert "新增 1 条" in upload(clerk, csv_file([GOOD[1]], "gb18030"), "供暖.csv")
    held = imported(app)
    assert held["2026年村级财务收支公开"].doc_number == "毛财发〔2026〕5号"
    assert "2026年冬季供暖保障工作安排" in held


def test_an_upload_over_the_size_limit_is_refused_with_a_page(make_app) -> None:
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    clerk, _ = make_office(app)
    response = clerk.post(
        "/admin/items/import",
        {"file": (io.BytesIO(b"x" * (100 * 1024)), "大.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "文件太大 上传的文件超过 64 KB，没有保存" in visible_text(
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.get_session().scalar(select(func.count()).select_from(Item)) == 14


def test_the_default_limit_is_twenty_mebibytes(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    clerk, _ = make_office(app)
    assert "最大 20 MB" in clerk.page("/admin/items/import")


def test_the_import_template_can_be_downloaded_and_imported(app: Flask) -> None:
    clerk, _ = make_office(app)
    template = clerk.get("/admin/items/import/template.csv")
    assert template.mimetype == "text/csv"
    assert "新增 1 条" in upload(clerk, template.data, "模板.csv")
    assert item_row(app, max(i.id for i in imported(app).values())).status == ItemStatus.DRAFT


def test_the_command_line_import_is_audited_too(app: Flask, tmp_path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(csv_file(GOOD))
    result = app.test_cli_runner().invoke(args=["items", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = (
            db.get_session()
            .scalars(select(AuditEntry).where(AuditEntry.action == "item.import"))
            .one()
        )
    assert entry.actor == "cli"
    assert entry.details["file"] == "catalogue.csv" and entry.details["created"] == 2
