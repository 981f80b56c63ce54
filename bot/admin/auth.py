"""Logging in and out of the console, session expiry, CSRF, and the decorators that guard pages.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure on HTTPS or
when ``SUNSHINE_COOKIE_SECURE`` is set). It holds the member's id, an HMAC of
their password hash (so a new password or a disabled account ends every open
session at the next request), the member's session generation (logging out moves
it on in the database, so a copy of the cookie is worth nothing afterwards, on any
PC), the login time (``SUNSHINE_ADMIN_SESSION_LIFETIME``, absolute) and the time of
the last request (``SUNSHINE_ADMIN_IDLE_TIMEOUT``).

Before every console request ``_guard`` loads the member into ``g.staff`` (or
None), ends an expired session, then checks the CSRF token of every POST, PUT,
PATCH and DELETE: a form only needs ``{{ csrf_token() }}`` in a hidden
``csrf_token`` field. Views are protected with ``login_required`` or
``permission_required("audit.view")`` (roles are data in ``bot.staff.roles``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import ParamSpec
from urllib.parse import urlsplit

import redis
from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bot import clock
from bot.admin import accounts
from bot.admin.accounts import LockoutPolicy, LoginAttempt, Outcome
from bot.admin.console import PermissionDenied, bp, csrf, may
from bot.db import get_session
from bot.models.staff import Staff
from bot.staff.roles import check_permission
from bot.store import get_redis

Params = ParamSpec("Params")
View = Callable[Params, ResponseReturnValue]

log = logging.getLogger(__name__)

STAFF_ID = "admin.staff_id"
AUTH = "admin.auth"
GENERATION = "admin.generation"
LOGIN_AT = "admin.login_at"
SEEN_AT = "admin.seen_at"
PREVIOUS_LOGIN = "admin.previous_login"
#: The last-request time is rewritten at most this often (each rewrite is a new cookie).
SEEN_RESOLUTION = 60

REFUSED = "用户名或密码不正确。"
LOCKED = "连续输错密码次数过多，该账号已被锁定，请 {minutes} 分钟后再试。"
NO_STORE = "系统暂时无法核对登录（缓存服务不可用），请几分钟后再试；一直这样请联系系统管理员。"


#: Settings in seconds or counts that must be positive whole numbers.
NUMBER_SETTINGS = (
    "ADMIN_SESSION_LIFETIME",
    "ADMIN_IDLE_TIMEOUT",
    "ADMIN_MAX_FAILED_LOGINS",
    "ADMIN_LOCKOUT",
)


def check_settings(app: Flask) -> None:
    """Refuse to start with a setting that would break logins at the first request."""
    for key in NUMBER_SETTINGS:
        value = app.config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"SUNSHINE_{key} must be a positive whole number, not {value!r}")
    accounts.dummy_hash()  # made now, so that the first unknown name costs no extra hash


def lockout_policy() -> LockoutPolicy:
    config = current_app.config
    return LockoutPolicy(
        int(config["ADMIN_MAX_FAILED_LOGINS"]), timedelta(seconds=int(config["ADMIN_LOCKOUT"]))
    )


def session_fingerprint(staff: Staff) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, staff.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


# ---- every console request ----


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    g.staff = None
    if STAFF_ID in session:
        ended = _load_staff()
        if ended is not None:
            return ended
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


def _load_staff() -> ResponseReturnValue | None:
    """Put the logged-in member in ``g.staff``, or end the session and send them to log in."""
    now = time.time()
    config = current_app.config
    notice = None
    staff = None
    if now - session.get(LOGIN_AT, 0) > config["ADMIN_SESSION_LIFETIME"]:
        notice = f"登录已超过 {_duration(config['ADMIN_SESSION_LIFETIME'])}，请重新登录。"
    elif now - session.get(SEEN_AT, 0) > config["ADMIN_IDLE_TIMEOUT"]:
        notice = f"超过 {_duration(config['ADMIN_IDLE_TIMEOUT'])}没有操作，已自动退出，请重新登录。"
    else:
        staff = get_session().get(Staff, session[STAFF_ID])
        if staff is None or not staff.active:
            notice = "您的账号已停用，如有疑问请联系管理员。"
        elif not hmac.compare_digest(session.get(AUTH, ""), session_fingerprint(staff)):
            notice = "您的密码已更改，请用新密码重新登录。"
        elif session.get(GENERATION) != staff.session_generation:
            notice = "这个账号已经退出登录（也可能是在另一台电脑上退出的），请重新登录。"
    if notice is None:
        g.staff = staff
        if now - session.get(SEEN_AT, 0) > SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return None
    session.clear()
    flash(notice, "warning")
    if request.endpoint == "admin.login" and request.method == "GET":
        return None
    return _to_login()


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    return f"{max(1, round(seconds / 60))} 分钟"


def _to_login() -> ResponseReturnValue:
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target))


# ---- decorators ----


def login_required(view: View[Params]) -> View[Params]:
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Params.args, **kwargs: Params.kwargs) -> ResponseReturnValue:
        if g.staff is None:
            return _to_login()
        return view(*args, **kwargs)

    return wrapped


def permission_required(permission: str) -> Callable[[View[Params]], View[Params]]:
    """Allow members whose role in the body they work in grants ``permission``; others get a
    403 page saying who may."""
    check_permission(permission)

    def decorate(view: View[Params]) -> View[Params]:
        @functools.wraps(view)
        def wrapped(*args: Params.args, **kwargs: Params.kwargs) -> ResponseReturnValue:
            if not may(permission):
                raise PermissionDenied(permission)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorate


# ---- logging in and out ----


class LoginForm(FlaskForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名。"),
            Length(max=40, message="用户名最多 40 个字符。"),
        ],
    )
    password = PasswordField(
        "密码",
        validators=[
            DataRequired("请输入密码。"),
            Length(max=accounts.MAX_PASSWORD_LENGTH, message="密码太长。"),
        ],
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if g.staff is not None:
        return redirect(_next_page())
    form = LoginForm()
    policy = lockout_policy()
    error = None
    if form.validate_on_submit():
        db_session = get_session()
        try:
            attempt = accounts.authenticate(
                db_session,
                get_redis(),
                form.username.data,
                form.password.data,
                source=request.remote_addr or "unknown",
                policy=policy,
                now=clock.now(),
            )
        except redis.RedisError:
            log.error("console login refused: the store is unreachable, guesses cannot be counted")
            db_session.rollback()
            page = render_template("admin/login.html", form=form, error=NO_STORE, policy=policy)
            return page, 503
        db_session.commit()
        if attempt.outcome is Outcome.OK:
            _start_session(attempt)
            return redirect(_next_page())
        error = (
            LOCKED.format(minutes=policy.minutes) if attempt.outcome is Outcome.LOCKED else REFUSED
        )
    return render_template("admin/login.html", form=form, error=error, policy=policy)


def _start_session(attempt: LoginAttempt) -> None:
    staff = attempt.staff
    assert staff is not None
    session.clear()  # a new login starts from an empty session (and a new CSRF token)
    now = time.time()
    session[STAFF_ID] = staff.id
    session[AUTH] = session_fingerprint(staff)
    session[GENERATION] = staff.session_generation
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    if attempt.previous_login is not None:
        session[PREVIOUS_LOGIN] = attempt.previous_login.isoformat()


def _next_page() -> str:
    """Where to go after logging in: a console page named by ``next``, else the home page.

    Control characters (a CR/LF would split the Location header) and backslashes, which
    browsers read as slashes, are never part of a console page's address.
    """
    target = request.args.get("next", "")
    parts = urlsplit(target)
    local = not parts.scheme and not parts.netloc and not target.startswith("//")
    if (
        local
        and target.isprintable()
        and "\\" not in target
        and (parts.path == "/admin" or parts.path.startswith("/admin/"))
    ):
        return target
    return url_for("admin.home")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the member's sessions on the server (every PC's), not only this cookie."""
    if g.staff is not None:
        accounts.log_out(get_session(), g.staff)
        get_session().commit()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("admin.login"))
