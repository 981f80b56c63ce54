"""The resident's copy of a formal reply (答复书): ``/reply/<token>`` and ``/reply/<token>.pdf``.

A 答复书 carries the applicant's name, so it opens only with the link ``进度`` gives
the resident who filed the case: a token signed with the app's secret key that
names the case (its id and number) and when the link was made. It is unguessable,
carries no openid, never opens another case, and expires after ``LINK_DAYS``
(``进度`` makes a fresh one each time). The pages are neither cached nor indexed,
and send no referrer.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, Flask, current_app, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from bot.cases.formal import FormalReply, formal_reply, recorded_decision, render_pdf
from bot.cases.outcomes import UnknownOutcome, outcome
from bot.db import get_session
from bot.models import Office
from bot.models.cases import APPLICATION, Case
from bot.urls import public_url

bp = Blueprint("formal", __name__, url_prefix="/reply")

LINK_DAYS = 7
_SALT = "formal-reply"
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def has_formal_reply(case: Case) -> bool:
    """Whether ``case`` is an application closed with a statutory outcome."""
    return case.kind == APPLICATION and case.closed_on is not None and case.outcome is not None


def link(case: Case) -> str:
    """The resident's link to the 答复书 of ``case`` (a closed application)."""
    token = _signer().dumps([case.id, case.number])
    return public_url(url_for("formal.show", token=token))


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


def _case_for(token: str) -> tuple[Case | None, bool]:
    """The case a token names (None if it names none), and whether the link has expired."""
    try:
        case_id, number = _signer().loads(token, max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        return None, True
    except (BadSignature, TypeError, ValueError):
        return None, False
    case = (
        get_session()
        .scalars(
            select(Case)
            .options(selectinload(Case.supplements))
            .where(Case.id == case_id, Case.number == number)
        )
        .first()
    )
    return case, False


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def _unavailable(expired: bool) -> Response:
    message = (
        "这个链接已过期。请在公众号里发送“进度 编号”，获取新的链接。"
        if expired
        else "没有找到这份答复书。请在公众号里发送“进度 编号”，打开最新的链接。"
    )
    body = render_template("cases/formal_unavailable.html", message=message)
    return _private(Response(body, status=410 if expired else 404, mimetype="text/html"))


@bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    case, expired = _case_for(token)
    reply = recorded_reply(get_session(), case) if case is not None else None
    if reply is None:
        return _unavailable(expired)
    body = render_template(
        "cases/formal_reply.html",
        reply=reply,
        pdf_url=url_for("formal.show_pdf", token=token),
        draft=False,
        back_url=None,
    )
    return _private(Response(body, mimetype="text/html"))


@bp.get("/<token>.pdf")
def show_pdf(token: str) -> ResponseReturnValue:
    case, expired = _case_for(token)
    reply = recorded_reply(get_session(), case) if case is not None else None
    if reply is None:
        return _unavailable(expired)
    return _private(pdf_response(reply))


def pdf_response(reply: FormalReply) -> Response:
    return send_file(
        BytesIO(render_pdf(reply)),
        mimetype="application/pdf",
        download_name=f"答复书{reply.number}.pdf",
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
