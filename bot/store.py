"""The key-value store: Redis when ``SUNSHINE_REDIS_URL`` is set, else an in-process one.

Everything here can be rebuilt (dialogue state, dedup keys, counters, the cached
access token), so Redis runs without persistence. The in-process fallback is
fakeredis with Lua, so the very same scripts run in both cases; it serves one
process only, which is fine for ``sunshine demo`` and a laptop's test run.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any

import fakeredis
import redis
from flask import Flask, current_app

from bot.logs import Concern, setting_warning

log = logging.getLogger(__name__)

EXTENSION = "sunshine.redis"
KEY_PREFIX = "sunshine:"

_held_locks: dict[tuple[int, Path], IO[str]] = {}


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    if url:
        client: redis.Redis = redis.Redis.from_url(
            url,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            health_check_interval=30,
        )
        app.extensions["sunshine.store_kind"] = "redis"
    else:
        client = InProcessStore(Path(app.instance_path))
        app.extensions["sunshine.store_kind"] = "in-process"
        setting_warning(
            app,
            Concern.STORE,
            log,
            "SUNSHINE_REDIS_URL is not set: using an in-process store. It serves ONE process "
            "only; run several workers or hosts only with Redis.",
        )
    app.extensions[EXTENSION] = client


def get_redis() -> redis.Redis:
    return current_app.extensions[EXTENSION]


def store_kind(app: Flask) -> str:
    return app.extensions["sunshine.store_kind"]


class InProcessStore(fakeredis.FakeRedis):
    """fakeredis that, on first use in a process, checks no other process uses one too."""

    def __init__(self, instance: Path) -> None:
        super().__init__()
        self._instance = instance
        self._checked_pid = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self._checked_pid != os.getpid():
            self._checked_pid = os.getpid()
            _claim_single_process(self._instance)
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]  # unannotated in redis-py


def _claim_single_process(instance: Path) -> None:
    """Warn loudly when a second process on this instance folder also uses an in-process store."""
    if (os.getpid(), instance) in _held_locks:
        return
    instance.mkdir(parents=True, exist_ok=True)
    handle = (instance / "in-process-store.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        log.error(
            "!!! Another process already uses an in-process store in %s (this is pid %s). "
            "Sessions, dedup and rate limits are NOT shared between processes: dialogues will "
            "break and retries may take effect twice. Set SUNSHINE_REDIS_URL, or run a single "
            "process. !!!",
            instance,
            os.getpid(),
        )
        return
    _held_locks[os.getpid(), instance] = handle
