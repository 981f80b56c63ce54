"""Fault drills: the real processes break in the middle of residents' work.

Each drill runs the real thing (gunicorn workers on a shared Redis and database)
and checks what residents see and what the database holds: never two cases for
one dialogue, never a receipt without its case, never a case without its
attachments, never a 5xx. A drill that needs real Redis is skipped without it,
except under ``CI=true``.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import db
from bot.chat import ChatClient, describe
from bot.models.cases import Case
from bot.protocol import Keys
from tests.apps import PAUSE_AT, PAUSE_POINTS, PAUSED_PID_FILE
from tests.conftest import TOKEN, Services, needs_redis
from tests.servers import gunicorn_instances

COMPLAINT = ["投诉", "村口路灯坏了三天了，晚上很黑", "/image", "好了", "跳过", "确认"]
RECEIPT_NUMBER = re.compile(r"编号：((?:TS|SQ)\d{8}-\d{4})")
#: Every "send it again" the delivery layer and the dialogues give says 再发.
RESEND = "再发"
NO_REPLY = "（没有回复）"


def cases_of(app: Flask, openid: str | None = None) -> list[Case]:
    with app.app_context():
        query = select(Case).options(selectinload(Case.attachments)).order_by(Case.id)
        if openid is not None:
            query = query.where(Case.openid == openid)
        return list(db.get_session().scalars(query))


class Wire:
    """WeChat's side of the connection to one host: posts deliveries and can retry the last."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}/wechat"
        self.last: tuple[dict[str, str], bytes] | None = None

    def post(self, query: dict[str, str], body: bytes) -> tuple[int, str]:
        self.last = (query, body)
        response = requests.post(self.url, params=query, data=body, timeout=15)
        return response.status_code, response.text

    def retry(self) -> str:
        """WeChat's retry of the last delivery: the same MsgId, signature and body."""
        assert self.last is not None
        status, body = self.post(*self.last)
        assert status == 200, body
        return describe(body)


def wait_for_file(path: Path, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout}s"
        time.sleep(0.02)
    return path.read_text()


# ---- a worker killed in the middle of 确认 ----


@pytest.mark.parametrize("moment", PAUSE_POINTS)
def test_a_worker_killed_inside_the_filing_leaves_one_case_or_a_request_to_resend(
    services: Services, make_app: Callable[..., Flask], tmp_path: Path, moment: str
) -> None:
    """SIGKILL lands inside the filing's transaction: after the case's rows are written
    (``flushed``) or just after the commit (``committed``), before the receipt is sent.

    The worker is stopped there by a hook on the app's database sessions
    (``tests.apps.create_drill_app``) and announces its pid; the test kills exactly it.
    WeChat then retries the same delivery, and the resident sends 确认 again when told to.
    """
    redis_url = needs_redis(services)
    app = make_app()
    pid_file = tmp_path / "paused.pid"
    env = {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_DATABASE_URL": app.config["DATABASE_URL"],
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_SECRET_KEY": "drill-secret-key",
        "SUNSHINE_DATA_KEY": Fernet.generate_key().decode(),
        "SUNSHINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "WEB_CONCURRENCY": "2",
        # A dead worker's lock on the resident expires after LOCK_TTL, and a retry waits
        # RETRY_WAIT for the first copy's reply (10 s and 4 s in production): shortened,
        # in the same order, so that the drill does not sit waiting.
        "SUNSHINE_LOCK_TTL": "2",
        "SUNSHINE_RETRY_WAIT": "1",
        PAUSE_AT: moment,
        PAUSED_PID_FILE: str(pid_file),
    }
    openid = f"o-drill-kill-{moment}"
    with gunicorn_instances([env], tmp_path, app="tests.apps:create_drill_app()") as [host]:
        wire = Wire(host.base)
        phone = ChatClient(wire.post, Keys(TOKEN), openid=openid)
        for line in COMPLAINT[:-1]:
            assert describe(phone.line(line)) != NO_REPLY
        with ThreadPoolExecutor(1) as pool:
            confirm = pool.submit(phone.line, "确认")
            paused = int(wait_for_file(pid_file))
            assert paused in host.workers()
            os.kill(paused, signal.SIGKILL)
            with pytest.raises(requests.ConnectionError):
                confirm.result(timeout=15)
        # Rolled back as a whole, or committed as a whole.
        assert [len(c.attachments) for c in cases_of(app, openid)] == (
            [1] if moment == "committed" else []
        )

        replies = [wire.retry()]
        while RESEND in replies[-1] and len(replies) < 4:
            replies.append(describe(phone.line("确认")))
        output = host.output()

    assert replies[0] != NO_REPLY, f"WeChat's retry was not answered:\n{output[-3000:]}"
    [case] = cases_of(app, openid)
    assert len(case.attachments) == 1
    for reply in replies[:-1]:
        assert RESEND in reply and not RECEIPT_NUMBER.search(reply), replies
    assert RECEIPT_NUMBER.findall(replies[-1]) == [case.number], replies
    assert f"Worker (pid:{paused}) was sent SIGKILL" in output
