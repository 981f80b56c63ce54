"""The console's shell: the ``admin`` blueprint, its navigation, page headers and error pages.

A new console page is a view on ``bp`` in a module of this package (import the
module in ``bot.admin.init_app``), protected with ``permission_required`` from
``bot.admin.auth``, rendering a template that extends ``admin/base.html``. To put
it in the navigation, add a ``NavEntry`` to ``NAVIGATION``: each member sees the
entries their role permits, on every page and on the home page.

Pages are for an office PC and work offline: one stylesheet (``bot/static/admin.css``),
no scripts from elsewhere (the Content-Security-Policy below allows only this
site's own), and never cached by the browser, since they show personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, abort, g, render_template, request
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from bot.clock import in_beijing
from bot.db import get_session
from bot.models import Body
from bot.models.staff import Staff
from bot.staff import bodies
from bot.staff.roles import PERMISSIONS, check_permission, roles_with
from bot.wechat.webhook import NoCookieSessionOnWebhook

CONSOLE_NAME = "政务公开工作台"

bp = Blueprint("admin", __name__, url_prefix="/admin")
csrf = CSRFProtect()

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    #: The permission a member needs to see the entry (None: every member).
    permission: str | None
    #: One line on the home page.
    description: str

    def __post_init__(self) -> None:
        if self.permission is not None:
            check_permission(self.permission)


#: The console's pages in navigation order. Only pages that exist belong here.
NAVIGATION: list[NavEntry] = [
    NavEntry("首页", "admin.home", None, "登录信息和本账号的权限"),
    NavEntry("公开信息", "admin.items", "items.edit", "起草、导入、审查和发布公开目录中的信息"),
    NavEntry("年度报告", "admin.reports", "items.edit", "编写、审查和发布政府信息公开工作年度报告"),
    NavEntry("办件", "admin.cases_inbox", "cases.view", "申请和投诉：按期限排列，办理、答复、办结"),
    NavEntry(
        "督办", "admin.dashboard", "cases.view", "超期和本周到期的件数、每月收办趋势、每日督办单"
    ),
    NavEntry(
        "年报统计表", "admin.annual_index", "cases.view", "年度报告法定统计表（表二、三、四）及导出"
    ),
    NavEntry(
        "操作日志", "admin.audit_log", "audit.view", "谁在什么时候做了什么，只能查看，不能修改"
    ),
    NavEntry("全县", "admin.county_league", "county.view", "各乡镇办件统计、督办、年报统计汇总"),
    NavEntry(
        "单位信息", "admin.office", "office.edit", "联系方式、答复书落款的行政机关、行政复议机关"
    ),
    NavEntry(
        "工作人员", "admin.staff_members", "staff.manage", "新建账号、修改角色、停用账号、重设密码"
    ),
]


def visible_navigation(staff: Staff | None) -> list[NavEntry]:
    """The pages the member's role in the body they work in opens."""
    if staff is None or not staff.body_ids:
        return []
    return [entry for entry in NAVIGATION if entry.permission is None or may(entry.permission)]


class PermissionDenied(Forbidden):
    """A logged-in member's role does not allow this page or action (rendered as a 403 page)."""

    def __init__(self, permission: str) -> None:
        super().__init__()
        self.permission = permission
        self.roles = roles_with(permission)


class ConsoleSessionInterface(NoCookieSessionOnWebhook):
    """Flask's signed-cookie session, marked Secure on HTTPS requests even when not configured
    (and, as for every app, not opened for WeChat's deliveries)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def beijing_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time as staff read it."""
    return "" if moment is None else in_beijing(moment).strftime(pattern)


@bp.app_template_filter("beijing")
def _beijing_filter(moment: datetime | None) -> str:
    return beijing_time(moment)


#: The body a member with several works in, kept in their console session.
WORKING_BODY = "admin.body_id"


def staff_body() -> Body:
    """The body whose records and settings the console shows and changes: the one the member
    works in now. A member of several picks it (``/admin/body``, or ``?body=SLUG`` on a
    link: a body they do not belong to is not found), else their first. A 404 for a member
    of no body: nothing of any body's is theirs to see."""
    body: Body | None = g.get("body")
    if body is None:
        body = _working_body()
        g.body = body
    return body


def _working_body() -> Body:
    session = get_session()
    staff: Staff | None = g.get("staff")
    if staff is None:
        found = bodies.default(session)
        if found is None:
            abort(404)
        return found
    ids = staff.body_ids
    if not ids:
        abort(404)
    asked = request.args.get("body")
    if asked:
        named = bodies.by_slug(session, asked)
        if named is None or named.id not in ids:
            abort(404)
        cookie[WORKING_BODY] = named.id
        return named
    kept = cookie.get(WORKING_BODY)
    chosen = session.get(Body, kept if kept in ids else ids[0])
    assert chosen is not None  # a membership's body exists (foreign key)
    return chosen


def may(permission: str) -> bool:
    """Whether the logged-in member's role in the body they work in grants ``permission``."""
    staff: Staff | None = g.get("staff")
    return staff is not None and staff.can(permission, staff_body().id)


@bp.context_processor
def _shell() -> dict[str, Any]:
    staff: Staff | None = g.get("staff")
    # A member of no body yet sees their home page (it says so) and nothing of any body's.
    working = staff is not None and bool(staff.body_ids)
    office = staff_body() if working else bodies.default(get_session())
    return {
        "console_name": CONSOLE_NAME,
        "office_name": office.name if office else "",
        "console_body": office,
        "staff": staff,
        "navigation": visible_navigation(staff),
        "can": may,
        "staff_role": staff.role_in(office.id) if staff is not None and office else None,
        "staff_bodies": [] if staff is None else _bodies_of(staff),
    }


def _bodies_of(staff: Staff) -> list[Body]:
    ids = set(staff.body_ids)
    return [body for body in bodies.listed(get_session()) if body.id in ids]


@bp.before_request
def _refuse_nul() -> ResponseReturnValue | None:
    """PostgreSQL's text holds no U+0000 and nobody types one: a request carrying it is refused
    before it reaches the database, with a page saying so (not a 500)."""
    pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
    sent = [request.path, *(text or "" for pair in pairs for text in pair)]
    if not any("\x00" in text for text in sent):
        return None
    return render_template(
        "admin/error.html",
        title="无法处理的字符",
        message="提交的内容里有无法保存的空字符，操作没有执行。请重新输入（不要从别的软件直接粘贴）后再试一次。",
    ), 400


@bp.after_request
def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(_error: CSRFError) -> ResponseReturnValue:
    return render_template(
        "admin/error.html",
        title="页面已过期",
        message="这个页面已过期或不是从本系统打开的，操作没有执行。请返回，刷新页面后再试一次。",
    ), 400


def _role_here() -> str:
    staff: Staff = g.staff
    role = staff.role_in(staff_body().id)
    return role.label if role is not None else staff.role_label


@bp.errorhandler(PermissionDenied)
def _forbidden(error: PermissionDenied) -> ResponseReturnValue:
    what = f"“{PERMISSIONS[error.permission]}”" if error.permission else "查看这个页面"
    roles = "、".join(role.label for role in error.roles)
    return render_template(
        "admin/error.html",
        title="没有权限",
        message=f"您的账号（{_role_here()}）没有{what}的权限。",
        hint=f"可以使用此功能的角色：{roles}。如需使用，请联系管理员。" if roles else None,
    ), 403
