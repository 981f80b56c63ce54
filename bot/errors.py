"""Error pages in Chinese that need no database: not found (404), broken (500), busy (503).

Residents open the public pages from WeChat and staff the console; neither should
see a server's English error page. When the database cannot answer (down,
restarting, unreachable) a page answers 503 with ``Retry-After``, and the traceback
is logged once a minute, not for every request. ``/wechat`` has its own handler: it
never answers WeChat with an error page (``bot.wechat.webhook``).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import InternalServerError, NotFound

from bot import db

#: Seconds after which a browser (or a load balancer) may try again.
RETRY_AFTER_S = 30


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(InternalServerError, _broken)
    for unavailable in db.UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)


def _for_staff() -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


def page(
    status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    """A page saying what went wrong and what to do, with a way back home."""
    home = ("/admin/", "返回工作台首页") if _for_staff() else ("/items", "打开公开目录")
    # Rendered without the context processors: the console's reads the database.
    template = current_app.jinja_env.get_template("status.html")
    body = template.render(title=title, message=message, home=home)
    return body, status, headers or {}


def _not_found(_error: NotFound) -> ResponseReturnValue:
    return page(404, "没有找到这个页面", "可能已经撤下，或者链接不完整。")


def _broken(_error: InternalServerError) -> ResponseReturnValue:
    return page(500, "页面出错了", "这个页面暂时打不开，问题已经记录下来。请稍后再试。")


def _database_unavailable(_error: Exception) -> ResponseReturnValue:
    db.log_unavailable(f"database unavailable: {request.method} {request.path} answered 503")
    if _for_staff():
        undone = "，刚才的操作没有执行" if request.method != "GET" else ""
        message = f"工作台暂时连不上数据库{undone}。请过几分钟再试；一直这样请联系系统管理员。"
    else:
        message = "暂时读取不到数据，工作人员会尽快处理。请过几分钟再打开本页。"
    return page(503, "系统暂时无法访问", message, {"Retry-After": str(RETRY_AFTER_S)})
