"""Prometheus metrics, and ``/metrics`` for the scraper (protected).

Under gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before the
workers start (``deploy/gunicorn.conf.py`` does) so that every worker's counts are
added up; without it the numbers are the answering process's own.
Labels never carry resident data.
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Callable, Iterator

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

WEBHOOK_SECONDS = Histogram(
    "sunshine_webhook_seconds",
    "Time to answer a POST to /wechat, by HTTP status.",
    ["status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4.5, 10),
)
REPLIES = Counter("sunshine_replies_total", "Messages answered, by handler.", ["handler"])
DEDUP_HITS = Counter(
    "sunshine_dedup_hits_total", "WeChat retries answered with the first copy's reply."
)
DIALOGUES = Counter(
    "sunshine_dialogues_total",
    "Dialogues by name and how they went (started, completed, cancelled, timed_out, lost).",
    ["dialogue", "outcome"],
)
STORE_ERRORS = Counter(
    "sunshine_store_errors_total", "Messages answered 'busy' because the store failed."
)
HANDLER_ERRORS = Counter(
    "sunshine_handler_errors_total", "Handlers that raised, by handler.", ["handler"]
)
WECHAT_API_ERRORS = Counter(
    "sunshine_wechat_api_errors_total", "WeChat API calls that failed, by errcode.", ["errcode"]
)


@functools.cache
def webhook_seconds(status: int) -> Histogram:
    """``WEBHOOK_SECONDS`` for one status (a child looked up once, not on every message)."""
    return WEBHOOK_SECONDS.labels(status=str(status))


@functools.cache
def replies(handler: str) -> Counter:
    """``REPLIES`` for one handler (a child looked up once, not on every message)."""
    return REPLIES.labels(handler=handler)


bp = Blueprint("metrics", __name__)

#: Gauges computed at scrape time from the database: name -> (help, function returning a value).
_live_gauges: dict[str, tuple[str, Callable[[], float]]] = {}


def live_gauge(
    name: str, documentation: str
) -> Callable[[Callable[[], float]], Callable[[], float]]:
    """Register a gauge whose value a function computes when Prometheus scrapes."""

    def register(compute: Callable[[], float]) -> Callable[[], float]:
        _live_gauges[name] = (documentation, compute)
        return compute

    return register


class _LiveGauges(Collector):
    def collect(self) -> Iterator[Metric]:
        for name, (documentation, compute) in _live_gauges.items():
            yield GaugeMetricFamily(name, documentation, value=compute())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def holds_metrics_token() -> bool:
    """Whether the request carries ``Authorization: Bearer SUNSHINE_METRICS_TOKEN`` (set)."""
    token: str | None = current_app.config.get("METRICS_TOKEN")
    if not token:
        return False
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition: with ``Authorization: Bearer SUNSHINE_METRICS_TOKEN``,
    or from the host itself when no token is configured."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        if not holds_metrics_token():
            abort(403)
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        abort(403)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    live = CollectorRegistry()
    live.register(_LiveGauges())
    body += generate_latest(live)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
