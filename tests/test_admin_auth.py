"""The staff console's door: login, lock-out, CSRF, logout, session expiry, cookies, roles."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from argon2 import profiles
from flask import Flask
from werkzeug.test import TestResponse

from bot import clock, db
from bot.admin import accounts, auth
from bot.staff.roles import GRANTS, PERMISSIONS, Role, UnknownPermission, can
from tests.servers import ROOT, free_port
from tests.support import (
    CSRF_FIELD,
    PASSWORD,
    Console,
    Resident,
    add_staff,
    from_address,
    staff_row,
)


@pytest.fixture
def console(app: Flask) -> Console:
    return Console(app)


# ---- the way in ----


def test_the_console_without_a_login_redirects_to_the_login_page(client):
    for path in ("/admin", "/admin/", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/admin/login")


def test_logging_in_shows_the_home_page_with_name_and_role(app, console):
    add_staff(app, "wang", "handler", name="王芳")

    response = console.login("wang")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    home = console.page("/admin")
    assert "您好，王芳" in home and "承办人" in home and "退出登录" in home
    assert "这是您第一次登录" in home
    assert staff_row(app, "wang").last_login_at is not None


def test_the_home_page_shows_the_previous_login_the_second_time(app, console):
    add_staff(app, "wang", "handler")
    console.login("wang")
    console.logout()
    console.login("wang")
    home = console.page("/admin")
    assert "这是您第一次登录" not in home and "上次登录" in home


def test_usernames_are_not_case_sensitive(app, console):
    add_staff(app, "wang")
    console.login("  Wang ")
    assert console.logged_in()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app, console):
    add_staff(app, "wang")

    wrong = console.login("wang", "not the password")
    unknown = console.login("nobody", "not the password")

    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "用户名或密码不正确。" in response.get_data(as_text=True)
    assert not console.logged_in()


def test_after_login_the_member_returns_to_the_page_asked_for(app, console):
    add_staff(app, "li", "approver")
    first = console.client.get("/admin/audit")
    assert first.headers["Location"] == "/admin/login?next=/admin/audit"
    response = console.login("li", next="/admin/audit")
    assert response.headers["Location"] == "/admin/audit"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/admin",
        "https://evil.example/",
        "/items",
        "/admin/%0D%0ASet-Cookie:%20session=stolen",
        "/admin/audit%0A",
        "/admin/%E2%80%A8audit",
    ],
)
def test_login_never_redirects_outside_the_console(app, console, target):
    add_staff(app, "li")
    assert console.login("li", next=target).headers["Location"] == "/admin/"


def test_a_nul_character_anywhere_in_a_console_request_is_refused_not_a_500(app, console):
    add_staff(app, "boss", "admin")
    console.login("boss")
    token = console.token("/admin/items/new")
    refused = [
        console.client.get("/admin/audit", query_string={"actor": "\x00"}),
        console.client.get("/admin/cases", query_string={"q\x00": "1"}),
        console.client.post("/admin/items/new", data={"csrf_token": token, "title": "通知\x00"}),
    ]
    for response in refused:
        assert response.status_code == 400
        assert "无法保存的空字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", [str(2**31), str(2**63), str(2**64), "-1", "9" * 40])
def test_console_ids_no_database_column_holds_are_404s(app, console, number):
    add_staff(app, "boss", "admin")
    console.login("boss")
    for path in (
        f"/admin/items/{number}",
        f"/admin/items/{number}/edit",
        f"/admin/reports/{number}",
        f"/admin/annual/{number}",
        f"/admin/cases/SQ20261126-0001/photos/{number}",
    ):
        assert console.client.get(path).status_code == 404, path
    for path in (
        f"/admin/audit?before={number}",
        f"/admin/items?year={number}",
        f"/admin/items?page={number}",
        f"/admin/cases?page={number}",
    ):
        assert console.client.get(path).status_code == 200, path


def test_an_empty_form_asks_for_both_fields(console):
    response = console.client.post("/admin/login", data={"csrf_token": console.token()})
    page = response.get_data(as_text=True)
    assert "请输入用户名。" in page and "请输入密码。" in page


# ---- lock-out ----


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, console):
    add_staff(app, "wang")
    for _ in range(4):
        assert "用户名或密码不正确" in console.login("wang", "wrong password").get_data(
            as_text=True
        )

    fifth = console.login("wang", "wrong password").get_data(as_text=True)
    right = console.login("wang", PASSWORD).get_data(as_text=True)

    assert "该账号已被锁定，请 15 分钟后再试" in fifth
    assert "该账号已被锁定" in right
    assert not console.logged_in()


def test_an_unknown_username_locks_the_same_way(console):
    answers = [console.login("ghost", "wrong password").get_data(as_text=True) for _ in range(6)]
    assert all("用户名或密码不正确" in answer for answer in answers[:4])
    assert all("该账号已被锁定，请 15 分钟后再试" in answer for answer in answers[4:])


def test_the_lock_out_ends_after_fifteen_minutes(app, console, monkeypatch):
    add_staff(app, "wang")
    for _ in range(5):
        console.login("wang", "wrong password")
    later = clock.now() + timedelta(minutes=14)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "已被锁定" in console.login("wang").get_data(as_text=True)

    later = clock.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert console.login("wang").status_code == 302
    assert console.logged_in()


def test_a_success_resets_the_count_of_wrong_passwords(app, console):
    add_staff(app, "wang")
    for _ in range(4):
        console.login("wang", "wrong password")
    console.login("wang")
    console.logout()
    for _ in range(4):
        console.login("wang", "wrong password")
    assert console.login("wang").status_code == 302


def test_a_flood_from_one_address_locks_out_that_address_only(app):
    add_staff(app, "wang")
    attacker = from_address(app, "203.0.113.66")
    office = from_address(app, "10.20.30.40")
    for _ in range(20):
        attacker.login("wang", "guessing again")
    assert "该账号已被锁定" in attacker.login("wang").get_data(as_text=True)
    assert office.login("wang").status_code == 302 and office.logged_in()
    assert not attacker.logged_in()


def test_unknown_known_disabled_and_locked_names_cost_one_and_the_same_hash(app, monkeypatch):
    """The time a login takes is one argon2 verification whoever is named: it cannot tell
    which names exist, which are disabled or which are locked."""
    add_staff(app, "wang")
    add_staff(app, "gone")
    disable(app, "gone")
    for _ in range(5):
        from_address(app, "203.0.113.7").login("wang", "guessing")
        from_address(app, "203.0.113.7").login("ghost", "guessing")
    verified: list[str] = []

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash.rsplit("$", 2)[0])  # the algorithm and its costs
        return real_verify(password_hash, password)

    real_verify = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", counting)
    attempts = [
        ("203.0.113.8", "nobody", "guessing"),
        ("203.0.113.8", "wang", "guessing"),
        ("203.0.113.8", "gone", PASSWORD),
        ("203.0.113.7", "wang", PASSWORD),
        ("203.0.113.7", "ghost", "guessing"),
        ("203.0.113.8", "wang", PASSWORD),
    ]
    for address, username, password in attempts:
        from_address(app, address).login(username, password)
    assert len(verified) == len(attempts) and len(set(verified)) == 1


def disable(app: Flask, username: str) -> None:
    with app.app_context():
        session = db.get_session()
        accounts.get(session, username).active = False
        session.commit()


def test_the_dummy_hash_is_made_when_the_app_starts(make_app):
    accounts.dummy_hash.cache_clear()
    make_app()
    assert accounts.dummy_hash.cache_info().currsize == 1


def test_passwords_are_argon2id_at_rfc_9106s_cost_and_rehashed_when_it_changes(
    app, monkeypatch, production_hasher
):
    """The tests hash at the lowest cost (conftest.py); a login with the production hasher
    brings a hash made at another cost up to it."""
    low_memory = profiles.RFC_9106_LOW_MEMORY
    assert production_hasher.type is low_memory.type
    assert production_hasher.time_cost == low_memory.time_cost
    assert production_hasher.memory_cost == low_memory.memory_cost
    assert production_hasher.parallelism == low_memory.parallelism
    add_staff(app, "wang")
    monkeypatch.setattr(accounts, "_hasher", production_hasher)

    assert Console(app).login("wang").status_code == 302

    rehashed = staff_row(app, "wang").password_hash
    assert rehashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.verify_password(rehashed, PASSWORD)


def test_with_redis_down_a_login_is_refused_in_chinese_not_a_500(make_app):
    make_app()
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    add_staff(app, "wang")
    for username in ("wang", "nobody"):
        response = Console(app).login(username)
        assert response.status_code == 503
        assert "系统暂时无法核对登录" in response.get_data(as_text=True)


def test_the_lock_out_is_configurable(make_app):
    app = make_app(ADMIN_MAX_FAILED_LOGINS=2, ADMIN_LOCKOUT=3600)
    add_staff(app, "wang")
    console = Console(app)
    console.login("wang", "wrong password")
    assert "请 60 分钟后再试" in console.login("wang", "wrong password").get_data(as_text=True)
    assert "连续输错 2 次密码，账号将锁定 60 分钟" in console.page("/admin/login")


# ---- CSRF ----


def test_a_login_without_the_csrf_token_is_refused_with_400(app, console):
    add_staff(app, "wang")
    response = console.client.post("/admin/login", data={"username": "wang", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert not console.logged_in()


def test_a_forged_token_or_a_logout_without_one_is_refused(app, console):
    add_staff(app, "wang")
    forged = console.client.post(
        "/admin/login", data={"username": "wang", "password": PASSWORD, "csrf_token": "x" * 40}
    )
    assert forged.status_code == 400
    console.login("wang")
    assert console.client.post("/admin/logout").status_code == 400
    assert console.logged_in()


def test_the_webhook_still_takes_posts_without_a_csrf_token(app):
    assert "请回复下面的词" in Resident(app).says("帮助")


# ---- logout and expiry ----


def test_logout_ends_the_session(app, console):
    add_staff(app, "wang")
    console.login("wang")

    response = console.logout()

    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    assert "您已退出登录。" in console.page("/admin/login")
    assert not console.logged_in()


def test_after_logout_a_copy_of_the_cookie_opens_nothing(app, console):
    add_staff(app, "wang")
    console.login("wang")
    thief = app.test_client()
    thief.set_cookie("session", console.client.get_cookie("session").value)
    assert thief.get("/admin/").status_code == 200

    console.logout()

    response = thief.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    assert "已经退出登录" in thief.get("/admin/login").get_data(as_text=True)


def test_logout_is_a_post_only(app, console):
    add_staff(app, "wang")
    console.login("wang")
    assert console.client.get("/admin/logout").status_code == 405
    assert console.logged_in()


def test_thirty_idle_minutes_end_the_session(app, console):
    add_staff(app, "wang")
    console.login("wang")
    console.age_session(seen=31 * 60)

    response = console.client.get("/admin/")

    assert response.status_code == 302
    assert "超过 30 分钟没有操作，已自动退出" in console.page("/admin/login")
    assert not console.logged_in()


def test_activity_keeps_the_session_alive(app, console):
    add_staff(app, "wang")
    console.login("wang")
    console.age_session(seen=29 * 60)
    assert console.logged_in()
    with console.client.session_transaction() as session:
        assert time.time() - session[auth.SEEN_AT] < 60


def test_eight_hours_end_the_session_even_when_active(app, console):
    add_staff(app, "wang")
    console.login("wang")
    console.age_session(login=8 * 3600 + 1, seen=10)

    assert console.client.get("/admin/").status_code == 302
    assert "登录已超过 8 小时" in console.page("/admin/login")


def test_a_post_after_expiry_goes_to_the_login_page_not_an_error(app, console):
    add_staff(app, "wang")
    console.login("wang")
    token = console.token("/admin/")
    console.age_session(seen=31 * 60)
    response = console.client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"


def test_the_limits_are_configurable(make_app):
    app = make_app(ADMIN_IDLE_TIMEOUT=120, ADMIN_SESSION_LIFETIME=3600)
    add_staff(app, "wang")
    console = Console(app)
    console.login("wang")
    console.age_session(seen=121)
    assert not console.logged_in()
    console.login("wang")
    console.age_session(login=3601, seen=1)
    assert not console.logged_in()


@pytest.mark.parametrize("value", ["abc", 0, -5])
def test_a_bad_limit_stops_the_app_from_starting(make_app, value):
    with pytest.raises(ValueError, match="SUNSHINE_ADMIN_IDLE_TIMEOUT"):
        make_app(ADMIN_IDLE_TIMEOUT=value)


def test_a_new_password_or_a_disabled_account_ends_open_sessions(app):
    add_staff(app, "wang")
    add_staff(app, "li")
    wang, li = Console(app), Console(app)
    wang.login("wang")
    li.login("li")
    with app.app_context():
        session = db.get_session()
        accounts.set_password(accounts.get(session, "wang"), "another password")
        accounts.get(session, "li").active = False
        session.commit()

    assert "您的密码已更改，请用新密码重新登录" in wang.page("/admin/")
    assert "您的账号已停用" in li.page("/admin/")
    assert not wang.logged_in() and not li.logged_in()
    assert "用户名或密码不正确" in li.login("li").get_data(as_text=True)


# ---- cookies and headers ----


def session_cookie(response: TestResponse) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_on_http(app, console):
    add_staff(app, "wang")
    cookie = session_cookie(console.login("wang"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_on_https(app):
    add_staff(app, "wang")
    client = app.test_client()
    token_page = client.get("/admin/login", base_url="https://gzl.example.gov.cn")
    token = CSRF_FIELD.search(token_page.get_data(as_text=True)).group(1)
    response = client.post(
        "/admin/login",
        base_url="https://gzl.example.gov.cn",
        headers={"Referer": "https://gzl.example.gov.cn/admin/login"},
        data={"username": "wang", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Secure" in session_cookie(response)


def test_the_setting_makes_the_cookie_secure_everywhere(make_app):
    app = make_app(COOKIE_SECURE=True)
    add_staff(app, "wang")
    assert "Secure" in session_cookie(Console(app).client.get("/admin/login"))


def test_console_pages_are_not_cached_or_framed(client):
    response = client.get("/admin/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# ---- roles ----

#: What each role may do: one test per cell (bot/staff/roles.py).
EXPECTED = {
    # permission:               clerk  handler approver admin  head  supervisor
    "cases.view": (True, True, True, True, True, True),
    "cases.handle": (False, True, True, True, True, False),
    "cases.reveal_contact": (False, True, True, True, True, False),
    "cases.reveal_reporter": (False, True, True, False, True, False),
    "cases.assign_reporter": (False, False, True, False, True, False),
    "cases.approve_extension": (False, False, False, False, True, False),
    "cases.approve_complaint_extension": (False, False, True, True, True, False),
    "items.edit": (True, True, True, True, True, False),
    "items.review": (False, False, True, True, True, False),
    "items.publish": (False, False, True, True, True, False),
    "audit.view": (False, False, True, True, True, True),
    "office.edit": (False, False, True, True, True, False),
    "staff.manage": (False, False, False, True, False, False),
    "county.view": (False, False, False, False, False, True),
    "county.escalate": (False, False, False, False, False, True),
}
ROLE_ORDER = (Role.CLERK, Role.HANDLER, Role.APPROVER, Role.ADMIN, Role.HEAD, Role.SUPERVISOR)


@pytest.mark.parametrize(
    ("permission", "role", "allowed"),
    [
        (permission, role, row[index])
        for permission, row in EXPECTED.items()
        for index, role in enumerate(ROLE_ORDER)
    ],
)
def test_role_rule(permission, role, allowed):
    assert can(role, permission) is allowed


def test_the_rules_cover_every_permission_and_role():
    assert set(EXPECTED) == set(PERMISSIONS)
    assert set(GRANTS) == set(Role) == set(ROLE_ORDER)


def test_a_misspelt_permission_is_an_error_not_a_refusal():
    with pytest.raises(UnknownPermission):
        can(Role.ADMIN, "audit.veiw")
    with pytest.raises(UnknownPermission):
        auth.permission_required("audit.veiw")


@pytest.mark.parametrize(
    ("role", "status"),
    [("clerk", 403), ("handler", 403), ("approver", 200), ("admin", 200)],
)
def test_the_audit_page_is_for_approvers_and_admins(app, role, status):
    add_staff(app, "member", role)
    console = Console(app)
    console.login("member")
    response = console.client.get("/admin/audit")
    assert response.status_code == status
    if status == 403:
        page = response.get_data(as_text=True)
        assert "没有“查看操作日志”的权限" in page and "审核人、管理员" in page


@pytest.mark.parametrize(("role", "shown"), [("clerk", False), ("approver", True)])
def test_the_navigation_shows_only_pages_the_role_may_open(app, role, shown):
    add_staff(app, "member", role)
    console = Console(app)
    console.login("member")
    assert ("操作日志" in console.page("/admin/")) is shown


# ---- the demo ----


@pytest.mark.slow
def test_sunshine_demo_prints_two_staff_logins_that_work(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SUNSHINE_")} | {
        "SUNSHINE_INSTANCE_PATH": str(tmp_path / "demo"),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.launch import main; main()", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed = []
        for line in process.stdout:
            printed.append(line)
            if "serving only" in line:
                break
        output = "".join(printed)
        console = re.search(r"Staff console: (\S+)", output)
        assert console, f"sunshine demo printed no staff console:\n{output}"
        url = console.group(1)
        assert url == f"http://127.0.0.1:{port}/admin"
        logins = re.findall(r"^ +(\S+) / (\S+) +\((\w+):", output, re.M)
        assert [(name, role) for name, _, role in logins] == [
            ("demo", "admin"),
            ("demo-head", "head"),
        ]
        for (username, password, _), greeting in zip(
            logins, ("您好，演示管理员", "您好，演示负责人"), strict=True
        ):
            browser = requests.Session()
            form = browser.get(url, timeout=10)
            assert form.url.endswith("/admin/login?next=/admin")
            token = CSRF_FIELD.search(form.text).group(1)
            home = browser.post(
                form.url,
                data={"username": username, "password": password, "csrf_token": token},
                timeout=10,
            )
            assert greeting in home.text
    finally:
        process.terminate()
        process.wait(timeout=10)
