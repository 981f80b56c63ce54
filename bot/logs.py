"""Logs: one format for the whole process, a request id on every line, no resident data.

``SUNSHINE_LOG_FORMAT=json`` writes one JSON object per line (for journald or a log
shipper); the default is plain text. A request's id comes from ``X-Request-ID``
(nginx's ``$request_id``) or is made up, and is sent back in the response.
Residents appear only as ``bot.privacy.openid_hash``, and database errors without the
values they quote (``scrub``).

A setting left unset or unusable (``setting_warning``) is logged at start-up by a
server, which needs them all. An app built for a ``sunshine`` command keeps them, and
a command logs only those about what it does (``concerns``): ``sunshine seed`` says
nothing of WeChat's Token, ``sunshine replies retry`` warns that the API is not set up.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ParamSpec, TextIO, TypeVar

from flask import Flask, current_app, has_request_context, request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


#: What PostgreSQL quotes from a row in its error messages: a key's or a failing row's values
#: (DETAIL lines) and the text a column would not take (a resident's words, a name).
_DATABASE_VALUES = (
    (re.compile(r"^(DETAIL:\s+).+$", re.MULTILINE), r"\1(values hidden)"),
    (re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )"[^\n]*"'), r'\1"(hidden)"'),
)


def scrub(text: str) -> str:
    """``text`` (a message or a traceback) without the values a database error quotes.

    Bound parameters are already hidden by the engine (``hide_parameters``).
    """
    for pattern, replacement in _DATABASE_VALUES:
        text = pattern.sub(replacement, text)
    return text


#: Where ``RequestIds`` keeps a request's id: in its WSGI environ.
REQUEST_ID = "sunshine.request_id"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request.environ.get(REQUEST_ID, "-") if has_request_context() else "-"
        return True


def _made_up_id() -> str:
    """16 hex digits: an id to find a request's lines by, not a secret, so taken from
    ``random`` (reseeded in each forked worker) rather than from a system call per request."""
    return f"{random.getrandbits(64):016x}"


class RequestIds:
    """WSGI middleware: each request's id, taken from ``X-Request-ID`` when it is a plain
    token or made up, kept for its log lines and sent back in the response.

    Middleware rather than Flask's request hooks: every WeChat delivery passes here, and
    two hooks cost it more than this one call.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        given = environ.get("HTTP_X_REQUEST_ID")
        request_id = given if given and _REQUEST_ID.match(given) else _made_up_id()
        environ[REQUEST_ID] = request_id

        def with_id(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        return self.app(environ, with_id)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """What a call passed in ``extra=``: the structured fields of a line."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = super().formatMessage(record)
        return f"{line} {fields}" if fields else line

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class Throttled:
    """Logs a failure that repeats on every request while a service is down: with its
    traceback once per ``every`` seconds, as a one-line error in between."""

    def __init__(self, logger: logging.Logger, every: float = 60.0) -> None:
        self.logger = logger
        self.every = every
        self._last_traceback = -every

    def error(self, message: str, *args: object) -> None:
        """Log ``message`` from inside an ``except`` block."""
        now = time.monotonic()
        if now - self._last_traceback >= self.every:
            self._last_traceback = now
            self.logger.exception(message, *args)
        else:
            self.logger.error(message, *args)


class _ProcessHandler(logging.StreamHandler[TextIO]):
    """The handler ``configure`` installs, recognised so that it is installed once."""


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Send the process's logs to stderr in ``fmt`` (once), at ``level`` (the latest asked for)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(isinstance(h, _ProcessHandler) for h in root.handlers):
        return
    handler = _ProcessHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)


class Concern(StrEnum):
    """What a setting's warning is about, so that a command hears only of what it uses."""

    #: /wechat: the Token, the AES key (a server only).
    WEBHOOK = "webhook"
    #: The console's cookies: the secret key (a server only).
    CONSOLE = "console"
    #: Redis, or an in-process store that one process alone sees.
    STORE = "store"
    #: Calls to WeChat's API: pushes, the menu, photos (AppID, AppSecret).
    WECHAT_API = "wechat_api"
    #: The key that seals ID numbers and phones.
    DATA_KEY = "data_key"


@dataclass(frozen=True)
class SettingWarning:
    concern: Concern
    logger: str
    level: int
    message: str


KEPT_WARNINGS = "sunshine.setting_warnings"


def setting_warning(
    app: Flask,
    concern: Concern,
    logger: logging.Logger,
    message: str,
    *args: object,
    level: int = logging.WARNING,
) -> None:
    """Log what is wrong with a setting now, or, in an app built for a command, keep it for the
    commands it concerns."""
    kept = app.extensions.get(KEPT_WARNINGS)
    if kept is None:
        logger.log(level, message, *args)
    else:
        kept.append(SettingWarning(concern, logger.name, level, message % args))


def announce(app: Flask, *concerns: Concern) -> None:
    """Log the kept warnings about ``concerns`` (all of them when none is named), each once."""
    kept: list[SettingWarning] = app.extensions.get(KEPT_WARNINGS) or []
    for warning in [w for w in kept if not concerns or w.concern in concerns]:
        kept.remove(warning)
        logging.getLogger(warning.logger).log(warning.level, "%s", warning.message)


Params = ParamSpec("Params")
Result = TypeVar("Result")


def concerns(
    *names: Concern,
) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """A ``sunshine`` command that relies on these settings: their warnings come before it runs.
    Put it under ``with_appcontext``."""

    def decorate(command: Callable[Params, Result]) -> Callable[Params, Result]:
        @functools.wraps(command)
        def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            announce(current_app, *names)
            return command(*args, **kwargs)

        return run

    return decorate


def init_app(app: Flask, *, command_line: bool = False) -> None:
    """Logging for ``app``; ``command_line``: keep the settings' warnings for the commands they
    concern (``concerns``) instead of logging them all at start-up."""
    if not app.testing:
        configure(str(app.config["LOG_LEVEL"]), str(app.config["LOG_FORMAT"]))
    if command_line:
        app.extensions[KEPT_WARNINGS] = []
    app.wsgi_app = RequestIds(app.wsgi_app)  # type: ignore[method-assign]  # Flask's documented way
