"""Applications (依申请公开) and complaints (投诉/举报/建议): the domain behind the dialogues.

- ``numbers``: tracking numbers, allocated in the filing transaction;
- ``deadlines``: statutory periods, plain date arithmetic;
- ``calendar``: the official holiday schedules the project owns;
- ``intake``: filing a case once per dialogue, in one transaction;
- ``privacy``: sealing identity numbers and phones, masking them for display;
- ``limits``: per-resident limits in Redis;
- ``media``: downloading residents' photos from WeChat;
- ``digest``: open cases by urgency (the daily digest, the overdue gauge);
- ``export`` and ``cli``: ``sunshine cases export``, ``calendar``, ``media``, ``digest``.

The dialogues themselves are in ``handlers/apply.py``, ``handlers/complaint.py``
and ``handlers/progress.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from bot.cases import cli, media, privacy
from bot.cases.deadlines import beijing_date
from bot.cases.digest import overdue_count
from bot.db import get_session
from bot.metrics import live_gauge


@live_gauge("sunshine_overdue_cases", "Open applications and complaints past their deadline.")
def overdue_now() -> float:
    return overdue_count(get_session(), beijing_date(datetime.now(UTC)))


def init_app(app: Flask) -> None:
    privacy.init_app(app)
    media.init_app(app)
    for group in cli.GROUPS:
        app.cli.add_command(group)
