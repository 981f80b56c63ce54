"""Applications (依申请公开) and complaints (投诉/举报/建议): the domain behind the dialogues.

- ``numbers``: tracking numbers, allocated in the filing transaction;
- ``deadlines``: statutory periods, plain date arithmetic;
- ``calendar``: the official holiday schedules the project owns;
- ``intake``: filing a case once per dialogue, in one transaction;
- ``privacy``: sealing identity numbers and phones, masking them for display;
- ``access``: who sees a resident's identity and contacts on a case (显示 is logged);
- ``limits``: per-resident limits in Redis;
- ``media``: downloading residents' photos from WeChat;
- ``digest``: open cases by urgency (the daily digest, the overdue gauge);
- ``inbox``: the console's inbox, filtered, ordered by urgency and paged in the database;
- ``outcomes``: the statutory outcomes (rows of the annual report's table 三), final replies;
- ``states``: a case's state machine: its states, the events that move it, who may fire
  each; every event writes its audit entry;
- ``handling``: what staff do to a case (assign, note, correction, extension, close), each
  an event of ``states``;
- ``replies``: getting staff replies to residents (customer-service or subscription
  messages, or waiting for ``进度``), retried until delivered;
- ``formal``: the formal reply (答复书) of a closed application;
- ``links``: the links only one resident gets, to their 答复书 and to every reply in full
  (the pages are ``bot.public.case_pages``);
- ``export`` and ``cli``: ``sunshine cases export``, ``calendar``, ``media``, ``digest``,
  ``replies retry``, ``report stats``.

The dialogues themselves are in ``handlers/apply.py``, ``handlers/complaint.py``,
``handlers/progress.py``, ``handlers/correction.py`` (补正) and ``handlers/rating.py``.
"""

from __future__ import annotations

from flask import Flask

from bot import clock
from bot.cases import cli, media, privacy
from bot.cases.digest import overdue_count
from bot.db import get_session
from bot.metrics import live_gauge


@live_gauge("sunshine_overdue_cases", "Open applications and complaints past their deadline.")
def overdue_now() -> float:
    return overdue_count(get_session(), clock.today())


def init_app(app: Flask) -> None:
    privacy.init_app(app)
    media.init_app(app)
    for group in cli.GROUPS:
        app.cli.add_command(group)
