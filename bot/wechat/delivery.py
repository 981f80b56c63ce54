"""Exactly once: each delivery takes effect once; one resident's messages run one at a time.

WeChat delivers a message up to three times and several workers may receive the
copies at once. Before any handler runs, one Lua script claims the delivery
key, takes the resident's lock and loads the session, in a single round trip.
After the handler, a second script stores the rendered reply under the delivery
key, saves the session and releases the lock; on real Redis it is sent without
waiting for an answer, so a message costs one round trip. A copy that finds the delivery
claimed waits (up to ``RETRY_WAIT`` seconds) for the first copy's reply and
answers with it. A reply marked private (a summary showing what the resident typed) is
kept sealed with the data key and unsealed for a retry: no name, phone or address sits
in clear in Redis. The first script also reads the accounts' version
(``bot.wechat.accounts``): how a worker learns, at no extra cost, that an account was
added, changed or removed. Every key is the resident's (``bot.privacy.Resident.key``):
their openid on the account the delivery came to.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from flask import Flask, current_app, g

from bot import db
from bot.logs import Throttled
from bot.metrics import DEDUP_HITS, HANDLER_ERRORS, STORE_ERRORS, replies
from bot.store import EXTENSION as STORE
from bot.store import store_kind
from bot.wechat.accounts import EXTENSION as ACCOUNTS
from bot.wechat.accounts import VERSION_KEY, Accounts
from bot.wechat.messages import Inbound
from bot.wechat.replies import Reply, Text, render
from bot.wechat.window import SEEN_TTL_S, seen_key

log = logging.getLogger(__name__)

#: How long a claim without a reply blocks re-processing (a worker killed mid-way).
PENDING_TTL_MS = 60_000
#: How long a reply is kept for WeChat's retries (they come within about 15 s).
REPLY_TTL_MS = 15 * 60_000
#: Sessions outlive the dialogue time-out so that a timed-out resident can be told so.
SESSION_TTL_S = 24 * 3600
POLL_INTERVAL_S = 0.025
#: While Redis is down every message fails alike: one traceback a minute is enough.
STORE_TRACEBACK_EVERY_S = 60.0
#: A resident's lock outlives the database deadline of their message by this much at least
#: (the handler's work after its last statement).
LOCK_MARGIN_S = 1.0

BUSY = "系统繁忙，刚才的消息没有处理，请稍后再发一次。"
SORRY = "抱歉，刚才的消息处理时出了问题，没有生效，请稍后再发一次。"
STILL_WORKING = "您的上一条消息还在处理中，请稍等片刻再发这一条。"

#: A claim without a reply yet holds this byte and the claimer's lock token; a reply never does.
PENDING = b"\x00"
#: A private reply is kept as this byte and the body sealed with the data key.
SEALED = "\x01"
#: Where a handler leaves work for after its reply (``when_answered``), in ``flask.g``.
FOLLOW_UPS = "delivery_follow_ups"

# KEYS: delivery, lock, session, accounts' version. ARGV: lock token, pending ms, lock ms.
_BEGIN = """
local version = redis.call('GET', KEYS[4]) or ''
local prior = redis.call('GET', KEYS[1])
if prior then return {'dup', prior, version} end
redis.call('SET', KEYS[1], '\\0' .. ARGV[1], 'PX', ARGV[2])
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3], 'NX') then
  return {'run', redis.call('GET', KEYS[3]) or '', version}
end
return {'wait', '', version}
"""

# A retry finding the first copy's claim pending takes the delivery over when the resident's
# lock is free: the first copy's worker died (its lock lapsed) before storing a reply.
# KEYS: delivery, lock, session. ARGV: the pending claim seen, lock token, pending ms, lock ms.
_TAKE_OVER = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return {'changed', current} end
if redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4], 'NX') then
  redis.call('SET', KEYS[1], '\\0' .. ARGV[2], 'PX', ARGV[3])
  return {'run', redis.call('GET', KEYS[3]) or ''}
end
return {'wait', ''}
"""

# A stateless answer (bot.engine.router.Router.respond_statelessly), stored in one go when the
# resident is in no dialogue and no other message of theirs is being handled.
# KEYS: delivery, lock, session, seen, accounts' version. ARGV: reply, reply ms, time of
# message, seen s. Answers one string, not a list (this script runs for nearly every
# message, and a list costs the client more to read): 'd' and the accounts' version when
# the reply is stored, 'b' and the version when the full path must take the message, 'r'
# and what the delivery's key holds when an earlier copy claimed it.
_ANSWER = """
local version = redis.call('GET', KEYS[5]) or ''
local prior = redis.call('GET', KEYS[1])
if prior then return 'r' .. prior end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'b' .. version end
local session = redis.call('GET', KEYS[3])
if session and string.find(session, '"dialogue"', 1, true) then return 'b' .. version end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4]) end
return 'd' .. version
"""

# KEYS: lock, session. ARGV: lock token, lock ms.
_LOCK = """
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return {'run', redis.call('GET', KEYS[2]) or ''}
end
return {'wait', ''}
"""

# KEYS: delivery, lock, session, seen. ARGV: reply, reply ms, lock token, session ('' deletes),
# session s, time of a resident's message ('' for events), seen s.
_FINISH = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[7]) end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if ARGV[4] == '' then redis.call('DEL', KEYS[3])
else redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5]) end
redis.call('DEL', KEYS[2])
return 1
"""


class Responder(Protocol):
    """What answers messages (``bot.engine.router.Router``)."""

    def respond(self, inbound: Inbound, session: dict[str, Any]) -> Reply: ...

    def respond_statelessly(self, inbound: Inbound) -> Reply | None: ...


@dataclass(frozen=True)
class Sealer:
    """Sealing with the data key (``bot.cases.privacy``), given by ``create_app``."""

    seal: Callable[[str], str]
    unseal: Callable[[str], str]

    def keep(self, reply: Reply, body: str) -> str:
        """What is stored of ``body`` for WeChat's retries: sealed when ``reply`` is private."""
        return SEALED + self.seal(body) if isinstance(reply, Text) and reply.private else body

    def kept(self, stored: bytes) -> str:
        """The body a retry answers with, from what was stored."""
        text = stored.decode("utf-8")
        return self.unseal(text[len(SEALED) :]) if text.startswith(SEALED) else text


@dataclass(frozen=True)
class Keys:
    delivery: str
    lock: str
    session: str
    seen: str

    @classmethod
    def of(cls, inbound: Inbound) -> Keys:
        resident = inbound.resident
        return cls(
            delivery=f"{resident.key('delivery')}:{inbound.delivery_id}",
            lock=resident.key("lock"),
            session=resident.key("session"),
            seen=seen_key(resident),
        )


class Delivery:
    def __init__(
        self,
        client: redis.Redis,
        *,
        retry_wait: float,
        lock_wait: float,
        lock_ttl: float,
        reply_skip: bool,
        sealer: Sealer,
        accounts: Accounts,
    ):
        self.client = client
        self.sealer = sealer
        self.accounts = accounts
        self.reply_skip = reply_skip
        self._store_errors = Throttled(log, STORE_TRACEBACK_EVERY_S)
        self.retry_wait = retry_wait
        self.lock_wait = lock_wait
        self.lock_ms = int(lock_ttl * 1000)
        self._begin = client.register_script(_BEGIN)
        self._lock = client.register_script(_LOCK)
        self._answer = client.register_script(_ANSWER)
        self._take_over = client.register_script(_TAKE_OVER)
        self._finish = client.register_script(_FINISH)

    def deliver(self, inbound: Inbound, responder: Responder) -> str:
        """Answer ``inbound`` once; return the plain reply body (XML or ``success``)."""
        keys = Keys.of(inbound)
        try:
            body = self._stateless(inbound, responder, keys)
            if body is not None:
                return body
            token = secrets.token_hex(8)  # this copy's claim and lock: the full path only
            verdict, payload, version = self._begin(
                keys=[keys.delivery, keys.lock, keys.session, VERSION_KEY],
                args=[token, PENDING_TTL_MS, self.lock_ms],
            )
            self.accounts.saw(version)
            if verdict == b"dup":
                verdict, payload = self._first_reply(keys, payload, token)
                if verdict == b"reply":
                    DEDUP_HITS.inc()
                    _log(inbound, "retry")
                    return self.sealer.kept(payload)
                if verdict == b"wait":  # the first copy is alive but slow: no silence
                    return render(Text(STILL_WORKING), inbound.message)
                _log(inbound, "taken over")
            elif verdict == b"wait":
                verdict, payload = self._wait_for_lock(keys, token)
            if verdict == b"wait":
                body = render(Text(STILL_WORKING), inbound.message)
                self._store(keys, inbound, body, token, session=None)
                return body
        except redis.RedisError:
            self._store_failed("store unavailable; message not processed")
            return render(Text(BUSY), inbound.message)

        loaded = payload.decode("utf-8")
        session: dict[str, Any] = json.loads(loaded) if loaded else {}
        g.pop(FOLLOW_UPS, None)  # only the handler whose reply is sent leaves work for after it
        try:
            reply = responder.respond(inbound, session)
            body = render(reply, inbound.message)
            kept = self.sealer.keep(reply, body)
            saved = (
                json.dumps(session, ensure_ascii=False, separators=(",", ":")) if session else ""
            )
            follow_ups = g.pop(FOLLOW_UPS, [])
        except Exception as error:
            g.pop(FOLLOW_UPS, None)  # the handler failed: what it left for later is dropped
            follow_ups = []
            HANDLER_ERRORS.labels(handler=g.get("handler", "-")).inc()
            if db.unavailable(error):  # down, or a wait over its bound: nothing was done
                db.log_unavailable("database unavailable; the resident is asked to send again")
                apology = BUSY
            else:
                log.exception("handler failed; the resident is asked to send again")
                apology = SORRY
            body, saved = render(Text(apology), inbound.message), loaded
            kept = body
        try:
            self._store(keys, inbound, kept, token, session=saved)
        except redis.RedisError:
            self._store_failed("store unavailable after handling; reply sent but not cached")
        _answered(inbound)
        _follow_up(follow_ups)
        return body

    def _store_failed(self, what: str) -> None:
        """Count and log a store failure: the traceback once a minute, a line otherwise."""
        STORE_ERRORS.inc()
        self._store_errors.error(what)

    def _stateless(self, inbound: Inbound, responder: Responder, keys: Keys) -> str | None:
        """One round trip for a stateless answer outside a dialogue; None: take the full path."""
        try:
            reply = responder.respond_statelessly(inbound)
        except Exception as error:  # the full path runs the handler again and reports it
            log.info(
                "stateless answer failed (%s); taking the full path",
                type(error).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),  # the traceback: once is enough
            )
            return None
        if reply is None:
            return None
        body = render(reply, inbound.message)
        seen = "" if inbound.is_event else str(int(time.time()))
        answer: bytes = self._answer(
            keys=[keys.delivery, keys.lock, keys.session, keys.seen, VERSION_KEY],
            args=[self.sealer.keep(reply, body), REPLY_TTL_MS, seen, SEEN_TTL_S],
        )
        verdict, rest = answer[:1], answer[1:]
        if verdict == b"r":  # a retry: the first copy's reply, or take the full path
            if rest.startswith(PENDING):
                return None  # the first copy is still running
            DEDUP_HITS.inc()
            _log(inbound, "retry")
            return self.sealer.kept(rest)
        self.accounts.saw(rest)
        if verdict == b"d":
            _answered(inbound)
            return body
        return None  # in a dialogue, or another message of theirs in hand

    def _first_reply(self, keys: Keys, seen: bytes, token: str) -> tuple[bytes, bytes]:
        """For a retry: the first copy's reply (``reply``), or the delivery taken over from a
        first copy that died (``run``, with the session), or ``wait`` when time ran out."""
        deadline = time.monotonic() + self.retry_wait
        while seen.startswith(PENDING):
            verdict, payload = self._take_over(
                keys=[keys.delivery, keys.lock, keys.session],
                args=[seen, token, PENDING_TTL_MS, self.lock_ms],
            )
            if verdict == b"run":
                return verdict, payload
            if verdict == b"changed":
                seen = payload  # the reply, or another retry's claim
                continue
            if time.monotonic() >= deadline:
                return b"wait", b""
            time.sleep(POLL_INTERVAL_S)
        return b"reply", seen

    def _wait_for_lock(self, keys: Keys, token: str) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + self.lock_wait
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_S)
            verdict, payload = self._lock(
                keys=[keys.lock, keys.session], args=[token, self.lock_ms]
            )
            if verdict == b"run":
                return verdict, payload
        return b"wait", b""

    def _store(
        self, keys: Keys, inbound: Inbound, body: str, token: str, session: str | None
    ) -> None:
        key_list = [keys.delivery, keys.lock, keys.session, keys.seen]
        seen = "" if inbound.is_event else str(int(time.time()))
        args: list[str | int] = [
            body,
            REPLY_TTL_MS,
            token,
            session or "",
            SESSION_TTL_S,
            seen,
            SEEN_TTL_S,
        ]
        if self.reply_skip:
            self._send_without_reply("EVAL", _FINISH, len(key_list), *key_list, *args)
            return
        if not self._finish(keys=key_list, args=args) and session is not None:
            log.warning("lock expired before the handler finished; session not saved")

    def _send_without_reply(self, *command: str | int) -> None:
        """Send one command that Redis runs without answering (``CLIENT REPLY SKIP``).

        Saves the second round trip of every message: the worker does not wait
        for Redis to confirm the stored reply and session. Redis runs the commands
        of one connection in order, so a retry or the resident's next message sees
        them. EVAL, not EVALSHA: a NOSCRIPT error after a restart would go unseen.
        """
        pool = self.client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command(
                connection.pack_commands([("CLIENT", "REPLY", "SKIP"), command])
            )
        finally:
            pool.release(connection)


def when_answered(follow_up: Callable[[], None]) -> None:
    """Run ``follow_up`` once the handler's reply is the one WeChat gets (stored for its
    retries), and never when the handler fails: e.g. mark staff replies read once shown."""
    g.setdefault(FOLLOW_UPS, []).append(follow_up)


def _follow_up(follow_ups: list[Callable[[], None]]) -> None:
    for follow_up in follow_ups:
        try:
            follow_up()
        except Exception as error:  # the reply stands; what follows it is done next time
            if db.unavailable(error):
                db.log_unavailable("database unavailable after a reply; done at the next one")
            else:
                log.exception("failed after a reply; done at the next one")


def _answered(inbound: Inbound) -> None:
    replies(g.get("handler", "-")).inc()
    _log(inbound, "answered")


def _log(inbound: Inbound, outcome: str) -> None:
    if not log.isEnabledFor(logging.DEBUG):  # spare every message the openid's hash
        return
    log.debug(
        "%s %s",
        outcome,
        inbound.fields["MsgType"],
        extra={"openid": inbound.resident.pseudonym[:16], "handler": g.get("handler", "-")},
    )


def init_app(app: Flask, sealer: Sealer) -> None:
    lock_ttl, deadline = float(app.config["LOCK_TTL"]), float(app.config["WECHAT_DB_DEADLINE"])
    if lock_ttl < deadline + LOCK_MARGIN_S:
        # A retry takes over a delivery whose lock lapsed: the handler would run twice.
        raise ValueError(
            f"SUNSHINE_LOCK_TTL ({lock_ttl:g} s) must exceed SUNSHINE_WECHAT_DB_DEADLINE "
            f"({deadline:g} s) by {LOCK_MARGIN_S:g} s or more: a resident's lock must outlive "
            "the handling of their message"
        )
    app.extensions["sunshine.delivery"] = Delivery(
        app.extensions[STORE],
        retry_wait=float(app.config["RETRY_WAIT"]),
        lock_wait=float(app.config["LOCK_WAIT"]),
        lock_ttl=lock_ttl,
        # fakeredis lacks CLIENT REPLY; an in-process call costs nothing anyway.
        reply_skip=store_kind(app) == "redis",
        sealer=sealer,
        accounts=app.extensions[ACCOUNTS],
    )


def get_delivery() -> Delivery:
    return current_app.extensions["sunshine.delivery"]
