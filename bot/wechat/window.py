"""WeChat's 48-hour window: customer-service messages may reach a resident for 48 hours
after their last message (docs/wechat.md, "customer-service messages").

The delivery layer records the time of each message (not of events) in the same
Redis script that stores its reply (``seen_key``, ``SEEN_TTL_S``); whoever wants to
push a message asks ``last_message_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from bot.privacy import Resident
from bot.store import EXTENSION as STORE

#: How long the window stays open after a resident's message.
SEEN_TTL_S = 48 * 3600


def seen_key(resident: Resident) -> str:
    return resident.key("seen")


def last_message_at(resident: Resident) -> datetime | None:
    """When the resident last sent a message (not an event), within the last 48 hours.

    None after 48 hours, or when Redis lost it: the window is then treated as closed.
    """
    raw = current_app.extensions[STORE].get(seen_key(resident))
    return datetime.fromtimestamp(int(raw), UTC) if raw else None
