"""The annual report: parsed from its text, shown in chat, on a page and as a PDF with real text."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from bot import db
from bot.content import pdf
from bot.content.reports import (
    ReportFormatError,
    attach_original_pdf,
    parse_report,
    report_for,
)
from bot.content.stats import errata
from bot.models.content import Item, Report
from bot.seed import report_text, seed
from tests.support import PUBLIC_URL, Resident, pdf_text, town_id

# -- reading the text -------------------------------------------------------------------------


def test_the_2017_report_is_read_into_its_three_parts() -> None:
    report = parse_report(report_text())
    assert report.year == 2017
    assert report.title == "公主岭市毛城子镇2017年政府信息公开工作年度报告"
    assert report.issuer == "毛城子镇人民政府"
    assert report.issued_on.isoformat() == "2017-12-29"
    assert [s["title"] for s in report.sections] == [
        "",
        "基本做法",
        "主动公开信息情况",
        "存在的主要问题及改进措施",
    ]
    preamble = report.sections[0]["blocks"]
    assert "gzlzmczzf@163.com" in preamble[1]["text"], "the contact block stays in the text"


def test_channel_counts_are_read_and_the_sentence_stays_as_printed() -> None:
    report = parse_report(report_text())
    channels = {f.channel.value: f.count for f in report.figures if f.channel}
    assert channels == {"website": 111, "wechat": 54, "other": 91}
    assert {(f.first_year, f.last_year) for f in report.figures if f.channel} == {(2014, 2017)}
    totals = {f.label: f.count for f in report.figures if f.channel is None}
    assert totals == {"累计公开政府信息": 256, "网络信息发布平台公布政府信息": 52}
    blocks = report.sections[2]["blocks"]
    table = blocks.index({"kind": "figures", "caption": "2014年至2017年政府信息公开数据统计表"})
    assert blocks[table + 1] == {
        "kind": "paragraph",
        "text": "其中政府网站发布111条，占比43%， 微信发布54条，占比21%， 其他发布91条，占比34%。",
    }, "the signed text, verbatim, after the table computed from it"
    assert blocks[-1] == {"kind": "missing_table", "caption": "2017年度政府信息公开情况"}, (
        "a caption without data stays, its table is not invented"
    )


def test_counts_that_do_not_add_up_are_refused() -> None:
    broken = report_text().replace("其他发布91条", "其他发布90条")
    with pytest.raises(ReportFormatError, match="add up to 255"):
        parse_report(broken)


def test_seed_is_idempotent(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        seed(session)
        seed(session)
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        examples = session.scalar(select(func.count()).select_from(Item).where(Item.is_example))
        assert examples == session.scalar(select(func.count()).select_from(Item)) == 14


# -- in chat ----------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["年报", "年报 2017", "年报2017年", "年度报告", "/click REPORT"])
def test_the_report_is_a_news_reply_to_its_page(resident: Resident, line: str) -> None:
    reply = resident.says(line)
    assert "公主岭市毛城子镇2017年政府信息公开工作年度报告" in reply
    assert f"{PUBLIC_URL}/report/2017" in reply


def test_the_news_article_has_a_description_and_a_cover(app: Flask) -> None:
    body = Resident(app).chat.text("年报")
    assert "<ArticleCount>1</ArticleCount>" in body
    assert "网站43.4%、微信21.1%、其他35.5%" in body
    assert f"{PUBLIC_URL}/static/report-cover.png" in body
    assert app.test_client().get("/static/report-cover.png").status_code == 200


def test_an_unknown_year_lists_the_years_held(resident: Resident) -> None:
    reply = resident.says("年报 2016")
    assert "没有2016年的年度报告" in reply and "2017年" in reply and "年报 2017" in reply
    assert "2017年政府信息公开工作年度报告" in resident.says("年报在哪下载"), "no year: the latest"


# -- the page ---------------------------------------------------------------------------------


def test_the_report_page_shows_the_parts_the_chart_and_the_pdf_link(client) -> None:
    page = client.get("/report/2017").get_data(as_text=True)
    for text in ("一、基本做法", "二、主动公开信息情况", "三、存在的主要问题及改进措施"):
        assert text in page
    assert "43.4%" in page and "21.1%" in page and "35.5%" in page
    assert 'href="/report/2017.pdf"' in page
    assert "2017年度政府信息公开情况" in page and "报告文本中没有它的数据" in page
    assert "在浏览器打开" in page, "tells residents how to save the PDF from WeChat"
    assert client.get("/report").headers["Location"].endswith("/report/2017")


def test_a_missing_report_is_a_friendly_404(client) -> None:
    for url in ("/report/2016", "/report/2016.pdf"):
        response = client.get(url)
        assert response.status_code == 404
        assert "没有找到2016年的年度报告" in response.get_data(as_text=True)


def test_the_2017_page_keeps_the_printed_34_percent_and_notes_the_computed_share(client) -> None:
    page = client.get("/report/2017").get_data(as_text=True)
    assert "其他发布91条，占比34%。" in page, "the signed text, as printed"
    assert "勘误说明：原文“其他发布91条，占比34%”有误，按条数计算应为91÷256＝35.5%" in page
    assert page.count("勘误说明") == 1, "43% (111 of 256) and 21% (54) are right as printed"


def test_an_erratum_is_computed_from_the_counts_at_the_precision_printed() -> None:
    assert [e.note for e in errata("其他发布91条，占比34%", 256)] == [
        "勘误说明：原文“其他发布91条，占比34%”有误，按条数计算应为91÷256＝35.5%。"
        "原文为已发布的正式文本，照录未改。"
    ]
    assert errata("其他发布91条，占比35.5%", 256) == []
    assert errata("其他发布91条，占比36%", 256) == []
    assert [e.count for e in errata("网站发布10条，占比50%，微信发布30条，占比50%", 40)] == [10, 30]
    assert errata("其他发布91条，占比34%", 0) == []


# -- the PDF ----------------------------------------------------------------------------------


def test_the_generated_pdf_embeds_the_font_and_its_text_extracts(client) -> None:
    response = client.get("/report/2017.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    data = response.get_data()
    text = pdf_text(data)
    assert "公主岭市毛城子镇2017年政府信息公开工作年度报告" in text
    assert "累计向社会公开政府信息256条" in text
    assert "其他发布91条，占比34%。" in text, "the signed text, as printed"
    assert "勘误说明：原文“其他发布91条，占比34%”有误，按条数计算应为91÷256＝35.5%" in text
    assert "43.4%" in text and "35.5%" in text
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    descendant = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"], "the CJK font is embedded"


def test_the_pdf_is_generated_once_and_again_only_when_the_report_changes(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    real_render = pdf.render_report
    monkeypatch.setattr(
        pdf, "render_report", lambda report: renders.append(1) or real_render(report)
    )
    client = app.test_client()
    first = client.get("/report/2017.pdf")
    second = client.get("/report/2017.pdf")
    assert len(renders) == 1 and first.get_data() == second.get_data()
    assert (
        client.get("/report/2017.pdf", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    with app.app_context():
        session = db.get_session()
        report = report_for(session, town_id(session), 2017)
        report.title = "公主岭市毛城子镇2017年政府信息公开工作年度报告（修订）"
        session.commit()
    changed = client.get("/report/2017.pdf")
    assert len(renders) == 2
    assert "（修订）" in pdf_text(changed.get_data())


def test_an_uploaded_original_is_served_as_it_is(app: Flask) -> None:
    original = b"%PDF-1.4\n% the signed original\n%%EOF\n"
    with app.app_context():
        session = db.get_session()
        report = report_for(session, town_id(session), 2017)
        with pytest.raises(ValueError, match="not a PDF"):
            attach_original_pdf(report, b"<html>", "report.html")
        attach_original_pdf(report, original, "2017年报（盖章版）.pdf")
        session.commit()
    response = app.test_client().get("/report/2017.pdf")
    assert response.get_data() == original
    assert "filename*=UTF-8''2017" in response.headers["Content-Disposition"]
