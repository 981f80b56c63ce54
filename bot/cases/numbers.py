"""Tracking numbers: ``SQ`` (applications) or ``TS`` (complaints), the Beijing date, a sequence.

``SQ20261126-0003`` is the third application a body received on 26 November 2026,
Beijing time; the sequence restarts each day for each body and prefix, so two
bodies may each hold ``SQ20261126-0003`` (a number is looked up within its body). It is taken from a
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
    "INSERT INTO case_counter (body_id, prefix, day, last) VALUES (:body_id, :prefix, :day, 1) "
    "ON CONFLICT (body_id, prefix, day) DO UPDATE SET last = case_counter.last + 1 "
    "RETURNING last"
).bindparams(bindparam("day", type_=Date))


def format_number(prefix: str, day: date, sequence: int) -> str:
    return f"{prefix}{day:%Y%m%d}-{sequence:04d}"


def allocate(session: Session, body_id: int, prefix: str, day: date) -> str:
    """The body's next number for ``prefix`` on ``day``, in the session's current transaction."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown tracking-number prefix {prefix!r}")
    values = {"body_id": body_id, "prefix": prefix, "day": day}
    sequence = session.execute(_NEXT, values).scalar_one()
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
