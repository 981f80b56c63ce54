"""A complaint from the chat to its closing, in real headless Chromium against the fake WeChat API.

A resident files a complaint through ``/wechat``; it is overdue. A staff member
logs in (after a wrong password is refused), finds it at the top of the inbox,
replies (the fake WeChat API receives the customer-service message for that
resident), is refused a form posted without its CSRF token, accepts and closes
the complaint with an outcome, and reads the case's trail and the audit log.
Screenshots: ``tests/artifacts/cases-*.png``.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests import fake_wechat
from tests.servers import serve_in_thread
from tests.support import (
    ARTIFACTS,
    OFFICE_PC,
    PASSWORD,
    Resident,
    add_staff,
    backdate,
    file_complaint,
)

pytestmark = pytest.mark.browser

RESIDENT = "o-resident-browser"


def test_a_complaint_from_the_chat_to_its_closing(browser, make_app, fake_api) -> None:
    app: Flask = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )
    resident = Resident(app, openid=RESIDENT)
    Resident(app, openid="o-someone-else").says("帮助")
    number = file_complaint(resident, "村口路灯坏了三天了，晚上很黑", location=True)
    backdate(app, number, 40)
    add_staff(app, "zhao", "approver", name="赵主任")
    ARTIFACTS.mkdir(exist_ok=True)

    with serve_in_thread(app) as base:
        context = browser.new_context(viewport=OFFICE_PC, locale="zh-CN")
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        page.goto(base + "/admin/cases")
        page.get_by_label("用户名").fill("zhao")
        page.get_by_label("密码").fill("wrong password!")
        page.get_by_role("button", name="登录").click()
        assert page.get_by_role("alert").inner_text() == "用户名或密码不正确。"
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base + "/admin/cases")

        first = page.locator("tbody tr").first
        assert number in first.inner_text() and "超期" in first.inner_text()
        page.screenshot(path=ARTIFACTS / "cases-inbox.png", full_page=True)
        first.get_by_role("link", name=number).click()
        page.wait_for_url(f"{base}/admin/cases/{number}")
        assert page.get_by_role("heading", name=number).is_visible()
        assert "已超期" in page.locator("h1").inner_text()
        assert (
            page.get_by_role("link", name="在高德地图中查看")
            .get_attribute("href")
            .startswith("https://uri.amap.com/marker?position=124.810000")
        )
        page.screenshot(path=ARTIFACTS / "cases-case.png", full_page=True)

        page.get_by_label("答复内容").fill("已安排电工明天上午维修，请您留意。")
        page.get_by_role("button", name="发送答复").click()
        page.wait_for_url(f"{base}/admin/cases/{number}")
        assert "已通过客服消息推送给居民" in page.get_by_role("status").inner_text()
        [pushed] = fake_api.api.sent_messages
        assert pushed["touser"] == RESIDENT
        assert "已安排电工明天上午维修" in pushed["text"]["content"]

        page.get_by_label("新备注").fill("电工电话 0434-6100001")
        page.evaluate(
            "document.querySelectorAll('#notes input[name=csrf_token]').forEach(e => e.remove())"
        )
        page.get_by_role("button", name="保存备注").click()
        assert page.get_by_role("heading", name="页面已过期").is_visible()
        page.screenshot(path=ARTIFACTS / "cases-csrf-refused.png")
        page.goto(f"{base}/admin/cases/{number}")
        assert "电工电话" not in page.content()

        page.get_by_role("button", name="受理", exact=True).click()
        page.wait_for_url(f"{base}/admin/cases/{number}")
        page.locator("summary", has_text="办结").click()
        page.get_by_label("办理结果").select_option(label="予以支持")
        page.get_by_label("最终答复").fill("路灯已于今天修复，感谢您的反映。")
        page.get_by_role("button", name="办结并答复").click()
        page.wait_for_url(f"{base}/admin/cases/{number}")
        assert "已办结（予以支持）" in page.get_by_role("status").inner_text()
        assert page.locator(".badge-status").inner_text() == "已办结"
        accepted, final = fake_api.api.sent_messages[1:]
        assert accepted["touser"] == final["touser"] == RESIDENT
        assert "已受理" in accepted["text"]["content"]
        assert "办理结果：予以支持" in final["text"]["content"]
        assert "请您评价本次办理" in final["text"]["content"]

        trail = page.locator("#trail tbody")
        actions = [row.locator("td").nth(2).inner_text() for row in trail.locator("tr").all()]
        assert actions == ["答复居民", "受理投诉", "办结"]
        page.screenshot(path=ARTIFACTS / "cases-closed.png", full_page=True)

        page.get_by_role("navigation", name="主导航").get_by_role("link", name="操作日志").click()
        page.wait_for_url(base + "/admin/audit")
        log = page.locator("tbody").inner_text()
        assert "办结" in log and f"办件 {number}" in log and "赵主任（zhao）" in log
        assert "登录失败" in log
        page.screenshot(path=ARTIFACTS / "cases-audit.png", full_page=True)

        assert "感谢您对" in resident.says("很满意")
        page.goto(base + "/admin/dashboard")
        assert page.locator(".trend-chart rect").count() == 24
        page.screenshot(path=ARTIFACTS / "cases-dashboard.png", full_page=True)
        page.goto(base + "/admin/digest")
        assert page.get_by_role("button", name="打印").is_visible(), "print.js ran under the CSP"

        assert all(url.startswith(base) for url in requested), "the console works offline"
        context.close()
