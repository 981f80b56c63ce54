"""Publishing with review in real headless Chromium: a clerk writes an item, an approver reviews
(预先审查, 保密审查) and publishes it, and a resident then finds it in the chat; a report draft
is previewed, reviewed and published. Screenshots go to ``tests/artifacts/publishing-*.png``.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.servers import serve_in_thread
from tests.support import ARTIFACTS, PASSWORD, PUBLIC_URL, Resident, add_staff

pytestmark = pytest.mark.browser

OFFICE_PC = {"width": 1366, "height": 768}
TITLE = "关于开展冬季森林防火专项检查的通知"


def log_in(browser, base: str, username: str):
    context = browser.new_context(viewport=OFFICE_PC, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/admin/")
    return context, page


def shot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"publishing-{name}.png", full_page=True)


def test_a_clerk_writes_an_approver_reviews_and_publishes_a_resident_finds_it(
    browser,
    app: Flask,
) -> None:
    add_staff(app, "wang", "clerk", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    ARTIFACTS.mkdir(exist_ok=True)
    resident = Resident(app)
    with serve_in_thread(app) as base:
        requested: list[str] = []

        # The clerk writes the item.
        clerk_context, page = log_in(browser, base, "wang")
        page.on("request", lambda request: requested.append(request.url))
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="公开信息").click()
        page.get_by_role("link", name="新建信息").click()
        page.get_by_label("标题", exact=True).fill(TITLE)
        page.get_by_label("类别").select_option("应急管理")
        page.get_by_label("文号").fill("毛政发[2026]40号")
        page.get_by_label("发布日期").fill("2026-11-25")
        page.get_by_label("微信", exact=True).check()
        page.get_by_label("摘要").fill("11月至次年3月开展冬季森林防火专项检查。")
        page.get_by_label("正文").fill("各村、各单位：\n请做好冬季森林防火检查工作。")
        shot(page, "1-clerk-writes")
        page.get_by_role("button", name="保存草稿").click()
        assert page.get_by_role("status").first.inner_text().startswith("已保存为草稿")
        assert page.locator("#stage").inner_text() == "待预先审查"
        assert "只有审核人可以审查" in page.locator(".review-panel").inner_text()
        shot(page, "2-draft")
        item_url = page.url
        clerk_context.close()

        assert TITLE not in resident.says("森林防火检查"), "a draft is not published"

        # The approver reviews it in two steps and publishes it.
        approver_context, page = log_in(browser, base, "li")
        page.on("request", lambda request: requested.append(request.url))
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="公开信息").click()
        page.get_by_label("状态").select_option(label="待我审查")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("tbody tr")).to_have_count(1)  # once the filtered page is in
        shot(page, "3-awaiting-review")
        page.get_by_role("link", name=TITLE).click()
        assert page.url == item_url
        page.get_by_label("审查意见").fill("同意在微信公众号和网站公开，即日发布。")
        page.get_by_role("button", name="提交预先审查结论").click()
        assert page.locator("#stage").inner_text() == "待预先审查", "no decision was chosen"
        assert page.evaluate("document.querySelector('input[name=decision]:invalid') !== null")
        page.get_by_label("通过", exact=True).check()
        page.get_by_role("button", name="提交预先审查结论").click()
        assert page.locator("#stage").inner_text() == "待保密审查"
        shot(page, "4-pre-review-passed")
        page.get_by_label("通过", exact=True).check()
        page.get_by_role("button", name="提交保密审查结论").click()
        assert page.locator("#stage").inner_text() == "已审核，待发布"
        page.get_by_role("button", name="发布").click()
        assert page.locator("#stage").inner_text() == "已发布"
        history = page.locator(".history").inner_text()
        assert "王芳（wang） · 起草" in history and "李明（li） · 发布" in history
        shot(page, "5-published")

        # Residents see it: in the chat and in the catalogue.
        reply = resident.says("森林防火检查")
        assert TITLE in reply
        item_id = item_url.rsplit("/", 1)[1]
        assert f"{PUBLIC_URL}/items/{item_id}" in reply
        page.get_by_role("link", name="在公开目录中查看").click()
        assert page.get_by_role("heading", name=TITLE).is_visible()
        shot(page, "6-in-the-catalogue")

        # The audit log shows every step.
        page.goto(base + "/admin/audit")
        log = page.locator("tbody").inner_text()
        for action in ("新建公开信息", "审查公开信息", "发布公开信息"):
            assert action in log
        approver_context.close()
        assert all(url.startswith(base) for url in requested), "the console must work offline"


def test_a_report_draft_is_previewed_reviewed_and_published(
    browser,
    app: Flask,
) -> None:
    add_staff(app, "wang", "clerk", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    ARTIFACTS.mkdir(exist_ok=True)
    resident = Resident(app)
    with serve_in_thread(app) as base:
        clerk_context, page = log_in(browser, base, "wang")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="年度报告").click()
        page.get_by_role("link", name="新建年度报告").click()
        page.get_by_label("年度").fill("2025")
        page.get_by_role("button", name="新建草稿").click()
        page.wait_for_url(base + "/admin/reports/2025/edit")
        page.get_by_label("发布日期").fill("2026-01-20")
        first = page.locator("fieldset.section-editor").first
        first.get_by_label("内容").fill("2025年，毛城子镇主动公开政府信息138条。")
        page.get_by_label("名称").first.fill("政府网站发布")
        page.get_by_label("起始年").first.fill("2025")
        page.get_by_label("截止年").first.fill("2025")
        page.get_by_label("渠道").first.select_option("website")
        page.get_by_label("条数").first.fill("138")
        shot(page, "7-report-editor")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(base + "/admin/reports/2025")
        page.get_by_role("link", name="预览网页").click()
        assert "这是尚未发布的报告，居民看不到" in page.locator(".notice").first.inner_text()
        shot(page, "8-report-preview")
        clerk_context.close()

        assert "没有2025年的年度报告" in resident.says("年报 2025")

        approver_context, page = log_in(browser, base, "li")
        page.goto(base + "/admin/reports/2025")
        for step in ("预先审查", "保密审查"):
            page.get_by_label("通过", exact=True).check()
            page.get_by_role("button", name=f"提交{step}结论").click()
        page.get_by_role("button", name="发布").click()
        assert page.locator("#stage").inner_text() == "已发布"
        shot(page, "9-report-published")
        approver_context.close()

        reply = resident.says("年报 2025")
        assert reply.startswith("【公主岭市毛城子镇2025年政府信息公开工作年度报告】")
        assert f"{PUBLIC_URL}/report/2025" in reply


def test_an_import_with_mistakes_lists_them_by_row(browser, app: Flask, tmp_path) -> None:
    add_staff(app, "wang", "clerk", name="王芳")
    ARTIFACTS.mkdir(exist_ok=True)
    sheet = tmp_path / "第四季度.csv"
    sheet.write_text(
        "标题,类别,文号,发布日期,渠道\n"
        "2026年第四季度低保金发放情况,民生保障,毛民发〔2026〕12号,2026-12-30,网站\n"
        ",民生保障,,2026-02-30,报纸\n",
        encoding="utf-8-sig",
    )
    with serve_in_thread(app) as base:
        context, page = log_in(browser, base, "wang")
        page.goto(base + "/admin/items/import")
        page.get_by_label("表格文件").set_input_files(sheet)
        page.get_by_role("button", name="检查并导入").click()
        problems = page.get_by_role("alert")
        assert "第四季度.csv 没有导入：请改正下面 3 处问题后重新上传" in problems.inner_text()
        rows = problems.locator("tbody tr").all_inner_texts()
        assert rows == [
            "第 3 行\t标题是空的",
            "第 3 行\t日历上没有“2026-02-30”这一天",
            "第 3 行\t发布渠道“报纸”不是网站、微信、其他之一",
        ]
        shot(page, "10-import-refused")
        context.close()
