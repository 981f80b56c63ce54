"""A fake WeChat API server on loopback, spoken to over real HTTP by the production client.

It implements what Sunshine calls (tokens, menu, customer-service and subscription
messages, media download) with WeChat's error codes, and records what it received so that
tests can assert on it. It serves several official accounts (``add_app``), each with its
own AppSecret, tokens and menu.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.servers import SHUTDOWN_POLL_S

APPID = "wx-test-appid"
SECRET = "test-secret"
PHOTO = b"\xff\xd8\xff\xe0fake-jpeg-bytes\xff\xd9"


@dataclass
class FakeWeChat:
    token_fetches: int = 0
    #: Token fetches by AppID.
    fetches_by_app: Counter[str] = field(default_factory=Counter)
    #: The AppSecret of each account the fake knows.
    apps: dict[str, str] = field(default_factory=lambda: {APPID: SECRET})
    #: The account each valid token belongs to.
    valid_tokens: dict[str, str] = field(default_factory=dict)
    current_tokens: dict[str, str] = field(default_factory=dict)
    #: The menu last created, and each account's.
    menu: dict[str, Any] | None = None
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent_messages: list[dict[str, Any]] = field(default_factory=list)
    #: The AppID each of ``sent_messages`` was sent from.
    sent_from: list[str] = field(default_factory=list)
    fail_sends_with: int | None = None
    #: Subscription messages (订阅通知, message/subscribe/bizsend) received.
    sent_subscriptions: list[dict[str, Any]] = field(default_factory=list)
    #: The resident has not accepted the template: bizsend answers 43101.
    refuse_subscriptions: bool = False
    always_reject_tokens: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    #: MediaIds WeChat no longer has (deleted after 3 days): media/get answers 40007.
    expired_media: set[str] = field(default_factory=set)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_app(self, appid: str, secret: str) -> None:
        self.apps[appid] = secret

    def invalidate_tokens(self) -> None:
        """As if someone fetched a new token elsewhere: the tokens Sunshine holds stop working."""
        with self._lock:
            self.valid_tokens.clear()
            self.current_tokens.clear()

    def _issue(self, appid: str, force: bool) -> str:
        with self._lock:
            self.token_fetches += 1
            self.fetches_by_app[appid] += 1
            if force or appid not in self.current_tokens:
                self.current_tokens[appid] = f"TOKEN-{next(self._serial)}"
                self.valid_tokens[self.current_tokens[appid]] = appid
            return self.current_tokens[appid]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        self.calls[path] += 1
        if path == "/cgi-bin/stable_token":
            body = request.get_json(force=True)
            appid = body.get("appid")
            if appid not in self.apps or body.get("secret") != self.apps[appid]:
                return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
            token = self._issue(appid, bool(body.get("force_refresh")))
            return _json({"access_token": token, "expires_in": 7200})
        token = request.args.get("access_token") or ""
        if self.always_reject_tokens or token not in self.valid_tokens:
            return _json(
                {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            )
        account = self.valid_tokens[token]
        if path == "/cgi-bin/menu/create":
            self.menu = self.menus[account] = json.loads(request.get_data())
            return _json({"errcode": 0, "errmsg": "ok"})
        if path == "/cgi-bin/menu/get":
            if account not in self.menus:
                return _json({"errcode": 46003, "errmsg": "menu no exist"})
            return _json({"menu": self.menus[account]})
        if path == "/cgi-bin/message/custom/send":
            if self.fail_sends_with:
                return _json({"errcode": self.fail_sends_with, "errmsg": "refused by fake"})
            self.sent_messages.append(json.loads(request.get_data()))
            self.sent_from.append(account)
            return _json({"errcode": 0, "errmsg": "ok"})
        if path == "/cgi-bin/message/subscribe/bizsend":
            if self.refuse_subscriptions:
                return _json({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
            self.sent_subscriptions.append(json.loads(request.get_data()))
            return _json({"errcode": 0, "errmsg": "ok"})
        if path == "/cgi-bin/media/get":
            if request.args.get("media_id") in self.expired_media:
                return _json({"errcode": 40007, "errmsg": "invalid media_id"})
            return Response(PHOTO, mimetype="image/jpeg")
        return _json({"errcode": 404, "errmsg": f"fake has no {path}"}, status=404)


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json"
    )


class FakeWeChatServer:
    """Serve a ``FakeWeChat`` on 127.0.0.1 in a thread."""

    def __init__(self) -> None:
        self.api = FakeWeChat()
        self._server = make_server("127.0.0.1", 0, self.api, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            daemon=True,
        )

    def __enter__(self) -> FakeWeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
