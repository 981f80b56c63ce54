"""``/wechat`` and ``/wechat/<slug>``: the HTTP side of a delivery.

webhook (signature, time window, size, crypto, XML) → delivery (dedup, lock,
session) → router → handler → replies. Status codes follow docs/product.md: bad or
stale signature 403, unreadable body 400, over 256 KiB 413, no Token configured
503, an unknown account 404, and never a 5xx: WeChat would show the resident
"该公众号暂时无法提供服务". ``/wechat`` is the ``SUNSHINE_WECHAT_*`` account's;
``/wechat/<slug>`` a named account's (``bot.wechat.accounts``), checked with its own
Token, EncodingAESKey and AppID, its residents apart from every other account's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from bot.db import bound_waits, log_unavailable, unavailable
from bot.logs import Concern, setting_warning
from bot.metrics import webhook_seconds
from bot.wechat.accounts import Account, Accounts, get_accounts
from bot.wechat.delivery import Responder, get_delivery
from bot.wechat.messages import Inbound, MalformedMessage, read_message
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

SETTINGS = "sunshine.webhook"
ROUTER = "sunshine.router"


@dataclass(frozen=True)
class Settings:
    """What every delivery needs of the config, read once (``init_app``)."""

    #: The ``SUNSHINE_WECHAT_*`` account; None when its secrets are unusable (``problem``).
    account: Account | None
    problem: str | None
    max_skew: int
    max_body: int
    db_deadline: float


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
    account = None
    if problem:
        setting_warning(
            app, Concern.WEBHOOK, log, "webhook disabled: %s", problem, level=logging.ERROR
        )
    else:
        account = Account("", Keys(token, aes_key or None, appid, allow_plaintext))
        if aes_key and allow_plaintext:
            setting_warning(
                app,
                Concern.WEBHOOK,
                log,
                "SUNSHINE_WECHAT_ALLOW_PLAINTEXT=true: plaintext deliveries, which no signature "
                "covers, are accepted besides safe mode; unset it once the account is switched",
            )
    app.extensions[SETTINGS] = Settings(
        account,
        problem,
        max_skew=int(app.config["WECHAT_MAX_SKEW"]),
        max_body=int(app.config["WECHAT_MAX_BODY"]),
        db_deadline=float(app.config["WECHAT_DB_DEADLINE"]),
    )
    app.session_interface = NoCookieSessionOnWebhook()
    app.register_blueprint(bp)


class NoCookieSessionOnWebhook(SecureCookieSessionInterface):
    """The console's cookie session, not opened for WeChat's deliveries (which carry none)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == "/wechat" or request.path.startswith("/wechat/"):
            return None
        return super().open_session(app, request)


def webhook_problem(app: Flask) -> str | None:
    return app.extensions[SETTINGS].problem


def get_router() -> Responder:
    """What answers messages: the router ``create_app`` put under ``ROUTER``."""
    return current_app.extensions[ROUTER]


@bp.route("/wechat", methods=["GET", "POST"])
def wechat() -> Response:
    started = time.perf_counter()
    settings: Settings = current_app.extensions[SETTINGS]
    if settings.account is None:
        response = _plain(f"unavailable: {settings.problem}", 503)
    else:
        bound_waits(settings.db_deadline)
        response = _answer(settings, settings.account, None)
    return _timed(response, started)


@bp.route("/wechat/<slug>", methods=["GET", "POST"])
def named_account(slug: str) -> Response:
    started = time.perf_counter()
    settings: Settings = current_app.extensions[SETTINGS]
    bound_waits(settings.db_deadline)
    accounts = get_accounts()
    account = accounts.find(slug)
    if account is None:
        response = _plain("not found: no such account", 404)
    else:
        response = _answer(settings, account, accounts)
    return _timed(response, started)


def _timed(response: Response, started: float) -> Response:
    if request.method == "POST":
        webhook_seconds(response.status_code).observe(time.perf_counter() - started)
    return response


def _answer(settings: Settings, account: Account, accounts: Accounts | None) -> Response:
    """Answer a delivery to ``account``; ``accounts``: where a named account's keys are read
    again when they refuse it (they may have just changed)."""
    query = request.args
    try:
        check_query(account.keys.token, query, settings.max_skew, time.time())
    except SignatureRejected as refusal:
        renewed = accounts.renewed(account) if accounts else None
        if renewed is None:
            return _refused(refusal)
        account = renewed
        try:
            check_query(account.keys.token, query, settings.max_skew, time.time())
        except SignatureRejected as again:
            return _refused(again)
    if request.method == "GET":
        return _plain(query.get("echostr", ""))

    limit, length = settings.max_body, request.content_length
    if length is not None and length > limit:
        return _plain("body too large", 413)
    stream = request.stream
    raw = stream.read(limit)
    if stream.read(1):  # a chunked body has no Content-Length to check first
        return _plain("body too large", 413)
    try:
        account, inbound = _opened(account, accounts, query, raw.decode("utf-8"))
    except SignatureRejected as refusal:
        return _refused(refusal)
    except (Undecryptable, MalformedMessage, UnicodeDecodeError) as problem:
        log.info("unreadable delivery: %s", problem)
        return _plain(f"bad request: {problem}", 400)

    body = get_delivery().deliver(inbound, get_router())
    if body == SILENCE_BODY:
        return _plain(body)
    return Response(seal_reply(account.keys, query, body), mimetype="application/xml")


def _opened(
    account: Account, accounts: Accounts | None, query: Mapping[str, str], body: str
) -> tuple[Account, Inbound]:
    """The message of a delivery to ``account``, read with its keys held or, when those
    refuse it, with its keys read again (an EncodingAESKey just set or changed)."""
    try:
        return account, read_message(open_delivery(account.keys, query, body), account.slug)
    except (SignatureRejected, Undecryptable):
        renewed = accounts.renewed(account) if accounts else None
        if renewed is None:
            raise
    return renewed, read_message(open_delivery(renewed.keys, query, body), renewed.slug)


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


def _refused(refusal: SignatureRejected) -> Response:
    log.info("refused a delivery: %s", refusal)
    return _plain(f"forbidden: {refusal}", 403)


def _plain(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain")
