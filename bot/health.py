"""``/healthz``: what a load balancer and an operator need to know, without secrets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from bot import db
from bot.store import get_redis, store_kind
from bot.webhook import webhook_problem
from bot.wechat_api import EXTENSION as WECHAT_CLIENT

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
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
    healthy = report["database"]["ok"] and report["store"]["ok"] and problem is None
    report["status"] = "ok" if healthy else "unhealthy"
    return jsonify(report), 200 if healthy else 503


def _brief(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
