"""The staff console in real headless Chromium on an office PC's screen: log in, look, log out.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and Playwright's Python
client; without Chromium the test skips, except under ``CI=true``, where it
fails. Screenshots are saved in ``tests/artifacts/admin-*.png``.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.servers import serve_in_thread
from tests.support import ARTIFACTS, OFFICE_PC, PASSWORD, add_staff

pytestmark = pytest.mark.browser


def test_a_member_logs_in_looks_around_and_logs_out(browser, app: Flask) -> None:
    add_staff(app, "wang", "approver", name="王芳")
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_in_thread(app) as base:
        context = browser.new_context(viewport=OFFICE_PC, locale="zh-CN")
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        page.goto(base + "/admin")
        assert page.url == base + "/admin/login?next=/admin"
        assert page.get_by_role("heading", name="工作人员登录").is_visible()
        page.screenshot(path=ARTIFACTS / "admin-login.png")

        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill("not the password")
        page.get_by_role("button", name="登录").click()
        assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。"
        assert page.get_by_label("用户名").input_value() == "wang"
        assert page.get_by_label("密码").input_value() == ""
        page.screenshot(path=ARTIFACTS / "admin-login-refused.png")

        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base + "/admin")
        assert page.get_by_role("heading", name="您好，王芳").is_visible()
        assert page.locator(".console-user").inner_text().startswith("王芳审核人")
        navigation = page.get_by_role("navigation", name="主导航")
        assert navigation.get_by_role("link").all_inner_texts() == [
            "首页",
            "公开信息",
            "年度报告",
            "办件",
            "督办",
            "年报统计表",
            "操作日志",
            "单位信息",
        ]
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith(
            '"Microsoft YaHei"'
        ), "the stylesheet did not load"
        page.screenshot(path=ARTIFACTS / "admin-home.png", full_page=True)

        navigation.get_by_role("link", name="操作日志").click()
        page.wait_for_url(base + "/admin/audit")
        rows = page.locator("tbody tr")
        assert rows.count() == 2
        assert "登录" in rows.nth(0).inner_text() and "王芳（wang）" in rows.nth(0).inner_text()
        assert "密码错误" in rows.nth(1).inner_text()
        page.get_by_label("操作", exact=True).select_option("auth.login_failed")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("tbody tr")).to_have_count(1)  # once the filtered page is in
        page.screenshot(path=ARTIFACTS / "admin-audit.png", full_page=True)

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(base + "/admin/login")
        assert page.get_by_role("status").inner_text() == "您已退出登录。"
        page.goto(base + "/admin/audit")
        assert page.url.startswith(base + "/admin/login")
        page.screenshot(path=ARTIFACTS / "admin-logged-out.png")

        assert all(url.startswith(base) for url in requested), "the console must work offline"
        context.close()


#: A phone's screen, where the console's tables are wider than the screen.
PHONE = {"width": 360, "height": 740}


def test_a_wide_console_table_on_a_phone_shows_that_it_scrolls(browser, app: Flask) -> None:
    add_staff(app, "wang", "approver", name="王芳")
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_in_thread(app) as base:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
        page = context.new_page()
        page.goto(base + "/admin/login")
        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.goto(base + "/admin/audit")

        box = page.get_by_role("region", name="表格（可左右滑动）")
        hint = page.locator(".table-scroll .scroll-hint")
        assert hint.is_visible() and hint.inner_text() == "表格较宽，请左右滑动查看 ⇆"
        inside, shown = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert inside > shown, (inside, shown)
        box.evaluate("b => b.scrollBy(150, 0)")
        assert box.evaluate("b => b.scrollLeft") > 0, "it scrolls horizontally"
        page.screenshot(path=ARTIFACTS / "admin-audit-360.png")

        page.set_viewport_size(OFFICE_PC)
        hint.wait_for(state="hidden")  # on an office PC the table fits: no hint
        context.close()
