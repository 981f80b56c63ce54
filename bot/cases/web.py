"""``/replies/<token>``: every staff reply of a case in full, for the resident who filed it.

``进度`` shows the latest replies only, cut to fit one message; when it cuts, it ends
with a link here. The link is the resident's alone: a token signed with
``SUNSHINE_SECRET_KEY`` that names the case and (as a hash) the resident who filed
it, and expires after ``LINK_DAYS`` days; the URL holds no openid. The page is never
cached and sends no referrer.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, current_app, render_template
from flask.typing import ResponseReturnValue
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from bot import errors
from bot.cases.texts import kind_text, moment_text
from bot.db import get_session
from bot.models import Office
from bot.models.cases import STATUS_LABELS, Case
from bot.privacy import openid_hash
from bot.urls import LARGEST, public_url

bp = Blueprint("case_replies", __name__, url_prefix="/replies")

LINK_DAYS = 7
_SALT = "sunshine.case-replies"
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _resident(case: Case) -> str:
    return openid_hash(case.openid)[:16]


def replies_link(case: Case) -> str:
    """The link to ``case``'s replies in full, for its resident (to send in their chat only)."""
    return public_url(f"/replies/{_signer().dumps([case.id, _resident(case)])}")


@bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    try:
        case_id, resident = _signer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except SignatureExpired:
        return errors.page(
            410,
            "这个链接已过期",
            f"为保护您的信息，链接只在{LINK_DAYS}天内有效。"
            "请在公众号里再发送“进度 编号”，获取新的链接。",
            PRIVATE_HEADERS,
        )
    except (BadData, ValueError, TypeError):
        return _not_found()
    case = None
    if isinstance(case_id, int) and 0 < case_id <= LARGEST and isinstance(resident, str):
        case = get_session().get(Case, case_id)
    if case is None or not hmac.compare_digest(resident, _resident(case)):
        return _not_found()
    office = get_session().scalars(select(Office).limit(1)).first()
    replies = [(moment_text(reply.created_at), reply.body) for reply in case.replies]
    page = render_template(
        "cases/replies.html",
        office=office,
        case=case,
        kind=kind_text(case),
        status=STATUS_LABELS.get(case.status, case.status),
        received=moment_text(case.created_at),
        replies=replies,
        link_days=LINK_DAYS,
    )
    return page, 200, PRIVATE_HEADERS


def _not_found() -> ResponseReturnValue:
    return errors.page(
        404,
        "没有找到这些答复",
        "链接不完整，或者不是发给您的。请在公众号里发送“进度 编号”查看。",
        PRIVATE_HEADERS,
    )
