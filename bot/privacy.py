"""Resident identifiers as they may appear in logs, metrics and bookkeeping tables.

A resident is an openid on one official account: WeChat gives each account its own
openids, and the same string arriving on two accounts is two people (``Resident``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.store import KEY_PREFIX


def openid_hash(openid: str, account: str = "") -> str:
    """A stable pseudonym for an openid (SHA-256), so records can be matched without storing it.

    On a named account the account is hashed in (and ``@`` cannot start the default's
    input after ``sunshine``), so no openid on one account shares a pseudonym with another's.
    """
    salted = f"sunshine@{account}:{openid}" if account else f"sunshine:{openid}"
    return hashlib.sha256(salted.encode()).hexdigest()


@dataclass(frozen=True)
class Resident:
    """Someone writing to an account: their openid and the account's slug (``""``: the
    ``SUNSHINE_WECHAT_*`` account at ``/wechat``)."""

    openid: str
    account: str = ""

    @property
    def pseudonym(self) -> str:
        return openid_hash(self.openid, self.account)

    def key(self, kind: str) -> str:
        """The Redis key of this resident's ``kind`` (``session``, ``lock``, ``seen``…): the
        default account's keys are those of a single-account install, a named account's
        start ``sunshine:@slug:``, which no default key does."""
        return f"{account_prefix(self.account)}{kind}:{self.openid}"


def account_prefix(account: str) -> str:
    """Where an account's keys start in Redis."""
    return f"{KEY_PREFIX}@{account}:" if account else KEY_PREFIX
