"""The pages residents open from WeChat, in headless Chromium on a 360 × 740 phone screen.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and Playwright's Python
client; without Chromium these tests skip, except under ``CI=true``, where they
fail. Screenshots are saved in ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

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
