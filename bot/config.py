"""Settings: defaults, then ``SUNSHINE_*`` environment variables, then a test mapping.

Flask's ``from_prefixed_env`` parses each value as JSON, which is right for numbers
(``SUNSHINE_WECHAT_MAX_SKEW=300``) but would turn an all-digit Token into an int
and ``1e5`` into a float. Settings that are strings by nature are therefore read
again verbatim from the environment.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

ENV_PREFIX = "SUNSHINE"

DEFAULTS: dict[str, Any] = {
    # The contract in PRODUCT.md.
    "WECHAT_TOKEN": None,
    "WECHAT_APPID": None,
    "WECHAT_SECRET": None,
    "WECHAT_AES_KEY": None,
    "REDIS_URL": None,
    "DATABASE_URL": None,
    "PUBLIC_URL": None,
    "SECRET_KEY": None,
    "WECHAT_API_BASE": "https://api.weixin.qq.com",
    "WECHAT_MAX_SKEW": 300,
    # Operational knobs with sensible defaults.
    # Folder for the SQLite file, stored media and generated keys; read by create_app
    # before the config exists (Flask needs it at construction). Default: ./instance.
    "INSTANCE_PATH": None,
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "WECHAT_API_TIMEOUT": 5.0,
    "DIALOGUE_TIMEOUT": 30 * 60,
    "RETRY_WAIT": 4.0,
    "LOCK_WAIT": 4.0,
    "LOCK_TTL": 10.0,
    # Logs: level, and "text" or "json" lines. /metrics: bearer token (unset: loopback only).
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
    "METRICS_TOKEN": None,
}

STRING_SETTINGS = (
    "WECHAT_TOKEN",
    "WECHAT_APPID",
    "WECHAT_SECRET",
    "WECHAT_AES_KEY",
    "REDIS_URL",
    "DATABASE_URL",
    "PUBLIC_URL",
    "SECRET_KEY",
    "WECHAT_API_BASE",
    "INSTANCE_PATH",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "METRICS_TOKEN",
)


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order of precedence: defaults < environment < test mapping."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix=ENV_PREFIX)
    for key in STRING_SETTINGS:
        raw = os.environ.get(f"{ENV_PREFIX}_{key}")
        if raw is not None:
            app.config[key] = raw.strip() or None
    if test_config:
        app.config.update(test_config)
