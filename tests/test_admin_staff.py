"""``/admin/staff``: an administrator manages the office's accounts at the console — lists them,
adds one (its password generated and shown once), changes a role, disables and enables,
resets a password — each action in the audit log, each form with its CSRF token."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.support import (
    Console,
    Desk,
    add_staff,
    audit_entries,
    staff_row,
    visible_text,
)

PAGE = "/admin/staff"


@pytest.fixture
def office(app: Flask) -> Flask:
    """An administrator (zhou), an approver (li) and a clerk (wang)."""
    add_staff(app, "zhou", "admin", name="周敏")
    add_staff(app, "li", "approver", name="李明")
    add_staff(app, "wang", "clerk", name="王芳")
    return app


def member_id(app: Flask, username: str) -> int:
    return staff_row(app, username).id


def issued_password(page: str) -> str:
    found = re.search(r'id="issued-password">(\w+)<', page)
    assert found, visible_text(page)
    return found.group(1)


def test_an_administrator_sees_every_account_with_role_state_and_last_login(office):
    admin = Desk(office, "zhou")
    assert "工作人员" in admin.page("/admin/")
    page = admin.page(PAGE)
    for line in ("李明", "审核人", "王芳", "登记员", "从未登录"):
        assert line in page
    assert [e.details["count"] for e in audit_entries(office, "staff.list")] == [3]


@pytest.mark.parametrize("username", ["li", "wang"])
def test_only_those_who_may_manage_staff_reach_the_page(office, username):
    desk = Desk(office, username)
    assert "工作人员" not in desk.page("/admin/")
    assert desk.get(PAGE).status_code == 403
    wang = member_id(office, "wang")
    assert desk.post(f"{PAGE}/{wang}/disable").status_code == 403
    assert staff_row(office, "wang").active


def test_a_new_account_gets_a_password_shown_once_that_logs_in(office):
    admin = Desk(office, "zhou")
    answer = admin.post(PAGE, {"username": "Chen", "display_name": "陈静", "role": "handler"})
    page = answer.get_data(as_text=True)
    password = issued_password(page)
    assert "新建了账号：陈静（chen）" in visible_text(page)
    assert staff_row(office, "chen").role == "handler"
    assert password not in admin.page(PAGE), "shown once"
    assert Console(office).login("chen", password).status_code == 302
    [entry] = audit_entries(office, "staff.create")
    assert (entry.actor, entry.details["username"], entry.details["role"]) == (
        "zhou",
        "chen",
        "handler",
    )
    assert password not in str(entry.details)


def test_a_new_account_without_a_role_or_with_a_taken_name_is_explained_in_chinese(office):
    admin = Desk(office, "zhou")
    page = visible_text(
        admin.post(PAGE, {"username": "chen", "display_name": "陈静", "role": ""}).get_data(
            as_text=True
        )
    )
    assert "请从列表中选择角色" in page
    assert 'value="陈静"' in admin.post(
        PAGE, {"username": "chen", "display_name": "陈静", "role": ""}
    ).get_data(as_text=True), "what was typed stays in the form"
    taken = admin.post(PAGE, {"username": "li", "display_name": "李二", "role": "clerk"})
    assert "账号“li”已经存在" in visible_text(taken.get_data(as_text=True))
    bad = admin.post(PAGE, {"username": "陈", "display_name": "陈静", "role": "clerk"})
    assert "账号名由2至40个小写字母" in visible_text(bad.get_data(as_text=True))
    assert audit_entries(office, "staff.create") == []


def test_changing_a_role_changes_what_the_member_may_open(office):
    admin, clerk = Desk(office, "zhou"), Desk(office, "wang")
    assert clerk.get("/admin/audit").status_code == 403
    answer = admin.says(f"{PAGE}/{member_id(office, 'wang')}/role", {"role": "approver"})
    assert "王芳（wang）的角色已改为审核人" in answer
    assert clerk.get("/admin/audit").status_code == 200
    [entry] = audit_entries(office, "staff.role")
    assert (entry.details["from_role"], entry.details["role"]) == ("clerk", "approver")


def test_nobody_disables_or_demotes_themself(office):
    admin = Desk(office, "zhou")
    me = member_id(office, "zhou")
    assert "不能停用自己的账号" in admin.says(f"{PAGE}/{me}/disable")
    assert "不能修改自己的角色" in admin.says(f"{PAGE}/{me}/role", {"role": "clerk"})
    assert staff_row(office, "zhou").active and staff_row(office, "zhou").role == "admin"


def test_a_disabled_member_is_logged_out_and_cannot_log_in_until_enabled(office):
    admin, approver = Desk(office, "zhou"), Desk(office, "li")
    li = member_id(office, "li")
    assert "已停用李明（li）" in admin.says(f"{PAGE}/{li}/disable")
    assert "已停用" in admin.page(PAGE)
    assert approver.get("/admin/").status_code == 302, "their open page is logged out"
    assert Console(office).login("li").status_code != 302
    assert "已启用李明（li）" in admin.says(f"{PAGE}/{li}/enable")
    assert Console(office).login("li").status_code == 302
    assert [e.actor for e in audit_entries(office, "staff.disable")] == ["zhou"]
    assert [e.actor for e in audit_entries(office, "staff.enable")] == ["zhou"]


def test_a_reset_password_replaces_the_old_one(office):
    admin = Desk(office, "zhou")
    page = admin.post(f"{PAGE}/{member_id(office, 'wang')}/password").get_data(as_text=True)
    password = issued_password(page)
    assert "已重设王芳（wang）的密码" in visible_text(page)
    assert Console(office).login("wang").status_code != 302, "the old password no longer works"
    assert Console(office).login("wang", password).status_code == 302
    [entry] = audit_entries(office, "staff.password")
    assert (entry.actor, entry.details["username"]) == ("zhou", "wang")


def test_every_form_needs_its_csrf_token(office):
    admin = Desk(office, "zhou")
    wang = member_id(office, "wang")
    for path in (f"{PAGE}/{wang}/disable", f"{PAGE}/{wang}/password", PAGE):
        answer = admin.console.client.post(path, data={"role": "admin"})
        assert answer.status_code == 400 and "页面已过期" in answer.get_data(as_text=True)
    assert staff_row(office, "wang").active
    assert audit_entries(office, "staff.password") == []


def test_an_unknown_member_is_a_404(office):
    assert Desk(office, "zhou").post(f"{PAGE}/999/disable").status_code == 404
