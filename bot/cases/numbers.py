"""Tracking numbers: ``SQ`` (applications) or ``TS`` (complaints), the Beijing date, a sequence.

``SQ20261126-0003`` is the third application received on 26 November 2026,
Beijing time; the sequence restarts each day for each prefix. It is taken from a
counter row with one ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` (SQLite ≥
3.35 and PostgreSQL), inside the transaction that writes the case: concurrent
submissions queue on that row, and a rolled-back submission gives its number back.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

APPLICATION_PREFIX = "SQ"
COMPLAINT_PREFIX = "TS"
PREFIXES = (APPLICATION_PREFIX, COMPLAINT_PREFIX)

_NUMBER = re.compile(r"(SQ|TS)-?(\d{8})-?(\d{4,6})")
#: A number inside a sentence, however it was typed (``ts-20261201-0012咋样了``).
_IN_TEXT = re.compile(r"(?<![A-Za-z])(?:SQ|TS)[\s\-_]*\d{8}[\s\-_]*\d{4,6}(?!\d)", re.I)

_NEXT = text(
    "INSERT INTO case_counter (prefix, day, last) VALUES (:prefix, :day, 1) "
    "ON CONFLICT (prefix, day) DO UPDATE SET last = case_counter.last + 1 "
    "RETURNING last"
).bindparams(bindparam("day", type_=Date))


def format_number(prefix: str, day: date, sequence: int) -> str:
    return f"{prefix}{day:%Y%m%d}-{sequence:04d}"


def allocate(session: Session, prefix: str, day: date) -> str:
    """The next number for ``prefix`` on ``day``, in the session's current transaction."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown tracking-number prefix {prefix!r}")
    sequence = session.execute(_NEXT, {"prefix": prefix, "day": day}).scalar_one()
    return format_number(prefix, day, sequence)


def read_number(typed: str) -> str | None:
    """The canonical number in what a resident typed (``sq 20261126 0003`` too), or None."""
    value = re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", typed)).upper()
    found = _NUMBER.fullmatch(value)
    if found is None:
        return None
    prefix, day, sequence = found.groups()
    return f"{prefix}{day}-{int(sequence):04d}"


def find_number(text: str) -> str | None:
    """The canonical number somewhere in a sentence (``我那个编号是TS20261128-0005``), or None."""
    found = _IN_TEXT.search(unicodedata.normalize("NFKC", text))
    return read_number(found.group()) if found else None
