"""The typesetting every generated PDF shares (``bot.pdf``): lines broken by 避头尾 — no
。，、；：！？）」』 at the start of a line, no （「『 at its end — read back from the PDFs
themselves with pypdf, the report and the 答复书 alike."""

from __future__ import annotations

import re
from datetime import date

from fpdf.enums import XPos, YPos

from bot.cases.formal import FormalReply, render_pdf
from bot.content.pdf import render_report
from bot.models.content import Report
from bot.pdf import NO_LINE_END, NO_LINE_START, cjk_document, wrap
from tests.support import badly_broken, pdf_lines, pdf_text

#: A long text whose marks fall at every position of a line: clauses of 1 to 12 characters,
#: each ended by a different closing mark, bracketed asides opening anywhere.
CLAUSES = "本镇政务公开工作按照条例要求持续推进落实各项任务"
MARKS = "，。、；：！？）」』"


def long_text() -> str:
    parts = []
    for index in range(160):
        size = index % 12 + 1
        clause = (CLAUSES * 2)[index % len(CLAUSES) :][:size]
        opener = "（「『"[index % 3] if index % 5 == 0 else ""
        parts.append(opener + clause + MARKS[index % len(MARKS)])
    return "".join(parts)


def test_fpdf_alone_would_start_lines_with_marks():
    """What the rules are for: fpdf breaks Chinese anywhere."""
    pdf = cjk_document("对照", None)
    pdf.add_page()
    pdf.multi_cell(0, 6, long_text(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    assert badly_broken(pdf_lines(bytes(pdf.output())))


def test_a_long_paragraph_of_the_report_pdf_keeps_marks_off_line_starts_and_openers_off_ends():
    text = long_text()
    report = Report(
        year=2025,
        title="2025年政府信息公开工作年度报告（“修订”版）",
        issuer="某镇人民政府",
        sections=[{"title": "总体情况", "blocks": [{"kind": "paragraph", "text": text}]}],
        statutory_tables=[
            {
                "title": "三、收到和处理政府信息公开申请情况",
                "columns": ["申请人情况", "自然人", "法人或其他组织：商业企业", "总计"],
                "rows": [[text[:60], 1, 0, 1]],
            }
        ],
        figures=[],
    )
    data = render_report(report)
    lines = pdf_lines(data)
    assert len(lines) > 40, "the text took many lines"
    assert badly_broken(lines) == []
    assert text in pdf_text(data), "nothing lost or reordered"


def test_the_formal_reply_pdf_keeps_them_too():
    text = long_text()
    reply = FormalReply(
        "某镇人民政府", "SQ20261203-0001", "张三", (text, "特此答复。"), date.today()
    )
    data = render_pdf(reply)
    assert badly_broken(pdf_lines(data)) == []
    assert text in re.sub(r"第\d+页共\d+页", "", pdf_text(data)), "the page footer aside"


def test_wrap_moves_a_closing_mark_down_with_the_character_before_it():
    text = "一二三四，五六七八。九十一二、三四五六”。七八"
    lines = wrap(text, 4, len)
    assert "".join(lines) == text
    assert all(len(line) <= 4 for line in lines)
    assert not [line for line in lines if line[0] in NO_LINE_START]


def test_wrap_keeps_an_opening_mark_with_what_it_opens():
    lines = wrap("一二三（四五六「七八九『十", 4, len)
    assert lines == ["一二三", "（四五六", "「七八九", "『十"]
    assert not [line for line in lines if line[-1] in NO_LINE_END]


def test_wrap_lets_marks_stand_when_nothing_can_break_and_keeps_numbers_whole():
    assert wrap("。。。。。", 2, len)[0] == "。。", "nothing but marks: they stand"
    assert wrap("编号：SQ20261203-0001。", 16, len) == ["编号：", "SQ20261203-0001。"]
    assert wrap("第一段\n第二段", 10, len) == ["第一段", "第二段"]
