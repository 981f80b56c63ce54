"""A resident's private pages about their own case, opened from the links ``进度`` gives.

- ``/reply/<token>`` (and ``.pdf``): the formal reply (答复书) of a closed application;
- ``/replies/<token>``: every staff reply of a case in full (``进度`` cuts them to fit
  one message and then ends with this link).

Who may open what is ``bot.cases.links``: a signed token per resident, case and page.
The pages are neither cached nor indexed, and send no referrer.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Flask, g, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from bot import errors
from bot.cases.formal import FormalReply, recorded_reply, render_pdf
from bot.cases.links import LINK_DAYS, Page, case_for
from bot.cases.texts import kind_text, moment_text
from bot.db import get_session
from bot.models import Body
from bot.models.cases import STATUS_LABELS

bp = Blueprint("case_pages", __name__)

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _unavailable(expired: bool, what: str) -> ResponseReturnValue:
    if expired:
        return errors.page(
            410,
            "这个链接已过期",
            f"为保护您的信息，链接只在{LINK_DAYS}天内有效。"
            "请在公众号里再发送“进度 编号”，获取新的链接。",
            PRIVATE_HEADERS,
        )
    return errors.page(
        404,
        f"没有找到{what}",
        "链接不完整，或者不是发给您的。请在公众号里发送“进度 编号”查看。",
        PRIVATE_HEADERS,
    )


def _formal_for(token: str) -> tuple[FormalReply | None, bool]:
    session = get_session()
    case, expired = case_for(session, Page.FORMAL_REPLY, token)
    return (recorded_reply(session, case) if case is not None else None), expired


@bp.get("/reply/<token>")
def formal(token: str) -> ResponseReturnValue:
    reply, expired = _formal_for(token)
    if reply is None:
        return _unavailable(expired, "这份答复书")
    body = render_template(
        "cases/formal_reply.html",
        reply=reply,
        pdf_url=url_for("case_pages.formal_pdf", token=token),
        draft=False,
        back_url=None,
    )
    return body, 200, PRIVATE_HEADERS


@bp.get("/reply/<token>.pdf")
def formal_pdf(token: str) -> ResponseReturnValue:
    reply, expired = _formal_for(token)
    if reply is None:
        return _unavailable(expired, "这份答复书")
    response = pdf_response(reply)
    response.headers.update(PRIVATE_HEADERS)
    return response


def pdf_response(reply: FormalReply) -> Response:
    return send_file(
        BytesIO(render_pdf(reply)),
        mimetype="application/pdf",
        download_name=reply.filename,
    )


@bp.get("/replies/<token>")
def replies(token: str) -> ResponseReturnValue:
    case, expired = case_for(get_session(), Page.ALL_REPLIES, token)
    if case is None:
        return _unavailable(expired, "这些答复")
    office = g.shown_body = get_session().get(Body, case.body_id)
    page = render_template(
        "cases/replies.html",
        office=office,
        case=case,
        kind=kind_text(case),
        status=STATUS_LABELS.get(case.status, case.status),
        received=moment_text(case.created_at),
        replies=[(moment_text(reply.created_at), reply.body) for reply in case.replies],
        link_days=LINK_DAYS,
    )
    return page, 200, PRIVATE_HEADERS
