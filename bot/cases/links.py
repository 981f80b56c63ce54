"""Links that only one resident gets: to their formal reply (答复书) and to every reply in full.

A page behind such a link carries the resident's name or words, so the link is
theirs alone: a token signed with ``SUNSHINE_SECRET_KEY`` (a salt per page) that
names the case and, as a hash, the resident who filed it, and expires after
``LINK_DAYS`` days (``进度`` makes a fresh one each time). It is unguessable, holds
no openid, and never opens another case or another page. The pages themselves are
``bot.public.case_pages``.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from bot.models.cases import Case
from bot.privacy import openid_hash
from bot.urls import LARGEST, public_url

LINK_DAYS = 7


class Page(StrEnum):
    """A resident's private page: its path, and the salt its tokens are signed with."""

    FORMAL_REPLY = "reply"
    ALL_REPLIES = "replies"

    @property
    def salt(self) -> str:
        return f"sunshine.case-{self.value}"


def _signer(page: Page) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=page.salt)


def _resident(case: Case) -> str:
    return openid_hash(case.openid)[:16]


def token(page: Page, case: Case) -> str:
    return _signer(page).dumps([case.id, _resident(case)])


def link(page: Page, case: Case) -> str:
    """The resident's link to ``page`` of ``case`` (to send in their chat only)."""
    return public_url(f"/{page.value}/{token(page, case)}")


def case_for(session: Session, page: Page, signed: str) -> tuple[Case | None, bool]:
    """The case a token of ``page`` names (None if none), and whether the link expired."""
    try:
        case_id, resident = _signer(page).loads(signed, max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        return None, True
    except (BadData, ValueError, TypeError):
        return None, False
    if not (isinstance(case_id, int) and 0 < case_id <= LARGEST and isinstance(resident, str)):
        return None, False
    case = session.get(Case, case_id)
    if case is None or not hmac.compare_digest(resident, _resident(case)):
        return None, False
    return case, False
