"""A resident's private pages about their own case, opened from the links ``进度`` gives.

- ``/reply/<token>`` (and ``.pdf``): the formal reply (答复书) of a closed application;
- ``/replies/<token>``: every staff reply of a case in full (``进度`` cuts them to fit
  one message and then ends with this link).

Both carry the resident's name or words, so a link is theirs alone: a token signed
with ``SUNSHINE_SECRET_KEY`` (a salt per page) that names the case and, as a hash,
the resident who filed it, and expires after ``LINK_DAYS`` days (``进度`` makes a
fresh one each time). It is unguessable, holds no openid, never opens another case.
The pages are neither cached nor indexed, and send no referrer.
"""

from __future__ import annotations

import hmac
from io import BytesIO

from flask import Blueprint, Flask, current_app, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot import errors
from bot.cases.formal import FormalReply, formal_reply, recorded_decision, render_pdf
from bot.cases.outcomes import UnknownOutcome, outcome
from bot.cases.texts import kind_text, moment_text
from bot.db import get_session
from bot.models import Office
from bot.models.cases import APPLICATION, STATUS_LABELS, Case
from bot.privacy import openid_hash
from bot.urls import LARGEST, public_url

bp = Blueprint("case_pages", __name__)

LINK_DAYS = 7
FORMAL_REPLY = "sunshine.formal-reply"
ALL_REPLIES = "sunshine.case-replies"
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


# ---- links ----


def _signer(page: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=page)


def _resident(case: Case) -> str:
    return openid_hash(case.openid)[:16]


def _token(page: str, case: Case) -> str:
    return _signer(page).dumps([case.id, _resident(case)])


def _case_for(page: str, token: str) -> tuple[Case | None, bool]:
    """The case a token of ``page`` names (None if none), and whether the link expired."""
    try:
        case_id, resident = _signer(page).loads(token, max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        return None, True
    except (BadData, ValueError, TypeError):
        return None, False
    if not (isinstance(case_id, int) and 0 < case_id <= LARGEST and isinstance(resident, str)):
        return None, False
    case = get_session().get(Case, case_id)
    if case is None or not hmac.compare_digest(resident, _resident(case)):
        return None, False
    return case, False


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


# ---- the formal reply (答复书) ----


def has_formal_reply(case: Case) -> bool:
    """Whether ``case`` is an application closed with a statutory outcome."""
    return case.kind == APPLICATION and case.closed_on is not None and case.outcome is not None


def link(case: Case) -> str:
    """The resident's link to the 答复书 of ``case`` (a closed application)."""
    return public_url(url_for("case_pages.formal", token=_token(FORMAL_REPLY, case)))


def authority(session: Session) -> str:
    """Who signs: the office's authority (行政机关), else the office's own name."""
    office = session.scalars(select(Office).limit(1)).first()
    if office is None:
        return "本机关"
    return office.authority or office.name


def recorded_reply(session: Session, case: Case) -> FormalReply | None:
    """The 答复书 of a closed application, as its recorded outcome gives it."""
    if not has_formal_reply(case):
        return None
    try:
        chosen = outcome(case.outcome or "")
    except UnknownOutcome:
        return None
    return formal_reply(case, recorded_decision(case, chosen), authority(session))


def _formal_for(token: str) -> tuple[FormalReply | None, bool]:
    case, expired = _case_for(FORMAL_REPLY, token)
    return (recorded_reply(get_session(), case) if case is not None else None), expired


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
        download_name=f"答复书{reply.number}.pdf",
    )


# ---- every reply in full ----


def replies_link(case: Case) -> str:
    """The link to ``case``'s replies in full, for its resident (to send in their chat only)."""
    return public_url(url_for("case_pages.replies", token=_token(ALL_REPLIES, case)))


@bp.get("/replies/<token>")
def replies(token: str) -> ResponseReturnValue:
    case, expired = _case_for(ALL_REPLIES, token)
    if case is None:
        return _unavailable(expired, "这些答复")
    office = get_session().scalars(select(Office).limit(1)).first()
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
