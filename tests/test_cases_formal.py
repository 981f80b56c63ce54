"""Remedies and the formal reply (答复书): what a closed application tells the applicant.

One function words every remedy notice (``outcomes.remedy_notice``); a refusal to
disclose sends the applicant to reconsideration first (2023 《行政复议法》 Art.
23(1)(四)) and names the office's reconsideration body. Each closed application
has its 答复书: previewed and printed in the console, opened by the applicant —
and nobody else — from ``进度``.
"""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import MetaData, select

from bot import db
from bot.cases import links
from bot.cases.formal import FormalReply, render_pdf
from bot.cases.outcomes import APPLICATION_OUTCOMES, Remedy, outcome, remedy_notice
from bot.content.reports import parse_report
from bot.models import Body
from bot.models.cases import Case
from bot.models.content import Report
from bot.pdf import SYSTEM_FALLBACK_FONTS
from bot.seed import report_text
from tests.support import (
    Resident,
    audit_entries,
    badly_broken,
    case_row,
    file_application,
    generated_row,
    logged_in,
    needs_program,
    pdf_lines,
    pdf_text,
    post,
)

BODY = "公主岭市人民政府"
REFUSAL = {
    "outcome": "3.4",
    "body": "经审查，您申请的信息涉及他人。",
    "reason": "公开会损害第三方合法权益，第三方不同意公开。",
}


def close_as_refusal(app: Flask, resident: Resident) -> str:
    number = file_application(resident)
    console = logged_in(app, "wang", "handler", name="王芳")
    post(console, f"/admin/cases/{number}/close", **REFUSAL)
    return number


def link_in(reply: str) -> str:
    found = re.search(r"答复书（可打印、下载PDF）：(\S+)", reply)
    assert found, reply
    return urlsplit(found.group(1)).path


# ---- the remedies, row by row ----


@pytest.mark.parametrize("chosen", APPLICATION_OUTCOMES, ids=lambda o: o.code)
def test_every_outcome_names_the_body_and_offers_a_direct_lawsuit_only_where_open(chosen):
    notice = remedy_notice(chosen, BODY)
    assert f"60日内向{BODY}申请行政复议" in notice
    if chosen.code == "1":
        assert "6个月内依法向人民法院提起行政诉讼" in notice
        assert "先申请行政复议" not in notice
    elif chosen.code == "2":
        withheld, rest = notice.split("对本答复的其他内容不服的")
        assert (
            "不予公开的部分" in withheld and "应当先申请行政复议，不能直接提起行政诉讼" in withheld
        )
        assert "6个月" not in withheld and "6个月内" in rest
    else:
        assert chosen.remedy is Remedy.RECONSIDERATION_FIRST
        assert "应当先申请行政复议，不能直接提起行政诉讼" in notice
        assert "收到行政复议决定书之日起15日内" in notice and "6个月" not in notice
    assert chosen.basis or chosen.code == "6.3", "each outcome cites its articles"


def test_the_articles_cited_for_refusals():
    assert outcome("3.1").basis.endswith("第十四条")
    assert outcome("3.4").basis.endswith("第十五条、第三十二条")
    assert outcome("4.1").basis.endswith("第三十六条第（四）项、第（五）项")
    assert outcome("5.1").basis.endswith("第三十九条第一款")
    assert all(
        o.basis.startswith("《中华人民共和国政府信息公开条例》")
        for o in APPLICATION_OUTCOMES
        if o.basis
    )


def test_a_refusal_sent_through_the_chat_offers_reconsideration_only(app, resident):
    number = close_as_refusal(app, resident)

    reply = resident.says(f"进度 {number}")

    assert "办理结果：不予公开：保护第三方合法权益" in reply
    assert "依据：《中华人民共和国政府信息公开条例》第十五条、第三十二条" in reply
    assert f"自收到本答复之日起60日内向{BODY}申请行政复议" in reply
    assert "应当先申请行政复议，不能直接提起行政诉讼" in reply
    assert "6个月内" not in reply
    assert case_row(app, number).reconsideration_body == BODY


def test_a_granted_application_may_also_go_to_court_directly(app, resident):
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/close", outcome="1", body="您申请的信息见附件。")

    final = case_row(app, number).replies[-1].body
    assert f"60日内向{BODY}申请行政复议，也可以自收到本答复之日起6个月内" in final
    assert "先申请行政复议" not in final


def test_an_application_is_not_closed_until_the_office_names_its_reconsideration_body(
    app, resident
):
    with app.app_context():
        session = db.get_session()
        session.scalars(select(Body)).one().reconsideration_body = None
        session.commit()
    number = file_application(resident)
    handler = logged_in(app, "wang", "handler")
    page = handler.page(f"/admin/cases/{number}")
    assert "还没有填写行政复议机关，暂时不能办结" in page

    refused = post(handler, f"/admin/cases/{number}/close", **REFUSAL)
    assert refused.status_code == 422
    assert "还没有填写行政复议机关" in refused.get_data(as_text=True)
    assert case_row(app, number).is_open

    assert handler.client.get("/admin/office").status_code == 403
    admin = logged_in(app, "root", "admin")
    form = admin.page("/admin/office")
    assert "公主岭市毛城子镇人民政府" in form and "0434-6631321" in form
    fields = {
        "authority": "公主岭市毛城子镇人民政府",
        "reconsideration_body": "  ",
        "name": "公主岭市毛城子镇政府政务公开办公室",
    }
    token = admin.token("/admin/office")
    empty = admin.client.post("/admin/office", data={**fields, "csrf_token": token})
    assert empty.status_code == 200 and "请填写行政复议机关" in empty.get_data(as_text=True)
    fields["reconsideration_body"] = "长春市人民政府"
    admin.client.post("/admin/office", data={**fields, "csrf_token": token})
    [entry] = audit_entries(app, "office.edit")
    assert entry.actor == "root" and "行政复议机关" in entry.details["changed"]

    post(handler, f"/admin/cases/{number}/close", **REFUSAL)
    assert "60日内向长春市人民政府申请行政复议" in case_row(app, number).replies[-1].body


def test_an_application_moved_to_the_complaint_track_names_the_body_too(app, resident):
    number = file_application(resident, "举报村主任占用集体土地盖房")
    console = logged_in(app, "wang", "handler")
    post(console, f"/admin/cases/{number}/transfer", reason="内容是举报")
    final = case_row(app, number).replies[-1].body
    assert f"60日内向{BODY}申请行政复议" in final and "不能直接提起行政诉讼" in final


# ---- the formal reply in the console ----


def test_staff_preview_the_formal_reply_before_closing(app, resident):
    number = file_application(resident)
    console = logged_in(app, "wang", "handler")

    preview = post(console, f"/admin/cases/{number}/formal/preview", **REFUSAL)

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "预览" in page
    for text in (
        "公主岭市毛城子镇人民政府",
        "政府信息公开申请答复书",
        f"编号：{number}",
        "张三：",
        "申请获取的信息为：“2025年村务公开的财务收支明细”",
        "经审查，您申请的信息涉及他人。",
        "办理结果：不予公开：保护第三方合法权益。",
        "依据：《中华人民共和国政府信息公开条例》第十五条、第三十二条。",
        "理由：公开会损害第三方合法权益，第三方不同意公开。",
        f"60日内向{BODY}申请行政复议",
        "特此答复。",
    ):
        assert text in page, text
    assert "6个月" not in page
    case = case_row(app, number)
    assert case.is_open and case.replies == [], "a preview saves nothing"
    unchosen = post(console, f"/admin/cases/{number}/formal/preview", body="答复")
    assert unchosen.status_code == 422 and "请先选择办理结果" in unchosen.get_data(as_text=True)


def test_a_closed_applications_formal_reply_prints_and_its_pdf_reads_the_same(app, resident):
    number = close_as_refusal(app, resident)
    console = logged_in(app, "li", "clerk")
    case = console.page(f"/admin/cases/{number}")
    assert f"/admin/cases/{number}/formal" in case and "下载PDF" in case

    page = console.page(f"/admin/cases/{number}/formal")
    assert "政府信息公开申请答复书" in page and "预览" not in page and "data-print" in page
    closed_on = case_row(app, number).closed_on
    signed = f"{closed_on.year}年{closed_on.month}月{closed_on.day}日"
    assert signed in page

    response = console.client.get(f"/admin/cases/{number}/formal.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.get_data())
    for expected in (
        "公主岭市毛城子镇人民政府政府信息公开申请答复书",
        f"编号：{number}",
        "张三：",
        "2025年村务公开的财务收支明细",
        "依据：《中华人民共和国政府信息公开条例》第十五条、第三十二条。",
        f"自收到本答复之日起60日内向{BODY}申请行政复议。",
        "应当先申请行政复议，不能直接提起行政诉讼",
        f"特此答复。公主岭市毛城子镇人民政府{signed}",
    ):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert not badly_broken(pdf_lines(response.get_data()))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descendant = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"], "the Chinese font is embedded"

    still_open = file_application(Resident(app, openid="o-other"))
    assert console.client.get(f"/admin/cases/{still_open}/formal").status_code == 404


def test_a_name_outside_the_shipped_font_is_printed_whole_from_the_hosts_font():
    fallback = next((path for path in SYSTEM_FALLBACK_FONTS if path.is_file()), None)
    needs_program(fallback, "no fallback Chinese font (Debian: apt-get install fonts-wqy-microhei)")
    reply = FormalReply(
        "公主岭市毛城子镇人民政府", "SQ20261203-0001", "王喆", ("特此答复。",), date.today()
    )
    assert "王喆：" in pdf_text(render_pdf(reply))


# ---- the resident's link ----


def test_the_residents_progress_links_to_the_formal_reply_only_they_can_open(app, resident):
    number = close_as_refusal(app, resident)

    first = resident.says(f"进度 {number}")  # the final reply, shown in full
    again = resident.says(f"进度 {number}")  # the summary
    path = link_in(first)
    assert link_in(again).startswith("/reply/")
    assert "o-resident" not in path and number not in path

    client = app.test_client()
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "张三：" in html and "下载PDF" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    pdf = client.get(f"{path}.pdf")
    assert pdf.mimetype == "application/pdf" and "张三" in pdf_text(pdf.get_data())

    stranger = Resident(app, openid="o-stranger")
    assert "没有找到这个编号的事项" in stranger.says(f"进度 {number}")
    token = path.removeprefix("/reply/")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/reply/{forged}").status_code == 404
    assert client.get("/reply/not-a-token.pdf").status_code == 404
    assert client.get(f"/replies/{token}").status_code == 404, "a link opens its own page only"


def test_an_old_link_expires_and_says_how_to_get_a_new_one(app, resident, monkeypatch):
    number = close_as_refusal(app, resident)
    path = link_in(resident.says(f"进度 {number}"))
    monkeypatch.setattr(links, "LINK_DAYS", -1)
    expired = app.test_client().get(path)
    assert expired.status_code == 410
    assert "进度 编号" in expired.get_data(as_text=True)


def test_an_open_application_has_no_link(app, resident):
    number = file_application(resident)
    assert "答复书" not in resident.says(f"进度 {number}")


# ---- a database of an earlier release ----


def test_upgrading_fills_the_offices_bodies_the_closed_answers_and_the_printed_sentence(
    empty_app: Flask,
) -> None:
    engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0010")
    parsed = parse_report(report_text())
    sentence = "其中政府网站发布111条，占比43%， 微信发布54条，占比21%， 其他发布91条，占比34%。"
    old_sections = [
        {**s, "blocks": [b for b in s["blocks"] if b.get("text") != sentence]}
        for s in parsed.sections
    ]
    final = "您申请的信息见附件。\n办理结果：予以公开\n如对本答复不服，可以……"
    rows = {
        "office": {"name": "公主岭市毛城子镇政府政务公开办公室"},
        "report": {"year": 2017, "sections": old_sections, "source_text": report_text()},
        "case_record": {"kind": "application", "outcome": "1", "closed_on": date(2026, 11, 25)},
        "case_reply": {"body": final, "final": True},
    }
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for name, values in rows.items():
            table = tables.tables[name]
            connection.execute(
                table.insert().values({**generated_row(connection, table), **values})
            )

    db.upgrade(engine)

    with empty_app.app_context():
        session = db.get_session()
        office = session.scalars(select(Body)).one()
        assert (office.authority, office.reconsideration_body) == (
            "公主岭市毛城子镇人民政府",
            BODY,
        )
        case = session.scalars(select(Case)).one()
        assert (case.final_answer, case.reconsideration_body) == ("您申请的信息见附件。", BODY)
        report = session.scalars(select(Report)).one()
        assert report.sections == parsed.sections
