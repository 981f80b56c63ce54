"""``/healthz``: what a load balancer and an operator need to know, without secrets.

- ``/healthz/live`` (liveness): the process answers; nothing else is checked, so a
  restart is asked for only when this app itself is stuck;
- ``/healthz/ready`` (readiness), and ``/healthz`` the same: the database, the store and
  the webhook's settings work; 503 otherwise, so a balancer sends no resident here.

Anyone gets only ``{"status": "ok"}`` or ``{"status": "not ready"}``. The details
(backends, errors, the webhook's mode) are for this host itself and for whoever holds
``SUNSHINE_METRICS_TOKEN``: they tell an attacker what runs here and what is broken.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from bot import db
from bot.metrics import holds_metrics_token
from bot.store import get_redis, store_kind
from bot.wechat.api import EXTENSION as WECHAT_CLIENT
from bot.wechat.webhook import webhook_problem

bp = Blueprint("health", __name__)

LOOPBACK = ("127.0.0.1", "::1")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/healthz/live")
def live() -> Response:
    return jsonify(status="ok")


@bp.get("/healthz")
@bp.get("/healthz/ready")
def ready() -> tuple[Response, int]:
    report = _report()
    healthy = (
        report["database"]["ok"] and report["store"]["ok"] and webhook_problem(current_app) is None
    )
    status = "ok" if healthy else "not ready"
    shown = {"status": status, **report} if _may_see_details() else {"status": status}
    return jsonify(shown), 200 if healthy else 503


def _may_see_details() -> bool:
    """This host (not through a proxy the app does not trust), or the metrics token's holder.

    Without ``SUNSHINE_PROXY_FIX`` every request nginx forwards comes from 127.0.0.1: one
    that carries ``X-Forwarded-For`` nobody resolved came from elsewhere.
    """
    if holds_metrics_token():
        return True
    environ = request.environ
    forwarded = "HTTP_X_FORWARDED_FOR" in environ and "werkzeug.proxy_fix.orig" not in environ
    return request.remote_addr in LOOPBACK and not forwarded


def _report() -> dict[str, Any]:
    app = current_app
    report: dict[str, Any] = {}

    engine = db.get_engine()
    try:
        db.ping(engine)
        report["database"] = {"ok": True, "backend": engine.dialect.name}
    except SQLAlchemyError as error:
        report["database"] = {"ok": False, "backend": engine.dialect.name, "error": _brief(error)}

    kind = store_kind(app)
    try:
        get_redis().ping()
        report["store"] = {"ok": True, "kind": kind}
    except Exception as error:  # any failure to reach the store is reported, not raised
        report["store"] = {"ok": False, "kind": kind, "error": _brief(error)}
    if kind == "in-process":
        report["store"]["note"] = "serves one process only; set SUNSHINE_REDIS_URL for more"

    problem = webhook_problem(app)
    mode = "plaintext"
    if app.config["WECHAT_AES_KEY"]:
        mode = "safe/compatible"
        if app.config["WECHAT_ALLOW_PLAINTEXT"] is True:
            mode += ", plaintext also accepted"
    report["wechat"] = {
        "webhook": "ready" if problem is None else f"unavailable: {problem}",
        "mode": mode,
        "api": "configured"
        if app.extensions[WECHAT_CLIENT] is not None
        else "disabled: SUNSHINE_WECHAT_APPID/SUNSHINE_WECHAT_SECRET not set",
    }
    return report


def _brief(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
