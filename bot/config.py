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
    # The contract in docs/product.md and README's "Configuration".
    "WECHAT_TOKEN": None,
    "WECHAT_APPID": None,
    "WECHAT_SECRET": None,
    "WECHAT_AES_KEY": None,
    "REDIS_URL": None,
    "DATABASE_URL": None,
    # The schema owner's URL for migrations (``sunshine db upgrade``), when the app's own
    # role (DATABASE_URL) may only read and write rows; unset: DATABASE_URL.
    "MIGRATION_DATABASE_URL": None,
    "PUBLIC_URL": None,
    "SECRET_KEY": None,
    "WECHAT_API_BASE": "https://api.weixin.qq.com",
    "WECHAT_MAX_SKEW": 300,
    # With an AES key set, plaintext deliveries carry no signature over their body and are
    # refused (403); true accepts them too, only for the minutes of switching to safe mode.
    "WECHAT_ALLOW_PLAINTEXT": False,
    # Operational knobs with sensible defaults.
    # Items of the search indexes a process keeps in memory (about 1.3 KB each), least
    # recently used dropped beyond (bot/content/indexes.py).
    "SEARCH_CACHE_ITEMS": 60_000,
    # Folder for the SQLite file, stored media and generated keys; read by create_app
    # before the config exists (Flask needs it at construction). Default: ./instance.
    "INSTANCE_PATH": None,
    # Largest delivery WeChat may POST to /wechat (bigger: 413), and largest request
    # anywhere else (the console's uploads of reports and item spreadsheets).
    "WECHAT_MAX_BODY": 256 * 1024,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "WECHAT_API_TIMEOUT": 5.0,
    "DIALOGUE_TIMEOUT": 30 * 60,
    "RETRY_WAIT": 4.0,
    "LOCK_WAIT": 4.0,
    "LOCK_TTL": 10.0,
    # Seconds after a delivery arrives by which its database work must be done (statement
    # and lock time-outs): WeChat waits 5 s; later, the resident is asked to send again.
    "WECHAT_DB_DEADLINE": 3.5,
    # Logs: level, and "text" or "json" lines. /metrics: bearer token (unset: loopback only).
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
    "METRICS_TOKEN": None,
    # How many reverse proxies stand in front and set X-Forwarded-For/-Proto/-Host
    # (werkzeug's ProxyFix). 0 trusts none of these headers.
    "PROXY_FIX": 0,
    # Applications and complaints (bot/cases). DATA_KEY: Fernet key(s), comma-separated,
    # sealing identity numbers and phones; unset: generated into the instance folder.
    "DATA_KEY": None,
    # Where residents' photos are stored; unset: <instance>/media.
    "MEDIA_DIR": None,
    # Cases per resident and Beijing day beyond which staff see them marked (never refused),
    # and messages per minute to the dialogues.
    "CASE_DAILY_LIMIT": 10,
    "CASE_MESSAGE_RATE": 30,
    # Staff replies outside WeChat's 48-hour window (bot/cases/replies.py): the subscription
    # template (订阅通知) that tells a resident an answer is waiting (unset: the reply waits
    # for the resident to ask), and its three keywords: the case, its state, the time.
    "REPLY_TEMPLATE_ID": None,
    "REPLY_TEMPLATE_KEYS": "thing1,phrase2,time3",
    # Staff console (bot/admin). COOKIE_SECURE: send the login cookie over HTTPS only
    # (it is also Secure on any request that arrives as HTTPS). Seconds: a login lasts at
    # most ADMIN_SESSION_LIFETIME, and ends after ADMIN_IDLE_TIMEOUT without a request;
    # ADMIN_MAX_FAILED_LOGINS wrong passwords in a row from one address lock the account
    # for that address for ADMIN_LOCKOUT.
    "COOKIE_SECURE": False,
    "ADMIN_SESSION_LIFETIME": 8 * 3600,
    "ADMIN_IDLE_TIMEOUT": 30 * 60,
    "ADMIN_MAX_FAILED_LOGINS": 5,
    "ADMIN_LOCKOUT": 15 * 60,
    # Bodies (行政机关): the slug of the first body, the one an upgraded one-town install
    # (migration 0016) or ``sunshine seed`` on an empty deployment creates.
    "FIRST_BODY_SLUG": "town",
}

STRING_SETTINGS = (
    "WECHAT_TOKEN",
    "WECHAT_APPID",
    "WECHAT_SECRET",
    "WECHAT_AES_KEY",
    "REDIS_URL",
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "PUBLIC_URL",
    "SECRET_KEY",
    "WECHAT_API_BASE",
    "INSTANCE_PATH",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "METRICS_TOKEN",
    "DATA_KEY",
    "MEDIA_DIR",
    "REPLY_TEMPLATE_ID",
    "REPLY_TEMPLATE_KEYS",
    "FIRST_BODY_SLUG",
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
