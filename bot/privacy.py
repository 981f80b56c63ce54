"""Resident identifiers as they may appear in logs, metrics and bookkeeping tables."""

from __future__ import annotations

import hashlib


def openid_hash(openid: str) -> str:
    """A stable pseudonym for an openid (SHA-256), so records can be matched without storing it."""
    return hashlib.sha256(f"sunshine:{openid}".encode()).hexdigest()
