"""The pages residents open from WeChat, in headless Chromium on a 360 × 740 phone screen.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and Playwright's Python
client; without Chromium these tests skip, except under ``CI=true``, where they
fail. Screenshots are saved in ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from bot import db
from bot.models.content import Report
from tests.servers import serve_in_thread
from tests.support import ARTIFACTS

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser, app: Flask) -> Iterator[tuple[object, str]]:
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_in_thread(app) as base:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
        page = context.new_page()
        yield page, base
        context.close()


def no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"wider than the screen: {widths}"


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("report", "/report/2017", "公主岭市毛城子镇2017年政府信息公开工作年度报告"),
        ("catalogue", "/items", "政府信息公开目录"),
        ("search", "/items?q=低保", "政府信息公开目录"),
        ("item", "/items/1", "2017年第三季度城乡最低生活保障资金发放情况"),
        ("missing", "/report/2001", "没有找到2001年的年度报告"),
    ],
)
def test_pages_fit_a_phone_screen(phone, name: str, path: str, heading: str) -> None:
    page, base = phone
    page.goto(base + path)
    assert page.locator("h1").inner_text() == heading
    no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)


def test_the_pdf_link_on_the_report_page_works(phone) -> None:
    page, base = phone
    page.goto(base + "/report/2017")
    link = page.locator("a#pdf")
    assert link.is_visible()
    href = link.get_attribute("href")
    box = link.bounding_box()
    assert box["height"] >= 44, "big enough to tap"
    with page.expect_response(lambda response: response.url.endswith("/report/2017.pdf")) as got:
        link.click()
    response = got.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # Chromium shows the PDF in its viewer; fetch the same link to read the file itself.
    fetched = page.request.get(base + href)
    assert fetched.body().startswith(b"%PDF-")


def test_the_catalogue_search_form_works(phone) -> None:
    page, base = phone
    page.goto(base + "/items")
    page.fill("input[name=q]", "危改")
    page.click("form.search button")
    page.wait_for_url("**/items?q=*")
    titles = page.locator("ol.items a.title").all_inner_texts()
    assert titles[0] == "2017年农村危房改造对象公示（第三批）"
    page.locator("ol.items a.title").first.click()
    assert page.locator("h1").inner_text() == "2017年农村危房改造对象公示（第三批）"
    no_horizontal_scroll(page)


#: Table 三 of the 2021 format: far wider than a phone.
WIDE_TABLE = {
    "title": "三、收到和处理政府信息公开申请情况",
    "columns": [
        "申请人情况",
        "自然人",
        "法人或其他组织：商业企业",
        "法人或其他组织：科研机构",
        "法人或其他组织：社会公益组织",
        "法人或其他组织：法律服务机构",
        "法人或其他组织：其他",
        "总计",
    ],
    "rows": [["一、本年新收政府信息公开申请数量", 9, 1, 0, 0, 0, 0, 10]],
}


NARROW_TABLE = {"title": "附表：来源", "columns": ["来源", "件数"], "rows": [["微信", 4]]}


def scrolls_sideways(page, box) -> None:
    """``box`` is wider inside than on screen, says so, and scrolls when swiped."""
    hint = box.locator("xpath=..").locator(".scroll-hint")
    assert hint.is_visible() and "左右滑动" in hint.inner_text()
    inside, shown = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert inside > shown, (inside, shown)
    box.evaluate("b => b.scrollBy(120, 0)")
    assert box.evaluate("b => b.scrollLeft") > 0, "it scrolls horizontally"
    no_horizontal_scroll(page)


def test_a_wide_table_on_the_report_page_shows_that_it_scrolls(phone, app: Flask) -> None:
    with app.app_context():
        report = db.get_session().scalars(select(Report).where(Report.year == 2017)).one()
        report.statutory_tables = [WIDE_TABLE, NARROW_TABLE]
        db.get_session().commit()
    page, base = phone
    page.goto(base + "/report/2017")
    box = page.get_by_role("region", name="三、收到和处理政府信息公开申请情况（可左右滑动）")
    scrolls_sideways(page, box)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-wide-table-360.png"))
    narrow = page.get_by_role("region", name="附表：来源（可左右滑动）")
    assert narrow.is_visible()
    assert not narrow.locator("xpath=..").locator(".scroll-hint").is_visible(), "it fits: no hint"
