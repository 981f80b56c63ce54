"""The WeChat API client: wechatpy's, on ``SUNSHINE_WECHAT_API_BASE``, with one token for the fleet.

Every process and host shares the access token through the store. A token is
fetched with ``cgi-bin/stable_token`` (which does not rotate a valid token) by
one process at a time under a store lock; the others wait and read it. A call
rejected for its token (40001, 40014, 42001) refreshes once and is retried once.
Each official account has its own client, token (kept under its AppID) and lock:
``get_client(account)``, the ``SUNSHINE_WECHAT_*`` account's by default.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
import requests
from flask import Flask, current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from bot.logs import Concern, setting_warning
from bot.metrics import WECHAT_API_ERRORS
from bot.privacy import account_prefix
from bot.store import EXTENSION as STORE
from bot.store import KEY_PREFIX
from bot.wechat.accounts import get_accounts

log = logging.getLogger(__name__)

OFFICIAL_BASE = "https://api.weixin.qq.com"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: Refresh a little before WeChat's own expiry.
EXPIRY_MARGIN_S = 300

EXTENSION = "sunshine.wechat_client"
#: The named accounts' clients, by slug, AppID and AppSecret.
NAMED = "sunshine.wechat_named_clients"


class WeChatUnavailable(RuntimeError):
    """API calls are disabled (no AppID/AppSecret) or WeChat cannot be reached."""


class SharedTokenClient(WeChatClient):
    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        api_base: str,
        store: redis.Redis,
        timeout: float,
        account: str = "",
    ):
        super().__init__(
            appid,
            secret,
            session=RedisStorage(store, prefix=f"{KEY_PREFIX}wechat"),
            timeout=timeout,
            auto_retry=False,
        )
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = f"{self.api_base}/cgi-bin/"
        self.store = store
        self.lock_key = f"{account_prefix(account)}wechat:token-lock"

    def _rebase(self, url: str) -> str:
        if url.startswith(OFFICIAL_BASE):
            return self.api_base + url[len(OFFICIAL_BASE) :]
        return url

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        return token or self._refresh(stale=None)

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy's own refresh, kept from reaching cgi-bin/token: the fleet-wide one instead."""
        self._refresh(stale=self.session.get(self.access_token_key))
        return {"access_token": self.session.get(self.access_token_key)}

    def _refresh(self, stale: str | None) -> str:
        """Fetch a token unless another process did while we waited for the lock."""
        lock = self.store.lock(self.lock_key, timeout=15, blocking_timeout=10)
        if not lock.acquire():
            raise WeChatUnavailable("timed out waiting for another process to fetch the token")
        try:
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current
            result = self._stable_token(force=False)
            if stale and result["access_token"] == stale:
                result = self._stable_token(force=True)
            ttl = max(int(result.get("expires_in", 7200)) - EXPIRY_MARGIN_S, 60)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return result["access_token"]
        finally:
            lock.release()

    def _stable_token(self, *, force: bool) -> dict[str, Any]:
        log.info("fetching the access token (force_refresh=%s)", force)
        response = self._http.post(
            f"{self.api_base}/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force,
            },
            timeout=self.timeout,
        )
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        return result

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        try:
            return self._request_once_refreshed(method, url_or_endpoint, **kwargs)
        except WeChatClientException as error:
            WECHAT_API_ERRORS.labels(errcode=str(error.errcode)).inc()
            raise
        except requests.RequestException:
            WECHAT_API_ERRORS.labels(errcode="network").inc()
            raise

    def _request_once_refreshed(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if url_or_endpoint.startswith(("http://", "https://")):
            url = url_or_endpoint
        else:
            url = kwargs.pop("api_base_url", self.API_BASE_URL) + url_or_endpoint
        url = self._rebase(url)
        params = dict(kwargs.pop("params", None) or {})
        if "access_token" in params:
            return super()._request(method, url, params=params, **kwargs)
        token = self.access_token
        try:
            return super()._request(method, url, params={**params, "access_token": token}, **kwargs)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            log.info("access token rejected (%s); refreshing once", error.errcode)
            token = self._refresh(stale=token)
            return super()._request(method, url, params={**params, "access_token": token}, **kwargs)


def init_app(app: Flask) -> None:
    app.extensions[NAMED] = {}
    appid, secret = app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"]
    if not (appid and secret):
        setting_warning(
            app,
            Concern.WECHAT_API,
            log,
            "SUNSHINE_WECHAT_APPID/SUNSHINE_WECHAT_SECRET not set: "
            "API calls (menu, pushes, media) are disabled",
        )
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = _client(app, appid, secret, "")


def _client(app: Flask, appid: str, secret: str, account: str) -> SharedTokenClient:
    return SharedTokenClient(
        appid,
        secret,
        api_base=app.config["WECHAT_API_BASE"],
        store=app.extensions[STORE],
        timeout=float(app.config["WECHAT_API_TIMEOUT"]),
        account=account,
    )


def get_client(account: str = "") -> SharedTokenClient:
    """The API client of ``account`` (a slug; ``""``: the ``SUNSHINE_WECHAT_*`` account)."""
    if account:
        return _named_client(account)
    client = current_app.extensions[EXTENSION]
    if client is None:
        raise WeChatUnavailable(
            "WeChat API calls are disabled: set SUNSHINE_WECHAT_APPID and SUNSHINE_WECHAT_SECRET"
        )
    return client


def enabled(account: str = "") -> bool:
    """Whether ``account`` may call the API (it has an AppSecret)."""
    if account:
        found = get_accounts().find(account)
        return found is not None and found.secret is not None
    return current_app.extensions[EXTENSION] is not None


def _named_client(slug: str) -> SharedTokenClient:
    """A named account's client, made once per AppID and AppSecret (a new secret: a new one)."""
    account = get_accounts().find(slug)
    if account is None or not account.appid:
        raise WeChatUnavailable(f"account {slug!r} is not (or no longer) configured")
    if account.secret is None:
        raise WeChatUnavailable(f"account {slug!r} has no AppSecret: API calls are disabled")
    clients: dict[tuple[str, str, str], SharedTokenClient] = current_app.extensions[NAMED]
    made = (slug, account.appid, account.secret)
    if made not in clients:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy typed as Flask
        clients[made] = _client(app, account.appid, account.secret, slug)
    return clients[made]
