"""``/wechat``: the HTTP side of a delivery.

webhook (signature, time window, size, crypto, XML) → delivery (dedup, lock,
session) → router → handler → replies. Status codes follow docs/product.md: bad or
stale signature 403, unreadable body 400, over 256 KiB 413, no Token configured
503, and never a 5xx: WeChat would show the resident "该公众号暂时无法提供服务".
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from bot.db import bound_waits, log_unavailable, unavailable
from bot.logs import Concern, setting_warning
from bot.metrics import webhook_seconds
from bot.wechat.delivery import Responder, get_delivery
from bot.wechat.messages import MalformedMessage, read_message
from bot.wechat.protocol import (
    Keys,
    SignatureRejected,
    Undecryptable,
    check_query,
    open_delivery,
    seal_reply,
    validate_aes_key,
)
from bot.wechat.replies import SILENCE_BODY

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)

KEYS = "sunshine.wechat_keys"
PROBLEM = "sunshine.wechat_problem"
ROUTER = "sunshine.router"


def init_app(app: Flask) -> None:
    """Read the shared secrets once; /wechat answers 503 with the reason when they are unusable."""
    token = app.config["WECHAT_TOKEN"]
    aes_key = app.config["WECHAT_AES_KEY"]
    appid = app.config["WECHAT_APPID"]
    allow_plaintext = app.config["WECHAT_ALLOW_PLAINTEXT"]
    problem = None
    if not token:
        problem = "SUNSHINE_WECHAT_TOKEN is not set: /wechat cannot verify WeChat's signatures"
    elif not isinstance(allow_plaintext, bool):
        problem = f"SUNSHINE_WECHAT_ALLOW_PLAINTEXT must be true or false, not {allow_plaintext!r}"
    elif aes_key:
        try:
            validate_aes_key(aes_key)
        except ValueError as error:
            problem = str(error)
        if not appid:
            problem = "SUNSHINE_WECHAT_AES_KEY is set but SUNSHINE_WECHAT_APPID is not"
    if problem:
        setting_warning(
            app, Concern.WEBHOOK, log, "webhook disabled: %s", problem, level=logging.ERROR
        )
        app.extensions[KEYS] = None
    else:
        app.extensions[KEYS] = Keys(token, aes_key or None, appid, allow_plaintext)
        if aes_key and allow_plaintext:
            setting_warning(
                app,
                Concern.WEBHOOK,
                log,
                "SUNSHINE_WECHAT_ALLOW_PLAINTEXT=true: plaintext deliveries, which no signature "
                "covers, are accepted besides safe mode; unset it once the account is switched",
            )
    app.extensions[PROBLEM] = problem
    app.session_interface = NoCookieSessionOnWebhook()
    app.register_blueprint(bp)


class NoCookieSessionOnWebhook(SecureCookieSessionInterface):
    """The console's cookie session, not opened for WeChat's deliveries (which carry none)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == "/wechat":
            return None
        return super().open_session(app, request)


def webhook_problem(app: Flask) -> str | None:
    return app.extensions[PROBLEM]


def get_router() -> Responder:
    """What answers messages: the router ``create_app`` put under ``ROUTER``."""
    return current_app.extensions[ROUTER]


@bp.route("/wechat", methods=["GET", "POST"])
def wechat() -> Response:
    started = time.perf_counter()
    bound_waits(float(current_app.config["WECHAT_DB_DEADLINE"]))
    response = _answer()
    if request.method == "POST":
        webhook_seconds(response.status_code).observe(time.perf_counter() - started)
    return response


def _answer() -> Response:
    keys: Keys | None = current_app.extensions[KEYS]
    if keys is None:
        return _plain(f"unavailable: {current_app.extensions[PROBLEM]}", 503)
    query = request.args
    try:
        check_query(keys.token, query, current_app.config["WECHAT_MAX_SKEW"], time.time())
    except SignatureRejected as refusal:
        log.info("refused a delivery: %s", refusal)
        return _plain(f"forbidden: {refusal}", 403)
    if request.method == "GET":
        return _plain(query.get("echostr", ""))

    limit = current_app.config["WECHAT_MAX_BODY"]
    if request.content_length is not None and request.content_length > limit:
        return _plain("body too large", 413)
    raw = request.stream.read(limit)
    if request.stream.read(1):  # a chunked body has no Content-Length to check first
        return _plain("body too large", 413)
    try:
        xml = open_delivery(keys, query, raw.decode("utf-8"))
        inbound = read_message(xml)
    except SignatureRejected as refusal:
        log.info("refused a delivery: %s", refusal)
        return _plain(f"forbidden: {refusal}", 403)
    except (Undecryptable, MalformedMessage, UnicodeDecodeError) as problem:
        log.info("unreadable delivery: %s", problem)
        return _plain(f"bad request: {problem}", 400)

    body = get_delivery().deliver(inbound, get_router())
    if body == SILENCE_BODY:
        return _plain(body)
    return Response(seal_reply(keys, query, body), mimetype="application/xml")


@bp.errorhandler(Exception)
def never_5xx(error: Exception) -> Response | HTTPException:
    """HTTP errors (413, 405) pass through; anything else is logged and answered ``success``."""
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    if unavailable(error):
        log_unavailable("database unavailable in /wechat")
    else:
        log.exception("unexpected error in /wechat", exc_info=error)
    return _plain(SILENCE_BODY)


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain")
