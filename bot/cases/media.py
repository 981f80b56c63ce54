"""Residents' photos: downloaded from WeChat (``media/get``) into the media folder.

WeChat deletes a resident's temporary media after 3 days, so each photo is
fetched right after its case is committed, in a background thread: the receipt
never waits for it. What fails (WeChat unreachable, API not configured, a
worker stopped) stays ``pending`` and ``sunshine media fetch`` (run it from
cron, e.g. every 10 minutes) tries again until the photo is stored or WeChat
no longer has it (``expired``).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot import clock
from bot.db import get_session
from bot.files import write_private
from bot.models.cases import EXPIRED, PENDING, STORED, Attachment, Case
from bot.wechat.api import SharedTokenClient, WeChatUnavailable, enabled, get_client

log = logging.getLogger(__name__)

EXECUTOR = "sunshine.media_executor"
#: WeChat keeps temporary media this long.
MEDIA_LIFETIME = timedelta(days=3)
#: WeChat's "invalid media_id": deleted or never existed.
INVALID_MEDIA = 40007
#: Photos, and voice notes (WeChat sends AMR or Speex), are kept with their own extension.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/amr": ".amr",
    "audio/speex": ".speex",
}


def init_app(app: Flask) -> None:
    app.extensions[EXECUTOR] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="media")


def media_dir(app: Flask) -> Path:
    configured = app.config["MEDIA_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "media"


def fetch_soon(case: Case) -> None:
    """Download ``case``'s photos in the background, if the WeChat API is configured."""
    if not case.attachments:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy typed as Flask
    if not enabled(case.account):
        log.info(
            "case %s: %d photo(s) wait for `sunshine media fetch` (WeChat API not configured)",
            case.number,
            len(case.attachments),
        )
        return
    app.extensions[EXECUTOR].submit(_fetch_in_background, app, case.id)


def _fetch_in_background(app: Flask, case_id: int) -> None:
    with app.app_context():
        try:
            fetch_pending(get_session(), get_client, media_dir(app), case_id=case_id)
        except Exception:  # a background thread has nobody to raise to; the cron job retries
            log.exception("background photo download failed for case id %s", case_id)


@dataclass
class FetchReport:
    stored: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


def pending(session: Session, case_id: int | None = None) -> list[Attachment]:
    query = select(Attachment).where(Attachment.fetch_state == PENDING).order_by(Attachment.id)
    if case_id is not None:
        query = query.where(Attachment.case_id == case_id)
    return list(session.scalars(query))


def fetch_pending(
    session: Session,
    client_of: Callable[[str], SharedTokenClient],
    folder: Path,
    *,
    case_id: int | None = None,
    now: datetime | None = None,
) -> FetchReport:
    """Download every pending photo (of one case, or all) with the API client of the account
    its case was filed through (``client_of(case.account)``); commit after each."""
    report = FetchReport()
    now = now or clock.now()
    for attachment in pending(session, case_id):
        label = f"{attachment.case.number}/{attachment.id}"
        state = _fetch(attachment, client_of, folder, now)
        session.commit()
        {STORED: report.stored, EXPIRED: report.expired}.get(state, report.failed).append(label)
    return report


def _fetch(
    attachment: Attachment,
    client_of: Callable[[str], SharedTokenClient],
    folder: Path,
    now: datetime,
) -> str:
    attachment.fetch_attempts += 1
    try:
        response = client_of(attachment.case.account).media.download(attachment.media_id)
        if not isinstance(response, requests.Response):
            raise WeChatClientException(None, f"unexpected answer: {str(response)[:100]}")
        attachment.stored_file = _save(attachment, response, folder)
        attachment.fetch_state, attachment.last_error = STORED, None
        return STORED
    except (WeChatClientException, WeChatUnavailable, requests.RequestException, OSError) as error:
        attachment.last_error = _describe(error)[:300]
        age = now - attachment.created_at
        gone = getattr(error, "errcode", None) == INVALID_MEDIA or age > MEDIA_LIFETIME
        attachment.fetch_state = EXPIRED if gone else PENDING
        log.warning(
            "photo %s of case %s not downloaded (%s): %s",
            attachment.id,
            attachment.case.number,
            attachment.fetch_state,
            attachment.last_error,
        )
        return attachment.fetch_state


def _save(attachment: Attachment, response: requests.Response, folder: Path) -> str:
    case = attachment.case
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    relative = (
        Path(f"{case.received_on:%Y/%m}")
        / f"{case.number}-{attachment.id}{EXTENSIONS.get(kind, '.bin')}"
    )
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    draft = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    write_private(draft, response.content)
    os.replace(draft, target)
    return relative.as_posix()


def _describe(error: Exception) -> str:
    if isinstance(error, WeChatClientException):
        return f"WeChat error {error.errcode}: {error.errmsg}"
    return f"{type(error).__name__}: {error}"
