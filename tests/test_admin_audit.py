"""The audit log and the ``sunshine staff`` commands that write to it.

Entries are written by the CLI (actor ``cli``) and by logins and logouts; nobody
can change or delete one, not even with SQL; the audit page lists them newest
first, filtered by actor and action, and offers no way to change them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask import Flask
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from bot import db
from bot.admin import accounts
from bot.admin import cli as staff_commands
from bot.models.staff import AuditEntry, AuditLogIsAppendOnly
from bot.staff import audit
from tests.servers import ROOT
from tests.support import PASSWORD, Console, add_staff, from_address, staff_row, visible_text


def entries(app: Flask, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(db.get_session().scalars(query))


def staff_cli(app: Flask, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=["staff", *args], input=stdin)


# ---- sunshine staff ----


def test_staff_add_reads_the_password_from_stdin_and_audits(app):
    result = staff_cli(
        app, "add", "wang", "--role", "handler", "--name", "王芳", stdin=PASSWORD + "\n"
    )

    assert result.exit_code == 0, result.output
    assert "Created staff account 'wang' (王芳, handler in town)" in result.output
    assert PASSWORD not in result.output
    [entry] = entries(app, "staff.create")
    assert (entry.actor, entry.staff_id, entry.target_type) == ("cli", None, "staff")
    assert entry.details["username"] == "wang" and entry.details["role"] == "handler"
    assert entry.details["os_user"]
    assert Console(app).login("wang").status_code == 302


@pytest.mark.slow
def test_the_real_command_reads_a_piped_password(app):
    """``echo pw | sunshine staff add ...`` in a shell, with the app's own database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SUNSHINE_")}
    env |= {
        "SUNSHINE_DATABASE_URL": app.config["DATABASE_URL"],
        "SUNSHINE_INSTANCE_PATH": app.instance_path,
        "SUNSHINE_SECRET_KEY": "test",
    }
    result = subprocess.run(
        f"echo '{PASSWORD}' | {sys.executable} -c 'from bot.launch import main; main()' "
        "staff add zhao --role clerk",
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Created staff account 'zhao'" in result.stdout
    assert Console(app).login("zhao").status_code == 302


def test_on_a_terminal_the_password_is_asked_twice_until_it_is_good(app, monkeypatch):
    monkeypatch.setattr(staff_commands, "stdin_is_terminal", lambda: True)
    typed = f"too short\n{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"

    result = staff_cli(app, "add", "wang", "--role", "clerk", stdin=typed)

    assert result.exit_code == 0, result.output
    assert "the password must be at least 10 characters long" in result.output
    assert "Error: The two entered values do not match." in result.output
    assert PASSWORD not in result.output and "too short" not in result.output
    assert Console(app).login("wang").status_code == 302


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("\n", "the password is empty"),
        ("", "the password is empty"),
        ("short pw9\n", "the password must be at least 10 characters long"),
        ("Wang      \n", "the password must not be the username"),
        ("wangwangwang\n", None),
    ],
)
def test_staff_add_refuses_an_empty_or_short_password(app, stdin, message):
    result = staff_cli(app, "add", "wang", "--role", "clerk", stdin=stdin)
    if message is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    with app.app_context():
        assert accounts.find(db.get_session(), "wang") is None
    assert entries(app, "staff.create") == []


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("王芳", "a username is 2 to 40 characters"),
        ("x", "a username is 2 to 40 characters"),
        ("cli", "reserved for the audit log"),
        ("system", "reserved for the audit log"),
    ],
)
def test_staff_add_explains_a_bad_username(app, username, message):
    result = staff_cli(app, "add", username, "--role", "clerk", stdin=PASSWORD)
    assert result.exit_code == 1 and message in result.output


def test_staff_add_refuses_a_taken_username_and_an_unknown_role(app):
    add_staff(app, "wang")
    taken = staff_cli(app, "add", "WANG", "--role", "clerk", stdin=PASSWORD)
    assert taken.exit_code == 1 and "a staff account 'wang' already exists" in taken.output
    role = staff_cli(app, "add", "li", "--role", "boss", stdin=PASSWORD)
    assert role.exit_code == 2 and "'boss' is not one of" in role.output


def test_a_password_is_never_an_argument(app):
    result = staff_cli(app, "add", "wang", "--role", "clerk", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


def test_staff_list_shows_roles_and_states(app):
    add_staff(app, "wang", "handler", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    staff_cli(app, "disable", "li")

    result = staff_cli(app, "list")

    lines = result.output.splitlines()
    header = ["USERNAME", "BODIES:ROLES", "STATE", "LAST", "LOGIN", "(BEIJING)", "NAME"]
    assert lines[0].split() == header
    assert lines[1].split() == ["li", "town:approver", "disabled", "never", "李明"]
    assert lines[2].split() == ["wang", "town:handler", "active", "never", "王芳"]
    assert [entry.details["count"] for entry in entries(app, "staff.list")] == [2]


def test_staff_list_on_an_empty_console_says_how_to_start(app):
    assert "sunshine staff add USER --role admin" in staff_cli(app, "list").output


def test_staff_passwd_sets_a_new_password_and_lifts_the_lock_out(app):
    add_staff(app, "wang")
    console = Console(app)
    for _ in range(5):
        console.login("wang", "wrong password")

    result = staff_cli(app, "passwd", "wang", stdin="a brand new password\n")

    assert result.exit_code == 0 and "Password changed for 'wang'" in result.output
    assert "用户名或密码不正确" in console.login("wang", PASSWORD).get_data(as_text=True)
    assert console.login("wang", "a brand new password").status_code == 302
    [entry] = entries(app, "staff.password")
    assert entry.actor == "cli" and entry.details["username"] == "wang"


def test_staff_list_shows_lock_outs_and_enable_lifts_them_from_every_address(app):
    add_staff(app, "wang")
    for address in ("203.0.113.5", "203.0.113.6"):
        guesser = from_address(app, address)
        for _ in range(5):
            guesser.login("wang", "wrong password")
    assert "active, locked out from 2 address(es)" in staff_cli(app, "list").output
    staff_cli(app, "disable", "wang")

    assert "Any lock-out is lifted." in staff_cli(app, "enable", "wang").output
    assert from_address(app, "203.0.113.5").login("wang").status_code == 302
    assert "locked" not in staff_cli(app, "list").output


def test_staff_passwd_refuses_a_short_password_and_keeps_the_old_one(app):
    add_staff(app, "wang")
    result = staff_cli(app, "passwd", "wang", stdin="short\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    assert Console(app).login("wang").status_code == 302


def test_staff_disable_and_enable(app):
    add_staff(app, "wang")
    console = Console(app)
    console.login("wang")

    disabled = staff_cli(app, "disable", "wang")
    again = staff_cli(app, "disable", "wang")

    assert "Disabled 'wang'" in disabled.output and "already disabled" in again.output
    assert not console.logged_in()
    assert "用户名或密码不正确" in console.login("wang").get_data(as_text=True)
    assert "Enabled 'wang'" in staff_cli(app, "enable", "wang").output
    assert console.login("wang").status_code == 302
    assert [e.action for e in entries(app) if e.action.startswith("staff.")] == [
        "staff.disable",
        "staff.enable",
    ]


def test_staff_role_gives_another_role(app):
    add_staff(app, "wang", "clerk")
    assert "'wang' now has the role handler" in staff_cli(app, "role", "wang", "handler").output
    assert "already has the role handler" in staff_cli(app, "role", "wang", "handler").output
    assert staff_row(app, "wang").role == "handler"
    [entry] = entries(app, "staff.role")
    assert (entry.actor, entry.details["from_role"], entry.details["role"]) == (
        "cli",
        "clerk",
        "handler",
    )


def test_the_commands_name_a_missing_account(app):
    for command in ("passwd", "disable", "enable"):
        result = staff_cli(app, command, "nobody", stdin=PASSWORD)
        assert result.exit_code == 1 and "there is no staff account 'nobody'" in result.output


# ---- logins write entries ----


def test_login_and_logout_are_audited_with_the_member_and_address(app):
    staff_id = add_staff(app, "wang")
    console = Console(app)
    console.login("wang")
    console.logout()

    login, logout = entries(app, "auth.login") + entries(app, "auth.logout")
    for entry in (login, logout):
        assert (entry.actor, entry.staff_id, entry.target_id) == ("wang", staff_id, str(staff_id))
        assert entry.ip == "127.0.0.1"


def test_failed_logins_and_the_lock_out_are_audited_with_the_reason(app):
    staff_id = add_staff(app, "wang")
    console = Console(app)
    for _ in range(5):
        console.login("wang", "wrong password")
    console.login("wang")
    console.login("nobody", "wrong password")

    failed = entries(app, "auth.login_failed")
    assert [entry.details["reason"] for entry in failed] == ["密码错误"] * 5 + [
        "账号已锁定",
        "账号不存在",
    ]
    assert all(entry.actor == "system" for entry in failed)
    assert failed[-1].details["username"] == "nobody" and failed[-1].target_id is None
    [locked] = entries(app, "auth.locked")
    assert locked.target_id == str(staff_id) and locked.details["minutes"] == 15
    assert PASSWORD not in str([entry.details for entry in entries(app)])


# ---- nobody can change the log ----


def test_the_orm_refuses_to_change_or_delete_an_entry(app):
    add_staff(app, "wang")
    Console(app).login("wang")
    with app.app_context():
        session = db.get_session()
        entry = session.scalars(select(AuditEntry)).first()
        entry.action = "auth.logout"
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()
        session.rollback()
        session.delete(session.scalars(select(AuditEntry)).first())
        with pytest.raises(AuditLogIsAppendOnly):
            session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEntry).values(action="auth.logout"),
        update(AuditEntry).values(details={}),
        delete(AuditEntry),
        text("DELETE FROM audit_entry WHERE id > 0"),
    ],
    ids=["update-action", "update-details", "delete-all", "raw-delete"],
)
def test_the_database_refuses_update_and_delete(app, statement):
    add_staff(app, "wang")
    Console(app).login("wang")
    before = [(entry.id, entry.action, entry.details) for entry in entries(app)]
    with app.app_context(), db.get_engine().connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(statement)
        connection.rollback()
    assert [(entry.id, entry.action, entry.details) for entry in entries(app)] == before


def test_record_refuses_an_action_nobody_can_read_or_an_unknown_actor(app):
    with app.app_context():
        with pytest.raises(audit.UnknownAction, match="add it to ACTIONS"):
            audit.record(audit.SYSTEM, "case.vanish")
        with pytest.raises(audit.UnknownDetail, match="add them to DETAILS"):
            audit.record(audit.SYSTEM, "case.note", "case", "SQ1", mood="happy")
        with pytest.raises(ValueError, match="audit actor"):
            audit.record("somebody", "auth.login")


def test_record_joins_the_callers_transaction(app):
    staff_id = add_staff(app, "wang")
    with app.app_context():
        session = db.get_session()
        audit.record(audit.SYSTEM, "staff.disable", "staff", staff_id, reason="测试")
        session.rollback()
    assert entries(app, "staff.disable") == []


# ---- the audit page ----


def approver_console(app: Flask) -> Console:
    add_staff(app, "li", "approver", name="李明")
    console = Console(app)
    console.login("li")
    return console


def test_the_page_lists_entries_newest_first_in_chinese(app):
    add_staff(app, "wang", name="王芳")
    staff_cli(app, "disable", "wang")
    console = approver_console(app)

    page = console.page("/admin/audit")

    rows = page.split("<tbody>")[1].split("</tr>")
    assert "李明（li）" in rows[0] and "登录" in rows[0]
    assert "命令行" in rows[1] and "停用账号" in rows[1] and "账号：wang" in rows[1]
    assert "工作人员账号 王芳（wang）" in rows[1]


def test_every_detail_reads_as_words_not_true_false_or_a_key(app):
    staff_id = add_staff(app, "wang", "clerk")
    with app.app_context():
        session = db.get_session()
        details = [
            ("case.correction_request", dict(reason="请写明年份", days=15, late=False)),
            ("case.correction_request", dict(late=True)),
            ("case.correction_received", dict(received_on="2026-03-05", channel="chat")),
            ("annual.figures", dict(year=2026, keys=["rules.issued", "fees.amount"])),
            ("staff.role", dict(username="wang", role="handler", from_role="clerk")),
            ("report.review", dict(revision=2, step="预先审查", decision="通过")),
        ]
        for action, written in details:
            audit.record(audit.CLI, action, "staff", staff_id, **written)
        session.commit()

    rows = approver_console(app).page("/admin/audit").split("<tbody>")[1].split("</tr>")
    cells = [visible_text(row) for row in rows]
    said = " | ".join(cells)
    for phrase in (
        "在收到申请后7个工作日内通知补正",
        "超过收到申请后7个工作日才通知补正",
        "提交方式：居民在微信中发送",
        "2026年度",
        "修改的数据：规章·本年制发件数、行政事业性收费·本年收费金额（单位：万元）",
        "角色：承办人",
        "原角色：登记员",
        "第2版",
        "系统用户：",
    ):
        assert phrase in said, phrase
    for raw in ("false", "true", "chat", "rules.issued", "from_role", "os_user", "late"):
        assert raw not in said, raw


def test_the_page_filters_by_actor_and_action(app):
    add_staff(app, "wang", name="王芳")
    staff_cli(app, "disable", "wang")
    staff_cli(app, "enable", "wang")
    Console(app).login("wang")
    console = approver_console(app)

    by_cli = console.page("/admin/audit?actor=cli")
    by_action = console.page("/admin/audit?action=auth.login")
    both = console.page("/admin/audit?actor=wang&action=auth.login")
    nothing = console.page("/admin/audit?actor=wang&action=staff.enable")

    assert by_cli.count("<td>命令行</td>") == 2
    assert by_action.count("<td>登录</td>") == 2
    assert both.count("<td>登录</td>") == 1 and "王芳（wang）" in both
    assert "没有符合条件的记录" in nothing


def test_the_page_shows_fifty_at_a_time(app):
    staff_id = add_staff(app, "wang")
    with app.app_context():
        for number in range(60):
            audit.record(audit.SYSTEM, "staff.enable", "staff", staff_id, reason=f"第{number}次")
        db.get_session().commit()
    console = approver_console(app)

    first = console.page("/admin/audit?action=staff.enable")
    older = first.split('href="')[-1].split('"')[0].replace("&amp;", "&")
    second = console.page(older)

    assert first.count("<tr>") - 1 == 50 and "原因：第59次" in first and "更早的记录" in first
    assert second.count("<tr>") - 1 == 10 and "原因：第0次" in second and "最新记录" in second


def test_the_page_is_read_only(app):
    console = approver_console(app)
    page = console.page("/admin/audit")
    assert 'method="post"' not in page.split("<main")[1].lower()
    token = console.token("/admin/audit")
    assert console.client.post("/admin/audit", data={"csrf_token": token}).status_code == 405


# ---- the demo accounts ----


def test_the_demo_accounts_are_an_admin_and_a_head_with_fresh_passwords_each_time(app):
    with app.app_context():
        first = dict((a.username, pw) for a, pw in accounts.ensure_demo_accounts(db.get_session()))
        second = dict((a.username, pw) for a, pw in accounts.ensure_demo_accounts(db.get_session()))
    assert sorted(second) == ["demo", "demo-head"]
    assert all(first[name] != second[name] for name in second)
    assert all(len(pw) >= accounts.MIN_PASSWORD_LENGTH for pw in second.values())
    assert staff_row(app, "demo").role == "admin"
    assert staff_row(app, "demo-head").role == "head"
    console = Console(app)
    assert "用户名或密码不正确" in console.login("demo", first["demo"]).get_data(as_text=True)
    assert console.login("demo", second["demo"]).status_code == 302
    assert Console(app).login("demo-head", second["demo-head"]).status_code == 302
    assert [entry.action for entry in entries(app) if entry.actor == "cli"] == [
        "staff.create",
        "staff.create",
        "staff.password",
        "staff.password",
    ]
