"""Residents' photos: downloaded from WeChat (``media/get``) into the media folder.

WeChat deletes a resident's temporary media after 3 days, so each photo is
fetched right after its case is committed, in a background thread: the receipt
never waits for it. What fails (WeChat unreachable, API not configured, a
worker stopped) stays ``pending`` and ``sunshine media fetch`` (run it from
cron, e.g. every 10 minutes) tries again until the photo is stored or WeChat
no longer has it (``expired``).

A failure is kept in ``last_error`` as ``cause: detail`` in English for the logs
(``WeChat error 40007: invalid media_id``, ``network: ReadTimeout: …``);
``problem`` says to staff, in Chinese, why a photo or voice note is not there.
"""

from __future__ import annotations

import logging
import os
import re
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
from bot.clock import in_beijing
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


#: Causes of a failed download other than WeChat's own error codes (``_describe``).
NETWORK, TOKEN, STORAGE = "network", "token", "storage"
_WECHAT_ERROR = re.compile(r"WeChat error (-?\d+)")


def _describe(error: Exception) -> str:
    if isinstance(error, WeChatClientException):
        return f"WeChat error {error.errcode}: {error.errmsg}"
    cause = (
        TOKEN
        if isinstance(error, WeChatUnavailable)
        else STORAGE
        if isinstance(error, OSError) and not isinstance(error, requests.RequestException)
        else NETWORK
    )
    return f"{cause}: {type(error).__name__}: {error}"


#: What WeChat's error codes mean for a download, as staff read it.
WECHAT_ERRORS = {
    INVALID_MEDIA: "微信已没有这个文件（媒体ID已失效：微信只保存3天）",
    -1: "微信系统繁忙",
    40001: "微信不认可公众号的调用凭证（AppSecret 可能已重置）",
    40013: "公众号的 AppID 不正确",
    40125: "公众号的 AppSecret 不正确（可能已在公众平台重置）",
    40164: "服务器的IP地址不在公众号的IP白名单中（公众平台“设置与开发 › 基本配置”）",
    45009: "今天调用微信接口的次数已达上限",
    61004: "服务器的IP地址不在公众号的IP白名单中（公众平台“设置与开发 › 基本配置”）",
}
CAUSES = {
    NETWORK: "连不上微信服务器（网络不通或超时）",
    TOKEN: "取不到微信接口的调用凭证（access_token）",
    STORAGE: "文件已从微信取回，但保存到服务器磁盘时失败（存储空间或权限）",
}
NOT_CONFIGURED = (
    "服务器没有配置公众号的 AppID 和 AppSecret，不能从微信下载。"
    "请系统管理员设置 SUNSHINE_WECHAT_APPID 和 SUNSHINE_WECHAT_SECRET，再运行 sunshine media fetch"
)
#: The same for a case filed through an account added with ``sunshine account add``.
NAMED_NOT_CONFIGURED = (
    "服务器没有保存公众号“{account}”的 AppSecret，不能从微信下载。"
    "请系统管理员用 sunshine account add {account} 重新添加该公众号并填入 AppSecret，"
    "再运行 sunshine media fetch"
)


def cause_text(last_error: str) -> str:
    """Why a download failed (``last_error`` as ``_describe`` wrote it), in Chinese."""
    code = _WECHAT_ERROR.match(last_error)
    if code:
        return WECHAT_ERRORS.get(int(code.group(1)), f"微信返回错误（代码 {code.group(1)}）")
    return CAUSES.get(last_error.partition(":")[0], f"下载出错（{last_error}）")


def problem(attachment: Attachment, *, api_configured: bool, now: datetime) -> str | None:
    """Why a photo or voice note is not stored, for the case page (None once it is): what
    failed and whether it will be tried again, in Chinese. ``api_configured``: whether the
    account the case was filed through may call the API (``enabled(case.account)``)."""
    if attachment.fetch_state == STORED:
        return None
    if attachment.fetch_state == EXPIRED:
        why = cause_text(attachment.last_error) if attachment.last_error else "已超过3天"
        return f"无法再下载：{why}。微信只保存3天，已删除；需要时请联系居民重新提供。"
    gone_at = attachment.created_at + MEDIA_LIFETIME
    keep = (
        f"微信只保存到{in_beijing(gone_at):%m月%d日 %H:%M}（北京时间），此前下载不到就无法再下载。"
        if now < gone_at
        else "已超过3天，微信很可能已删除。"
    )
    if not api_configured:
        account = attachment.case.account
        missing = NAMED_NOT_CONFIGURED.format(account=account) if account else NOT_CONFIGURED
        return f"尚未下载：{missing}。{keep}"
    if not attachment.last_error:
        return "正在从微信下载，请稍后刷新。"
    return (
        f"尚未下载：{cause_text(attachment.last_error)}。"
        f"已尝试{attachment.fetch_attempts}次，系统会自动重试。{keep}"
    )
