"""Fault drills: the real processes break in the middle of residents' work.

Each drill runs the real thing (gunicorn workers on a shared Redis and database)
and checks what residents see and what the database holds: never two cases for
one dialogue, never a receipt without its case, never a case without its
attachments, never a 5xx. The service a drill breaks is its own (a worker, a
redis-server, a PostgreSQL cluster), never the machine's shared one. A drill is
skipped when it lacks a service or program it needs, except under ``CI=true``.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session, selectinload

from bot import db
from bot.models.cases import Case, CaseReply
from bot.wechat.chat import ChatClient, ChatError, describe
from bot.wechat.delivery import BUSY
from bot.wechat.protocol import Keys
from tests.apps import PAUSE_AT, PAUSE_POINTS, PAUSED_PID_FILE
from tests.servers import (
    REDIS_SERVER,
    OwnRedis,
    PrivatePostgres,
    gunicorn_instances,
    postgres_bindir,
)
from tests.support import (
    PERSON_STEPS,
    TOKEN,
    Resident,
    Services,
    needs_postgresql,
    needs_program,
    needs_redis,
)

pytestmark = pytest.mark.slow

COMPLAINT = ["投诉", "村口路灯坏了三天了，晚上很黑", "/image", "好了", "跳过", "确认"]
APPLICATION = [*PERSON_STEPS, "确认"]
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


def drill_env(database_url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """A host's settings; the limits on residents are lifted, the drills' residents are fast."""
    return {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_DATABASE_URL": database_url,
        "SUNSHINE_REDIS_URL": redis_url,
        "SUNSHINE_SECRET_KEY": "drill-secret-key",
        "SUNSHINE_DATA_KEY": Fernet.generate_key().decode(),
        "SUNSHINE_INSTANCE_PATH": str(folder / "instance"),
        "SUNSHINE_CASE_DAILY_LIMIT": "1000",
        "SUNSHINE_CASE_MESSAGE_RATE": "10000",
        "WEB_CONCURRENCY": "2",
    }


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


@pytest.mark.services
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
        **drill_env(app.config["DATABASE_URL"], redis_url, tmp_path),
        # A dead worker's lock on the resident expires after LOCK_TTL, and a retry waits
        # RETRY_WAIT for the first copy's reply (10 s and 4 s in production): shortened,
        # in the same order, so that the drill does not sit waiting. The lock must outlive
        # a message's database deadline (3.5 s in production) by a second.
        "SUNSHINE_LOCK_TTL": "2",
        "SUNSHINE_RETRY_WAIT": "1",
        "SUNSHINE_WECHAT_DB_DEADLINE": "1",
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


# ---- shared by the service drills ----

#: A resident's pause between messages while the drills keep them sending.
THINKING_S = 0.05
#: A resident told to send again does so after this pause, at most this many times.
RESEND_PAUSE_S = 0.1
RESENDS = 150
CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: What a plain reply never shows: a Python message, markup, an HTTP error.
TECHNICAL = re.compile(r"Traceback|Error|Exception|Internal Server|\bNone\b|[<>{}]")
NOTHING_IN_PROGRESS = "现在没有正在填写的内容"


@dataclass(frozen=True)
class Exchange:
    """One message a resident sent and what came back (status 0: no HTTP answer at all)."""

    line: str
    status: int
    reply: str
    sent: float
    answered: float

    def reads_plainly(self) -> bool:
        return (
            self.status == 200
            and self.reply != NO_REPLY
            and bool(CHINESE.search(self.reply))
            and not TECHNICAL.search(self.reply)
        )

    def within(self, start: float, end: float) -> bool:
        """Sent after ``start`` and answered before ``end`` (``time.monotonic``)."""
        return start < self.sent and self.answered < end


class Phone:
    """A resident's phone talking to one host; every exchange is kept for the drill's checks.

    Used by one thread at a time.
    """

    def __init__(self, base: str, openid: str) -> None:
        self.openid = openid
        self.exchanges: list[Exchange] = []
        self._url = f"{base}/wechat"
        self._http = requests.Session()
        self._answer = (0, "")
        self._chat = ChatClient(self._post, Keys(TOKEN), openid=openid)

    def _post(self, query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = self._http.post(self._url, params=query, data=body, timeout=15)
        self._answer = (response.status_code, response.text)
        return self._answer

    def says(self, line: str) -> str:
        sent = time.monotonic()
        try:
            status, reply = 200, describe(self._chat.line(line))
        except ChatError:
            status, reply = self._answer
        except requests.RequestException as error:
            status, reply = 0, f"{type(error).__name__}: {error}"
        self.exchanges.append(Exchange(line, status, reply, sent, time.monotonic()))
        return reply

    def goes_through(self, lines: list[str]) -> str:
        """Send ``lines`` in turn, each again while the reply asks to; return the last reply."""
        reply = ""
        for line in lines:
            for _ in range(RESENDS):
                reply = self.says(line)
                if RESEND not in reply:
                    break
                time.sleep(RESEND_PAUSE_S)
            else:
                raise AssertionError(f"{self.openid}: {line!r} was still refused: {reply!r}")
        return reply

    def receipts(self) -> list[tuple[str, float]]:
        """The tracking numbers the resident was given, with when each came."""
        return [
            (number, e.answered)
            for e in self.exchanges
            for number in RECEIPT_NUMBER.findall(e.reply)
        ]


def keep_sending(phone: Phone, lines: list[str], stop: threading.Event) -> None:
    """Send ``lines`` over and over, whatever the replies, until ``stop``."""
    for line in itertools.cycle(lines):
        if stop.is_set():
            return
        phone.says(line)
        time.sleep(THINKING_S)


def keep_filing(phone: Phone, lines: list[str], stop: threading.Event) -> None:
    """File one case after another (sending again when asked to), until ``stop``."""
    while not stop.is_set():
        phone.goes_through(lines)
        time.sleep(THINKING_S)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.05)


def unreadable(phones: list[Phone]) -> list[Exchange]:
    """Exchanges a resident could not read as a plain answer: a 5xx, silence, a Python message."""
    return [e for p in phones for e in p.exchanges if not e.reads_plainly()]


def filed_once_per_receipt(app: Flask, phones: list[Phone]) -> list[Case]:
    """Check each resident's cases are exactly the receipts they were given; return the cases."""
    cases = cases_of(app)
    given = sorted((p.openid, number) for p in phones for number, _ in p.receipts())
    filed = sorted((c.openid, c.number) for c in cases)
    # A receipt repeated for one dialogue (a resent 确认) names the same case: no duplicates.
    assert sorted(set(given)) == filed, "receipts and cases differ"
    return cases


def describe_case(case: Case) -> str:
    photos = [a.kind for a in case.attachments]
    return f"{case.number} of {case.openid}: {case.name!r}, {case.text!r}, attachments {photos}"


def whole(case: Case) -> bool:
    """The case is as its resident sent it: a complaint with its photo, an application whole."""
    if case.kind == "complaint":
        return case.text == COMPLAINT[1] and [a.kind for a in case.attachments] == ["image"]
    return (case.name, case.text, case.attachments) == ("张三", PERSON_STEPS[6], [])


# ---- Redis stopped for 10 s under load ----

REDIS_DOWN_S = 10
ASKING = ["帮助", "低保", "查询 危房改造", "联系"]


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    needs_program(
        REDIS_SERVER, "redis-server is not installed (Debian: apt-get install redis-server)"
    )
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def test_redis_stopped_for_ten_seconds_under_load(
    make_app: Callable[..., Flask], own_redis: OwnRedis, tmp_path: Path
) -> None:
    """Residents keep asking, searching and filing complaints while Redis is down for 10 s.

    While it is down every message is answered with the busy message (a 200, plain
    Chinese); nothing filed is lost or half-written; once Redis is back (empty, as
    it runs without persistence) the next dialogue files its case.
    """
    app = make_app(REDIS_URL=own_redis.url)  # the shared database: the tests' own
    env = drill_env(app.config["DATABASE_URL"], own_redis.url, tmp_path)
    with gunicorn_instances([env], tmp_path) as [host]:
        earlier = Phone(host.base, "o-drill-redis-earlier")
        earlier.goes_through(COMPLAINT)
        kept = {c.number: snapshot(c) for c in cases_of(app)}

        askers = [Phone(host.base, f"o-drill-redis-asks-{n}") for n in range(2)]
        complainants = [Phone(host.base, f"o-drill-redis-complains-{n}") for n in range(2)]
        load = [(p, ASKING) for p in askers] + [(p, COMPLAINT) for p in complainants]
        stop = threading.Event()
        with ThreadPoolExecutor(len(load)) as pool:
            running = [pool.submit(keep_sending, p, lines, stop) for p, lines in load]
            wait_until(
                lambda: all(p.receipts() for p in complainants), "complaints filed under load"
            )
            own_redis.stop()
            down = time.monotonic()
            time.sleep(REDIS_DOWN_S)
            up = time.monotonic()
            own_redis.start()
            wait_until(
                lambda: all(
                    any(e.sent > up and e.reply != BUSY for e in p.exchanges) for p, _ in load
                ),
                "every resident served again after Redis came back",
            )
            stop.set()
            for future in running:
                future.result()
        # The next dialogue after Redis is back works from start to receipt (取消 first:
        # inside a complaint dialogue, "投诉" is part of the complaint).
        after = [p.goes_through(["取消", *COMPLAINT]) for p in complainants]

    phones = [earlier, *askers, *complainants]
    assert not unreadable(phones)
    while_down = {p.openid: [e for e in p.exchanges if e.within(down, up)] for p, _ in load}
    assert all(while_down.values()), "every resident kept sending while Redis was down"
    assert {e.reply for exchanges in while_down.values() for e in exchanges} == {BUSY}
    for reply in after:
        assert RECEIPT_NUMBER.search(reply), reply
    cases = filed_once_per_receipt(app, phones)
    assert [describe_case(c) for c in cases if not whole(c)] == []
    assert {c.number: snapshot(c) for c in cases if c.number in kept} == kept


def snapshot(case: Case) -> tuple:
    """What a case holds that nothing in a drill may change."""
    return (
        case.openid,
        case.kind,
        case.status,
        case.text,
        case.created_at,
        case.due_on,
        [(a.kind, a.media_id) for a in case.attachments],
    )


def test_redis_lost_just_after_a_case_is_committed_still_gives_the_receipt(
    make_app: Callable[..., Flask], own_redis: OwnRedis
) -> None:
    """The worst moment of the drill above, made exact: Redis goes the instant the case is
    committed. The case stands, so the resident must get its receipt, not "没有生效" (with
    the dialogue lost in Redis, they would file it a second time)."""
    app = make_app(REDIS_URL=own_redis.url)
    stop_redis_when_a_case_is_committed(app, own_redis)
    openid = "o-drill-redis-commit"
    resident = Resident(app, openid=openid)
    for line in COMPLAINT[:-1]:
        resident.says(line)

    receipt = resident.says("确认")
    [case] = cases_of(app, openid)
    assert RECEIPT_NUMBER.findall(receipt) == [case.number], receipt
    own_redis.start()
    assert NOTHING_IN_PROGRESS in resident.says("确认")
    assert len(cases_of(app, openid)) == 1


def stop_redis_when_a_case_is_committed(app: Flask, server: OwnRedis) -> None:
    sessions = app.extensions["sunshine.sessionmaker"]

    @event.listens_for(sessions, "after_flush")
    def flushed(session: Session, _context: object) -> None:
        if any(isinstance(row, Case) for row in session.new):
            session.info["filing"] = True

    @event.listens_for(sessions, "after_commit")
    def committed(session: Session) -> None:
        if session.info.pop("filing", False):
            server.stop()


# ---- PostgreSQL restarted ----


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this test's own (never the machine's), migrated, running."""
    bindir = needs_program(
        postgres_bindir(),
        "PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)",
    )
    cluster = PrivatePostgres(bindir)
    try:
        cluster.init()
        cluster.start()
        engine = create_engine(cluster.url)
        db.upgrade(engine)
        engine.dispose()
        yield cluster
    finally:
        cluster.remove()


@pytest.mark.services
def test_postgresql_restarted_while_residents_file(
    services: Services,
    private_postgres: PrivatePostgres,
    make_app: Callable[..., Flask],
    tmp_path: Path,
) -> None:
    """Residents file complaints and applications while the cluster stops and starts again.

    During the gap a submission is refused with a request to send it again (never a
    receipt); the dialogue waits at its confirm step, so the 确认 sent again once the
    database is back files the case, once; nothing is half-written.
    """
    redis_url = needs_redis(services)
    app = make_app(DATABASE_URL=private_postgres.url)  # seeds the private cluster
    env = drill_env(private_postgres.url, redis_url, tmp_path)
    with gunicorn_instances([env], tmp_path) as [host]:
        waiting = [
            Phone(host.base, "o-drill-pg-waits-complaint"),
            Phone(host.base, "o-drill-pg-waits-application"),
        ]
        for phone, lines in zip(waiting, (COMPLAINT, APPLICATION), strict=True):
            phone.goes_through(lines[:-1])  # at the confirm step
        filers = [Phone(host.base, f"o-drill-pg-files-{n}") for n in range(3)]
        stop = threading.Event()
        with ThreadPoolExecutor(len(filers)) as pool:
            running = [
                pool.submit(keep_filing, p, COMPLAINT if n % 2 else APPLICATION, stop)
                for n, p in enumerate(filers)
            ]
            wait_until(lambda: all(p.receipts() for p in filers), "cases filed before the stop")
            private_postgres.stop()
            down = time.monotonic()
            refused = [phone.says("确认") for phone in waiting]
            wait_until(
                lambda: all(
                    any(e.sent > down and RESEND in e.reply for e in p.exchanges) for p in filers
                ),
                "every filing resident refused during the gap",
            )
            up = time.monotonic()
            private_postgres.start()
            stop.set()  # each resident finishes the filing in hand, sending again as asked
            for future in running:
                future.result()
        filed = [phone.says("确认") for phone in waiting]
        again = [phone.says("确认") for phone in waiting]

    phones = [*waiting, *filers]
    assert not unreadable(phones)
    for reply in refused:
        assert RESEND in reply and not RECEIPT_NUMBER.search(reply), reply
    in_gap = [e for p in phones for e in p.exchanges if e.within(down, up)]
    assert not [e for e in in_gap if RECEIPT_NUMBER.search(e.reply)], "a receipt during the gap"
    for phone in filers:  # filing works again: the filing refused in the gap went through
        assert max(answered for _, answered in phone.receipts()) > up
    cases = filed_once_per_receipt(app, phones)
    assert [describe_case(c) for c in cases if not whole(c)] == []
    for phone, reply in zip(waiting, filed, strict=True):
        [case] = [c for c in cases if c.openid == phone.openid]
        assert RECEIPT_NUMBER.findall(reply) == [case.number], reply
    assert all(NOTHING_IN_PROGRESS in reply for reply in again), again


# ---- a row lock held while residents write and ask ----

#: WeChat gives up on an answer after 5 s and shows "该公众号暂时无法提供服务".
WECHAT_WAITS_S = 5.0
LONG_REPLY = "经核查，" + "村口路灯的线路老化，已列入本月维修计划，电工将逐段更换。" * 20


@contextmanager
def row_locked(database_url: str, statement: str) -> Iterator[None]:
    """Another connection (a colleague's slow transaction) holds the rows ``statement`` updates."""
    engine = create_engine(database_url)
    with engine.connect() as colleague:
        colleague.execute(text(statement))
        try:
            yield
        finally:
            colleague.rollback()
    engine.dispose()


def timed(send: Callable[[], str]) -> tuple[str, float]:
    started = time.monotonic()
    reply = send()
    return reply, time.monotonic() - started


@pytest.mark.services
def test_a_row_lock_held_elsewhere_never_costs_a_resident_the_answer(
    services: Services, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """PostgreSQL stalls on rows a colleague's transaction holds; residents keep getting answers.

    While the counter of today's tracking numbers is locked, 确认 is answered within
    WeChat's 5 s with a request to send it again, and nothing is filed; WeChat's retry of
    that delivery gets the same answer without running the handler again (its lock
    outlives the handler); sent again once the lock is gone, 确认 files one case. While a
    staff reply's row is locked, 进度 shows the reply in full within 5 s but leaves it
    unread, since marking it waited in vain: the next 进度 shows it again and marks it.
    The usual summary then cuts the long reply and links to it in full.
    """
    database_url = needs_postgresql(services)
    redis_url = needs_redis(services)
    app = make_app()
    env = drill_env(database_url, redis_url, tmp_path)  # production's time limits
    openid = "o-drill-row-lock"
    with gunicorn_instances([env], tmp_path) as [host]:
        wire = Wire(host.base)
        phone = ChatClient(wire.post, Keys(TOKEN), openid=openid)
        say = lambda line: describe(phone.line(line))  # noqa: E731
        first = RECEIPT_NUMBER.findall(phone_goes_through(say, COMPLAINT))
        for line in COMPLAINT[:-1]:
            say(line)

        with row_locked(database_url, "UPDATE case_counter SET last = last"):
            stalled, stalled_s = timed(lambda: say("确认"))
            retried, retried_s = timed(wire.retry)
        assert stalled == BUSY and stalled_s < WECHAT_WAITS_S, (stalled, stalled_s)
        assert retried == BUSY and retried_s < 1, "the retry is answered from the first copy"
        assert wire.retry() == BUSY, "once the lock is gone, the retry still runs nothing"
        assert len(cases_of(app, openid)) == 1, "nothing half-filed"
        [number] = RECEIPT_NUMBER.findall(say("确认"))
        assert [c.number for c in cases_of(app, openid)] == [*first, number]

        reply_id = add_waiting_reply(app, number, LONG_REPLY)
        lock = f"UPDATE case_reply SET last_error = last_error WHERE id = {reply_id}"
        with row_locked(database_url, lock):
            shown, shown_s = timed(lambda: say(f"进度 {number}"))
        assert LONG_REPLY in shown and shown_s < WECHAT_WAITS_S, shown_s
        assert reply_state(app, reply_id) == "waiting", "not marked read: marking timed out"
        assert LONG_REPLY in say(f"进度 {number}")
        assert reply_state(app, reply_id) == "read"

        summary = say(f"进度 {number}")
        link = re.search(r"全部答复的全文请点：(\S+)", summary)
        assert link and LONG_REPLY not in summary and LONG_REPLY[:300] + "…" in summary
        page = requests.get(link.group(1), timeout=10)
        assert page.status_code == 200 and LONG_REPLY in html.unescape(page.text)
        assert "database unavailable" in host.output()


def phone_goes_through(say: Callable[[str], str], lines: list[str]) -> str:
    return [say(line) for line in lines][-1]


def add_waiting_reply(app: Flask, number: str, body: str) -> int:
    """A staff reply written while the resident's 48-hour window was closed."""
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        reply = CaseReply(case=case, body=body, author="镇政务公开办", delivery="waiting")
        session.add(reply)
        session.commit()
        return reply.id


def reply_state(app: Flask, reply_id: int) -> str:
    with app.app_context():
        return db.get_session().get(CaseReply, reply_id).delivery
