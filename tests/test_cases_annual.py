"""The annual report's statutory tables from a generated year of cases, against hand-counted totals.

The year 2025: applications carried over from 2024 (one finished in 2024, three
closed in 2025), thirteen received in 2025 from every kind of applicant, closed
through ``bot.cases.handling`` with a spread of outcomes, two still open on 31
December (one closed in January 2026); a complaint and a 2026 application that
must not count; published items and entered figures for table 二; appeals for
table 四. Every expected figure below was counted by hand from that list.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import count

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from bot import db
from bot.admin import accounts
from bot.annual import statutory
from bot.annual import tables as annual
from bot.cases import handling, numbers
from bot.cases.calendar import work_calendar
from bot.cases.intake import set_deadlines
from bot.cases.outcomes import (
    APPLICATION_OUTCOMES,
    TABLE_THREE_GROUPS,
    TABLE_THREE_RESULT_ROWS,
    outcome,
)
from bot.clock import BEIJING
from bot.models.cases import APPLICATION, COMPLAINT, ORGANISATION, PERSON, Case
from bot.models.content import Item
from tests.support import (
    add_staff,
    audit_entries,
    logged_in,
    post,
    scripts_not_our_own,
    town_id,
)

YEAR = 2025
#: (name, received, applicant: PERSON or an organisation kind, closed or None, outcome)
APPLICATIONS = [
    ("A1", date(2024, 11, 20), PERSON, date(2024, 12, 10), "1"),
    ("A2", date(2024, 12, 16), PERSON, date(2025, 1, 8), "1"),
    ("A3", date(2024, 12, 23), "商业企业", date(2025, 1, 15), "3.4"),
    ("A4", date(2024, 12, 27), PERSON, date(2025, 2, 10), "6.1"),
    ("B1", date(2025, 1, 6), PERSON, date(2025, 1, 20), "1"),
    ("B2", date(2025, 2, 10), PERSON, date(2025, 3, 5), "2"),
    ("B3", date(2025, 3, 3), "科研机构", date(2025, 3, 20), "4.1"),
    ("B4", date(2025, 4, 7), PERSON, date(2025, 4, 9), "5.1"),
    ("B5", date(2025, 5, 12), "法律服务机构", date(2025, 6, 3), "3.1"),
    ("B6", date(2025, 6, 2), PERSON, date(2025, 6, 30), "4.3"),
    ("B7", date(2025, 7, 1), "社会公益组织", date(2025, 7, 21), "5.2"),
    ("B8", date(2025, 8, 15), PERSON, date(2025, 9, 1), "6.3"),
    ("B9", date(2025, 9, 1), "其他", date(2025, 9, 10), "1"),
    ("B10", date(2025, 10, 9), PERSON, date(2025, 10, 30), "3.6"),
    ("B11", date(2025, 12, 22), PERSON, None, None),
    ("B12", date(2025, 12, 29), "商业企业", date(2026, 1, 12), "1"),
    ("B13", date(2025, 11, 3), PERSON, date(2025, 11, 20), "1"),
    ("N1", date(2026, 1, 5), PERSON, None, None),
]

#: Hand-counted table 三 of 2025: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
EXPECTED_2025 = {
    "一、本年新收政府信息公开申请数量": [8, 1, 1, 1, 1, 1, 13],  # B1–B13
    "二、上年结转政府信息公开申请数量": [2, 1, 0, 0, 0, 0, 3],  # A2, A3, A4
    "（一）予以公开": [3, 0, 0, 0, 0, 1, 4],  # A2, B1, B13; B9
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": [1, 0, 0, 0, 0, 0, 1],
    "1.属于国家秘密": [0, 0, 0, 0, 1, 0, 1],  # B5
    "2.其他法律行政法规禁止公开": [0] * 7,
    "3.危及“三安全一稳定”": [0] * 7,
    "4.保护第三方合法权益": [0, 1, 0, 0, 0, 0, 1],  # A3
    "5.属于三类内部事务信息": [0] * 7,
    "6.属于四类过程性信息": [1, 0, 0, 0, 0, 0, 1],  # B10
    "7.属于行政执法案卷": [0] * 7,
    "8.属于行政查询事项": [0] * 7,
    "1.本机关不掌握相关政府信息": [0, 0, 1, 0, 0, 0, 1],  # B3
    "2.没有现成信息需要另行制作": [0] * 7,
    "3.补正后申请内容仍不明确": [1, 0, 0, 0, 0, 0, 1],  # B6
    "1.信访举报投诉类申请": [1, 0, 0, 0, 0, 0, 1],  # B4 (moved to the complaint track)
    "2.重复申请": [0, 0, 0, 1, 0, 0, 1],  # B7
    "3.要求提供公开出版物": [0] * 7,
    "4.无正当理由大量反复申请": [0] * 7,
    "5.要求行政机关确认或重新出具已获取信息": [0] * 7,
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": [1, 0, 0, 0, 0, 0, 1],
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": [0] * 7,
    "3.其他": [1, 0, 0, 0, 0, 0, 1],  # B8
    "（七）总计": [9, 1, 1, 1, 1, 1, 14],
    "四、结转下年度继续办理": [1, 1, 0, 0, 0, 0, 2],  # B11 open, B12 closed in 2026
}
HEADINGS = {
    "三、本年度办理结果",
    "（三）不予公开",
    "（四）无法提供",
    "（五）不予处理",
    "（六）其他处理",
}


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=BEIJING).astimezone(UTC)


def generate_year(app: Flask) -> dict[str, str]:
    """The cases of the module docstring; returns name → tracking number."""
    add_staff(app, "wang", "handler", name="王芳")
    serial = count(1)
    names = {}
    with app.app_context():
        session = db.get_session()
        wang = accounts.get(session, "wang")

        def filed(kind: str, received: date, applicant: str) -> Case:
            case = Case(
                body_id=town_id(session),
                kind=kind,
                category="投诉" if kind == COMPLAINT else None,
                status="received",
                submission_id=f"generated-{next(serial)}",
                openid="o-annual",
                created_at=at_noon(received),
                received_on=received,
                extension_days=0,
                anonymous=False,
                text="生成的测试件",
                applicant_kind=ORGANISATION if applicant != PERSON else PERSON,
                organisation_kind=None if applicant == PERSON else applicant,
            )
            set_deadlines(case, work_calendar(session, received))
            prefix = numbers.APPLICATION_PREFIX if kind == APPLICATION else numbers.COMPLAINT_PREFIX
            case.number = numbers.allocate(session, case.body_id, prefix, received)
            session.add(case)
            session.flush()
            return case

        for name, received, applicant, closed, code in APPLICATIONS:
            case = filed(APPLICATION, received, applicant)
            names[name] = case.number
            if closed is None:
                handling.assign(case, wang, wang, at_noon(received))
            elif code == "5.1":
                handling.transfer_to_complaint(session, case, wang, "是投诉", at_noon(closed))
            else:
                reason = None if code == "1" else "依法说明的理由"
                handling.close(session, case, wang, code, "答复", reason, at_noon(closed))
        filed(COMPLAINT, date(2025, 3, 1), PERSON)
        session.commit()
    return names


def table_three_rows(app: Flask, year: int) -> dict[str, list]:
    with app.app_context():
        tables = annual.statutory_tables(db.get_session(), town_id(db.get_session()), year)
    [three] = [t for t in tables if t["title"] == annual.TABLE_THREE_TITLE]
    return {row[0]: row[1:] for row in three["rows"]}


# ---- the outcomes ----


def test_each_outcome_maps_to_exactly_one_row_of_table_three():
    rows = [o.row for o in APPLICATION_OUTCOMES]
    assert len(rows) == len(set(rows)) == len(TABLE_THREE_RESULT_ROWS) == 21
    grouped = [member.row for _, members in TABLE_THREE_GROUPS for member in members]
    assert grouped == rows
    assert outcome("3.4").label == "不予公开：保护第三方合法权益"
    assert outcome("1").label == "予以公开" and not outcome("1").needs_reason
    assert all(o.needs_reason and o.remedy for o in APPLICATION_OUTCOMES if o.code != "1")


# ---- table 三 ----


def test_table_three_of_a_generated_year_matches_the_hand_count(app):
    generate_year(app)

    rows = table_three_rows(app, YEAR)

    for label, expected in EXPECTED_2025.items():
        assert rows[label] == expected, label
    assert {label for label, cells in rows.items() if set(cells) == {""}} == HEADINGS
    assert len(rows) == len(EXPECTED_2025) + len(HEADINGS)
    with app.app_context():
        result = annual.compute(db.get_session(), town_id(db.get_session()), YEAR)
    assert result.check.ok


def test_the_next_year_carries_over_what_was_open(app):
    generate_year(app)
    rows = table_three_rows(app, 2026)
    assert rows["二、上年结转政府信息公开申请数量"] == [1, 1, 0, 0, 0, 0, 2]  # B11, B12
    assert rows["一、本年新收政府信息公开申请数量"] == [1, 0, 0, 0, 0, 0, 1]  # N1
    assert rows["（一）予以公开"] == [0, 1, 0, 0, 0, 0, 1]  # B12
    assert rows["四、结转下年度继续办理"] == [2, 0, 0, 0, 0, 0, 2]  # B11, N1


def test_the_tables_have_the_generic_shape_the_report_editor_embeds(app):
    generate_year(app)
    with app.app_context():
        tables = annual.statutory_tables(db.get_session(), town_id(db.get_session()), YEAR)
    assert [t["title"] for t in tables] == [
        "二、主动公开政府信息情况（第二十条第（一）项）",
        "二、主动公开政府信息情况（第二十条第（五）项）",
        "二、主动公开政府信息情况（第二十条第（六）项）",
        "二、主动公开政府信息情况（第二十条第（八）项）",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]
    for table in tables:
        assert set(table) - {"note"} == {"title", "columns", "rows"}
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
        assert all(isinstance(v, int | float | str) for row in table["rows"] for v in row)
    assert tables[4]["columns"][1:3] == ["自然人", "法人或其他组织：商业企业"]


def test_an_application_closed_without_an_outcome_breaks_the_check(app):
    names = generate_year(app)
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == names["B11"])).one()
        case.status = "closed"  # by hand, as an old record might be
        session.commit()
        result = annual.compute(session, town_id(session), YEAR)
    assert not result.check.ok and result.check.unclassified == [names["B11"]]
    [violation] = [v for v in result.check.violations if v.column == "总计"]
    assert (violation.received, violation.carried_in, violation.closed) == (13, 3, 14)
    assert violation.carried_forward == 1

    output = app.test_cli_runner().invoke(args=["report", "stats", str(YEAR)])

    assert output.exit_code == 1
    assert (
        "CHECK FAILED: table 三 does not add up in column 总计: 13 + 3 != 14 + 1" in output.output
    )
    assert names["B11"] in output.output


# ---- table 二 and table 四 ----


def add_items(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()

        def item(category: str, day: date, **extra: object) -> Item:
            return Item(
                body_id=town_id(session),
                title=f"{category}{day}",
                category=category,
                published_on=day,
                **extra,
            )

        session.add_all(
            [
                item("规范性文件", date(2025, 3, 1)),
                item("行政规范性文件", date(2025, 9, 1)),
                item("行政规范性文件", date(2024, 9, 1)),
                item("行政许可", date(2025, 4, 1)),
                item("行政许可", date(2025, 5, 1)),
                item("行政许可", date(2025, 6, 1)),
                item("行政许可", date(2025, 7, 1), is_example=True),
                item("行政处罚", date(2025, 8, 1), status="draft"),
            ]
        )
        session.commit()


def test_table_two_counts_published_items_and_takes_entered_figures(app):
    add_items(app)
    console = logged_in(app, "clerk", "clerk")

    bad = post(console, f"/admin/annual/{YEAR}/figures", **{"normative.in_force": "十二"})
    assert bad.status_code == 422 and "不是数字" in bad.get_data(as_text=True)
    post(
        console,
        f"/admin/annual/{YEAR}/figures",
        **{"normative.in_force": "12", "licensing.decisions": "5", "fees.amount": "1.2345"},
    )

    with app.app_context():
        tables = annual.statutory_tables(db.get_session(), town_id(db.get_session()), YEAR)
    assert tables[0]["rows"] == [["规章", 0, 0, 0], ["行政规范性文件", 2, 0, 12]]
    assert tables[1]["rows"] == [["行政许可", 5]], "entered figures take precedence"
    assert tables[2]["rows"] == [["行政处罚", 0], ["行政强制", 0]]
    assert tables[3] == {
        "title": "二、主动公开政府信息情况（第二十条第（八）项）",
        "columns": ["信息内容", "本年收费金额（单位：万元）"],
        "rows": [["行政事业性收费", 1.2345]],
    }
    [entry] = audit_entries(app, "annual.figures")
    assert entry.actor == "clerk" and sorted(entry.details["keys"]) == [
        "fees.amount",
        "licensing.decisions",
        "normative.in_force",
    ]
    page = console.page(f"/admin/annual/{YEAR}")
    assert 'name="licensing.decisions" value="5"' in page and ">3<" in page  # counted: 3

    post(console, f"/admin/annual/{YEAR}/figures", **{"licensing.decisions": ""})
    with app.app_context():
        again = annual.statutory_tables(db.get_session(), town_id(db.get_session()), YEAR)
    assert again[1]["rows"] == [["行政许可", 3]], "cleared: back to the count"


def test_table_four_counts_an_appeal_when_it_concludes_and_carries_open_ones_forward(app):
    console = logged_in(app, "wang", "handler")
    filed = [
        ("reconsideration", "2025-03-01", "upheld", "2025-05-01"),
        ("reconsideration", "2025-11-01", "corrected", "2026-01-15"),
        ("lawsuit", "2025-06-01", "corrected", "2025-10-01"),
        ("lawsuit_after_reconsideration", "2025-08-01", None, None),
        ("reconsideration", "2024-12-01", "other", "2025-02-01"),
    ]
    for kind, on, result, decided in filed:
        post(console, f"/admin/annual/{YEAR}/appeals", kind=kind, filed_on=on, reference="案号")
        if result:
            with app.app_context():
                from bot.models.cases import DisclosureAppeal

                newest = (
                    db.get_session()
                    .scalars(select(DisclosureAppeal.id).order_by(DisclosureAppeal.id.desc()))
                    .first()
                )
            post(console, f"/admin/annual/appeals/{newest}", result=result, decided_on=decided)

    def table_four(year: int) -> dict:
        with app.app_context():
            return annual.statutory_tables(db.get_session(), town_id(db.get_session()), year)[-1]

    four = table_four(YEAR)
    assert four["columns"] == ["类别", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert four["rows"] == [
        ["行政复议", 1, 0, 1, 1, 3],  # 2024's concluded in 2025 (other); 2025-11's still open
        ["行政诉讼：未经复议直接起诉", 0, 1, 0, 0, 1],
        ["行政诉讼：复议后起诉", 0, 0, 0, 1, 1],
    ]
    assert table_four(YEAR - 1)["rows"][0] == ["行政复议", 0, 0, 0, 1, 1], "open at the end of 2024"
    assert table_four(YEAR + 1)["rows"] == [
        ["行政复议", 0, 1, 0, 0, 1],  # filed 2025-11, corrected 2026-01-15
        ["行政诉讼：未经复议直接起诉", 0, 0, 0, 0, 0],
        ["行政诉讼：复议后起诉", 0, 0, 0, 1, 1],  # still open: carried into every later year
    ]
    assert "直至审结当年按结果统计" in four["note"]
    assert statutory.checked([four])[0]["note"] == four["note"], "a report keeps it under the table"
    page = console.page(f"/admin/annual/{YEAR}")
    assert "直至审结当年按结果统计" in page and f"{YEAR}年度计为" in page
    assert page.count("2024-12-01") == 1, "the 2024 reconsideration is listed where it counts"
    assert len(audit_entries(app, "annual.appeal")) == 5
    assert len(audit_entries(app, "annual.appeal_result")) == 4
    no_date = post(console, "/admin/annual/appeals/1", result="upheld", decided_on="")
    assert no_date.status_code == 422 and "请填写决定或判决的日期" in no_date.get_data(as_text=True)


# ---- the CLI and the console page ----


def test_sunshine_report_stats_prints_checks_and_exports(app, tmp_path):
    generate_year(app)
    runner = app.test_cli_runner()

    text = runner.invoke(args=["report", "stats", str(YEAR)])
    assert text.exit_code == 0, text.output
    assert "三、收到和处理政府信息公开申请情况" in text.stdout
    total = next(line for line in text.stdout.splitlines() if line.startswith("（七）总计"))
    assert total.split()[1:] == ["9", "1", "1", "1", "1", "1", "14"]
    assert "Check passed" in text.stderr

    as_csv = runner.invoke(args=["report", "stats", str(YEAR), "--format", "csv"])
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(as_csv.stdout)) if row}
    assert rows["四、结转下年度继续办理"] == ["1", "1", "0", "0", "0", "0", "2"]

    target = tmp_path / "tables.xlsx"
    written = runner.invoke(args=["report", "stats", str(YEAR), "--format", "xlsx", "-o", target])
    assert written.exit_code == 0 and f"Wrote the {YEAR} tables to {target}" in written.stderr
    sheet = load_workbook(target).active
    cells = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert list(cells["（七）总计"][:7]) == [9, 1, 1, 1, 1, 1, 14]


def test_the_console_page_shows_the_tables_the_check_and_the_exports(app):
    generate_year(app)
    console = logged_in(app, "clerk", "clerk")

    page = console.page(f"/admin/annual/{YEAR}")
    assert "校验通过" in page and "三、收到和处理政府信息公开申请情况" in page
    assert '<th scope="col" colspan="5">法人或其他组织</th>' in page
    assert '<th scope="col">本年收费金额（单位：万元）</th>' in page, "not broken at its ："
    assert 'scope="col">万元）' not in page
    assert scripts_not_our_own(page) == []
    assert (
        console.client.get("/admin/annual")
        .headers["Location"]
        .endswith(f"/admin/annual/{date.today().year - 1}")
    )

    exported = console.client.get(f"/admin/annual/{YEAR}.csv")
    assert exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"] == (
        f'attachment; filename="annual-report-tables-{YEAR}.csv"'
    )
    text = exported.data.decode("utf-8")
    assert text.startswith("\ufeff二、主动公开政府信息情况")
    assert "（七）总计,9,1,1,1,1,1,14" in text
    workbook = console.client.get(f"/admin/annual/{YEAR}.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert console.client.get(f"/admin/annual/{YEAR}.pdf").status_code == 404
    assert console.client.get("/admin/annual/1999").status_code == 404


@pytest.mark.parametrize("value", ["-1", "1.5", "1e999", "abc"])
def test_a_figure_that_is_not_a_count_is_refused(value):
    figure = annual.FIGURE_KEYS["licensing.decisions"]
    with pytest.raises(annual.AnnualError):
        annual.parse_figure(figure, value)
    assert annual.parse_figure(annual.FIGURE_KEYS["fees.amount"], "0.12345") == Decimal("0.1235")
    assert annual.parse_figure(figure, " ") is None
