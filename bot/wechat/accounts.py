"""Official accounts besides the ``SUNSHINE_WECHAT_*`` one: each at ``/wechat/<slug>``.

``sunshine account add`` stores an account (its secrets sealed with the data key) and
changes the accounts' version in Redis; ``remove`` deletes it and changes the version.
A worker keeps every account in memory (``Accounts``) and reads the table again only
when it learns that the version changed, so that no delivery costs a database query:

- the delivery's one Redis script reads the version beside the resident's keys
  (``bot.wechat.delivery``) and hands it to ``Accounts.saw``; a change makes the next
  request reload (a removed account answers at most that one more delivery);
- a slug not held, or a signature refused by the keys held, asks Redis for the version
  (one GET) and reloads if it changed, so an account added or given a new Token works
  at its first delivery; without a change, a miss reloads at most every
  ``MISS_RELOAD_S`` seconds (which is how an in-process store, shared with no command,
  learns of an account at all).

The names of the bodies an account serves are read with it: a body renamed later is
offered under its new name after the next change of accounts or restart. On a Redis
Cluster the version key would have to share the resident keys' hash slot (a hash tag).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import redis
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.db import get_session, log_unavailable, unavailable
from bot.models import Body
from bot.models.wechat import AccountBody, WechatAccount
from bot.staff import audit
from bot.store import EXTENSION as STORE
from bot.store import KEY_PREFIX
from bot.wechat.protocol import Keys, validate_aes_key

log = logging.getLogger(__name__)

EXTENSION = "sunshine.wechat_accounts"
#: Changed (to a random value, never back to an old one) at every change of the table.
VERSION_KEY = f"{KEY_PREFIX}accounts:version"
#: A slug not held reloads the table at most this often when the version did not change.
MISS_RELOAD_S = 10.0
#: Lower-case letters, digits and inner hyphens: part of a URL and of Redis keys.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
#: WeChat's rule for the Token typed in its console: 3 to 32 letters or digits.
TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
#: An AppID as WeChat's console shows it (``wx`` and 16 hex digits), within the column's width.
APPID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AccountError(ValueError):
    """An account that cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class Served:
    """A body an account serves: its id, and its name as residents are offered it."""

    body_id: int
    name: str


@dataclass(frozen=True)
class Account:
    """An official account as a worker uses it. ``slug`` ``""`` is the ``SUNSHINE_WECHAT_*``
    account at ``/wechat`` (it serves the default body); ``secret`` None: no API calls;
    ``bodies``: the bodies it serves, in the order its residents are offered them."""

    slug: str
    keys: Keys
    secret: str | None = None
    bodies: tuple[Served, ...] = ()

    @property
    def appid(self) -> str | None:
        return self.keys.appid


class Accounts:
    """The named accounts one worker holds, read again only when their version changed."""

    def __init__(self, store: redis.Redis, unseal: Callable[[str], str]) -> None:
        """``unseal``: opening what the data key sealed (``bot.cases.privacy``), from
        ``create_app``."""
        self._store = store
        self._unseal = unseal
        self._by_slug: dict[str, Account] = {}
        #: The version the table had when it was last read; None: never read.
        self._version: bytes | None = None
        self._loaded_at = float("-inf")
        self._stale = True

    def find(self, slug: str) -> Account | None:
        """The account at ``/wechat/<slug>``, or None (a 404)."""
        if self._stale:
            self._load()
        account = self._by_slug.get(slug)
        if account is None and self._may_have_changed():
            self._load()
            account = self._by_slug.get(slug)
        return account

    def renewed(self, account: Account) -> Account | None:
        """After ``account``'s keys refused a delivery: the account read again when its
        version changed and its keys with it, else None (the refusal stands)."""
        if not self._may_have_changed():
            return None
        self._load()
        fresh = self._by_slug.get(account.slug)
        return fresh if fresh is not None and fresh.keys != account.keys else None

    def saw(self, version: bytes) -> None:
        """The version the delivery's Redis script read: a change reloads at the next request."""
        if version != self._version:
            self._stale = True

    def _changed(self) -> bool:
        try:
            return self._current_version() != self._version
        except redis.RedisError:
            return False  # the delivery itself will say the store is down

    def _current_version(self) -> bytes:
        return cast(bytes | None, self._store.get(VERSION_KEY)) or b""

    def _may_have_changed(self) -> bool:
        return time.monotonic() - self._loaded_at > MISS_RELOAD_S or self._changed()

    def _load(self) -> None:
        """Read the table; the version is read first, so a change made meanwhile is seen
        again at the next delivery rather than missed."""
        version: bytes | None
        try:
            version = self._current_version()
        except redis.RedisError:
            version = None  # read again once the store answers
        try:
            rows = (
                get_session()
                .scalars(
                    select(WechatAccount).options(
                        selectinload(WechatAccount.served).selectinload(AccountBody.body)
                    )
                )
                .all()
            )
        except Exception as error:
            if not unavailable(error):
                raise
            log_unavailable("database unavailable; the accounts held are kept")
            return
        self._by_slug = {
            row.slug: account for row in rows if (account := self._opened(row)) is not None
        }
        self._version, self._stale = version, version is None
        self._loaded_at = time.monotonic()

    def _opened(self, row: WechatAccount) -> Account | None:
        unseal = self._unseal
        try:
            aes_key = unseal(row.aes_key_sealed) if row.aes_key_sealed else None
            keys = Keys(unseal(row.token_sealed), aes_key, row.appid)
            secret = unseal(row.secret_sealed) if row.secret_sealed else None
        except ValueError as error:  # privacy.SealError: another data key sealed them
            log.error("account %s cannot be served: %s", row.slug, error)
            return None
        served = tuple(Served(body.id, body.name) for body in row.bodies)
        return Account(row.slug, keys, secret, served)


def init_app(app: Flask, unseal: Callable[[str], str]) -> None:
    app.extensions[EXTENSION] = Accounts(app.extensions[STORE], unseal)


def get_accounts() -> Accounts:
    return current_app.extensions[EXTENSION]


# ---- adding, listing, removing (``sunshine account``) ----


@dataclass(frozen=True)
class Secrets:
    """What ``sunshine account add`` reads from stdin: the Token, the EncodingAESKey (None:
    plaintext mode) and the AppSecret (None: no API calls)."""

    token: str
    aes_key: str | None
    secret: str | None


def add(
    session: Session,
    actor: str,
    slug: str,
    appid: str,
    given: Secrets,
    seal: Callable[[str], str],
    bodies: list[Body],
) -> WechatAccount:
    """Store a new account serving ``bodies`` (with several, its residents pick one), its
    secrets sealed with ``seal`` (the data key's), and write the audit entry; the caller
    commits, then ``announce``s the change."""
    if not bodies:
        raise AccountError("an account serves one body or more (--body SLUG)")
    if len({body.id for body in bodies}) != len(bodies):
        raise AccountError("a body is named twice")
    if not SLUG.fullmatch(slug):
        raise AccountError(
            f"slug {slug!r}: 1 to 32 lower-case letters, digits or inner hyphens (e.g. dongfeng)"
        )
    if not APPID.fullmatch(appid):
        raise AccountError(f"AppID {appid!r}: the letters and digits shown in WeChat's console")
    if not TOKEN.fullmatch(given.token):
        raise AccountError("Token: 3 to 32 letters or digits, as typed in WeChat's console")
    if given.aes_key:
        try:
            validate_aes_key(given.aes_key, "the EncodingAESKey")
        except ValueError as error:
            raise AccountError(str(error)) from error
    if appid == current_app.config["WECHAT_APPID"]:
        raise AccountError(f"AppID {appid} is the account configured by SUNSHINE_WECHAT_APPID")
    clash = session.scalars(
        select(WechatAccount).where((WechatAccount.slug == slug) | (WechatAccount.appid == appid))
    ).first()
    if clash is not None:
        what = "slug" if clash.slug == slug else "AppID"
        raise AccountError(f"account {clash.slug!r} already has this {what}")
    account = WechatAccount(
        slug=slug,
        appid=appid,
        token_sealed=seal(given.token),
        aes_key_sealed=seal(given.aes_key) if given.aes_key else None,
        secret_sealed=seal(given.secret) if given.secret else None,
        served=[AccountBody(body=body, position=n) for n, body in enumerate(bodies, 1)],
    )
    session.add(account)
    audit.record(
        actor,
        "account.add",
        "account",
        slug,
        appid=appid,
        mode=mode(account),
        api=given.secret is not None,
        serves=[body.slug for body in bodies],
    )
    return account


def held(session: Session, slug: str) -> WechatAccount:
    """The account ``slug`` as stored (``AccountError`` when there is none)."""
    account = session.scalars(select(WechatAccount).where(WechatAccount.slug == slug)).first()
    if account is None:
        raise AccountError(f"no account {slug!r} (see: sunshine account list)")
    return account


def remove(session: Session, actor: str, slug: str) -> WechatAccount:
    """Delete the account and write the audit entry; its cases stay, filed through ``slug``."""
    account = held(session, slug)
    session.delete(account)
    audit.record(actor, "account.remove", "account", slug, appid=account.appid)
    return account


def listed(session: Session) -> list[WechatAccount]:
    query = select(WechatAccount).options(
        selectinload(WechatAccount.served).selectinload(AccountBody.body)
    )
    return list(session.scalars(query.order_by(WechatAccount.slug)))


def mode(account: WechatAccount) -> str:
    return "safe" if account.aes_key_sealed else "plaintext"


def announce(store: redis.Redis) -> None:
    """Tell every worker the accounts changed (after the commit)."""
    store.set(VERSION_KEY, secrets.token_hex(8))
