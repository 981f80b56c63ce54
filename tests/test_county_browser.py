"""The county supervisor's league table in real headless Chromium: two towns' figures, sorted
by overdue and by name, a 督办 sent from the table, and the town's handler reading it in
their inbox. Screenshots: ``tests/artifacts/county-*.png``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from bot import clock, db
from bot.models.cases import APPLICATION, COMPLAINT
from tests.servers import serve_in_thread
from tests.support import ARTIFACTS, OFFICE_PC, PASSWORD, add_case, add_town, member, town

pytestmark = pytest.mark.browser


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/admin/")


def test_a_supervisor_ranks_the_towns_and_escalates(browser, app: Flask) -> None:
    today = clock.today()
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇人民政府")
        add_case(session, first, APPLICATION, today + timedelta(days=20))
        for days in (3, 9):
            add_case(session, second, APPLICATION, today - timedelta(days=days))
        add_case(session, second, COMPLAINT, today + timedelta(days=20))
        session.commit()
        member(session, "zhou", "supervisor", first, second)
        member(session, "chen", "handler", second)
        names = (first.name, second.name)
    ARTIFACTS.mkdir(exist_ok=True)

    with serve_in_thread(app) as base:
        context = browser.new_context(viewport=OFFICE_PC, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, "zhou")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="全县").click()
        page.wait_for_url(base + "/admin/county")
        rows = page.locator("#league-table tbody tr")
        assert rows.nth(0).locator("th").inner_text() == names[1]  # two overdue: first
        assert rows.nth(0).locator("td").nth(1).inner_text() == "2"
        page.screenshot(path=str(ARTIFACTS / "county-league.png"), full_page=True)

        page.get_by_role("link", name="乡镇（行政机关）").click()
        page.wait_for_url(base + "/admin/county?sort=name")
        shown = [rows.nth(n).locator("th").inner_text() for n in range(2)]
        assert shown == sorted(names)

        page.get_by_label(f"督办{names[1]}的内容").fill("两件申请已超期，请三日内答复")
        row = page.locator("#league-table tbody tr", has_text=names[1])
        row.get_by_role("button", name="发出督办").click()
        page.wait_for_url(base + "/admin/county")
        assert f"已向{names[1]}发出督办通知。" in page.get_by_role("status").first.inner_text()
        context.close()

        context = browser.new_context(viewport=OFFICE_PC, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, "chen")
        page.goto(base + "/admin/cases")
        notices = page.locator("#escalations")
        assert "两件申请已超期，请三日内答复" in notices.inner_text()
        page.screenshot(path=str(ARTIFACTS / "county-inbox.png"), full_page=True)
        context.close()
