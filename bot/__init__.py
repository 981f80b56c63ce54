"""Sunshine (阳光): the backend of a town government's WeChat account for information disclosure.

``create_app`` builds the application from defaults, the ``SUNSHINE_*`` environment
and an optional test mapping, then hands it to each resource's ``init_app``.
Nothing happens at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import handlers
from bot import (
    admin,
    annual,
    cases,
    cli,
    config,
    content,
    db,
    errors,
    health,
    logs,
    metrics,
    public,
    store,
    urls,
)
from bot.cases import privacy
from bot.engine.router import Router
from bot.wechat import accounts, delivery, webhook
from bot.wechat import api as wechat_api

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None, *, command_line: bool = False) -> Flask:
    """The app; ``command_line``: built for a ``sunshine`` command, which logs only the warnings
    about settings that concern it (``bot.logs.concerns``), not a server's."""
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("SUNSHINE_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
    )
    config.load(app, test_config)
    app.url_map.converters["int"] = urls.BoundedInteger  # before any route is added
    logs.init_app(app, command_line=command_line)
    proxies = int(app.config["PROXY_FIX"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        logs.setting_warning(
            app,
            logs.Concern.CONSOLE,
            log,
            "SUNSHINE_SECRET_KEY is not set: using a generated key, good for development only "
            "(console logins end at restart and are not shared between processes)",
        )
    db.init_app(app)
    errors.init_app(app)
    store.init_app(app)
    accounts.init_app(app, privacy.unseal)
    delivery.init_app(app, delivery.Sealer(privacy.seal, privacy.unseal))
    wechat_api.init_app(app)
    app.extensions[webhook.ROUTER] = Router(handlers.CAPABILITIES)
    webhook.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    content.init_app(app)
    cases.init_app(app)
    annual.init_app(app)
    public.init_app(app)
    admin.init_app(app)
    cli.init_app(app)
    return app
