"""One clock: "now" in UTC, Beijing dates, and what a stored moment means.

Every module asks ``clock.now()`` (never ``datetime.now``), so tests set the time in
one place (``monkeypatch.setattr(clock, "now", ...)``, the ``clock`` fixture). Moments
are stored in UTC; SQLite hands them back without a zone, which ``aware`` (and the
``AwareDateTime`` column type of ``bot.models.core``) read as UTC. Every date a
resident or a staff member sees is a Beijing date (docs/product.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

#: Beijing time. A fixed offset: China has not observed daylight saving time since 1991,
#: and it spares deployments the tzdata package.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """``moment`` with its zone: a naive one (as SQLite stores it) is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def in_beijing(moment: datetime) -> datetime:
    return aware(moment).astimezone(BEIJING)


def beijing_date(moment: datetime) -> date:
    return in_beijing(moment).date()


def today() -> date:
    """Today's date in Beijing."""
    return beijing_date(now())
