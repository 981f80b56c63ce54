"""Personal data at rest and on screen: sealed identity numbers and phones, masked display.

Identity numbers and phones are sealed with Fernet (``cryptography``) under
``SUNSHINE_DATA_KEY`` before they are stored; what residents and staff read is a
masked form (``138****1234``, ``220381********1234``). The dialogue state in Redis
holds every personal answer sealed (``protect``), with the masked form the summary
shows. An ID number typed into free text (a name, an address, the description, a
complaint) is found however it was typed (``mask_id_numbers``) and stored masked,
the original sealed beside it (``conceal``). Staff read originals only by 显示
(logged), and only ``sunshine cases export --with-contact`` (audited) exports them.

``SUNSHINE_DATA_KEY`` may hold several keys separated by commas: the first seals,
all of them unseal, so a key can be rotated. When it is unset a key is generated
into the instance folder (mode 0600) with a loud warning: it is never derived from
the generated development SECRET_KEY, which changes at every start.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

from bot.files import PRIVATE_FILE_MODE
from bot.logs import Concern, setting_warning

log = logging.getLogger(__name__)

EXTENSION = "sunshine.data_keys"
KEY_FILE = "data.key"
#: Files holding residents' personal data (exports, photos): readable by their owner only.
GENERATE_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class SealError(ValueError):
    """A sealed value cannot be opened with the configured keys."""


def init_app(app: Flask) -> None:
    """Check a configured key at start-up; a generated one is created on first use."""
    configured = app.config["DATA_KEY"]
    app.extensions[EXTENSION] = parse_keys(configured) if configured else None
    if not configured:
        setting_warning(
            app,
            Concern.DATA_KEY,
            log,
            "!!! SUNSHINE_DATA_KEY is not set: identity numbers and phones are sealed with a key "
            "generated into %s. Back it up: without it they cannot be read. Every host must use "
            "the same key: set SUNSHINE_DATA_KEY in production (%s). !!!",
            Path(app.instance_path) / KEY_FILE,
            GENERATE_HINT,
        )


def parse_keys(value: str) -> MultiFernet:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    try:
        return MultiFernet([Fernet(part) for part in parts])
    except ValueError as error:  # binascii.Error is a ValueError
        raise ValueError(
            f"SUNSHINE_DATA_KEY must be one or more Fernet keys separated by commas; {GENERATE_HINT}"
        ) from error


def key_file(path: Path) -> bytes:
    """The key in ``path``, created (mode 0600) unless another process already did."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as out:
        out.write(Fernet.generate_key() + b"\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(draft, path)  # atomic: exactly one process's key wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes().strip()


def _keys() -> MultiFernet:
    app = current_app
    keys = app.extensions.get(EXTENSION)
    if keys is None:
        path = Path(app.instance_path) / KEY_FILE
        keys = app.extensions[EXTENSION] = MultiFernet([Fernet(key_file(path))])
    return keys


def seal(value: str) -> str:
    return _keys().encrypt(value.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise SealError(
            "a sealed value cannot be opened: SUNSHINE_DATA_KEY is not the key it was sealed with"
        ) from error


# ---- ID numbers typed where they were not asked for ----

#: Full-width forms (Ａ, ０, －, the ideographic space) to their ASCII twins, one for one, so
#: that positions found in the folded text are positions in the text as typed.
_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
#: What people type between groups of digits: spaces and dashes.
_SEPARATOR = r"[ \t\-\u2010-\u2015]"
_DIGITS_18 = rf"[0-9](?:{_SEPARATOR}?[0-9]){{16}}{_SEPARATOR}?[0-9xX]"
_DIGITS_15 = rf"[0-9](?:{_SEPARATOR}?[0-9]){{14}}"
#: Passports (E12345678, EA1234567; G, D, S, P), Hong Kong and Macau permits (C…), and the
#: home-return permits (H/M and 8 or 10 digits).
_PERMIT = r"[EGDSPC](?:[0-9]{8}|[A-Z][0-9]{7})|[HM][0-9]{8}(?:[0-9]{2})?"
_ID_LIKE = re.compile(
    rf"(?<![0-9])(?:{_DIGITS_18}|{_DIGITS_15})(?![0-9])"
    rf"|(?<![0-9A-Za-z])(?i:{_PERMIT})(?![0-9A-Za-z])"
)


def _canonical(found: str) -> str:
    return re.sub(_SEPARATOR, "", found).upper()


def _is_id_number(canonical: str) -> bool:
    """18 characters: a resident ID, check digit or not (a mistyped one is as personal).
    15 digits: a first-generation ID only with a real birth date (YYMMDD), since other
    15-digit numbers exist. Letters: a passport or permit."""
    if len(canonical) != 15 or not canonical.isdigit():
        return True
    try:
        date(1900 + int(canonical[6:8]), int(canonical[8:10]), int(canonical[10:12]))
    except ValueError:
        return False
    return True


def _id_numbers(text: str) -> list[re.Match[str]]:
    folded = text.translate(_HALF_WIDTH)
    return [m for m in _ID_LIKE.finditer(folded) if _is_id_number(_canonical(m.group()))]


def has_id_number(text: str) -> bool:
    return bool(_id_numbers(text))


def mask_id_numbers(text: str) -> str:
    """``text`` with each ID-like number masked as an ID number is shown
    (``220381-19800101-123x`` → ``220381********123X``), however it was typed: with
    spaces or dashes, in full-width digits, with a lower-case x."""
    masked, end = [], 0
    for found in _id_numbers(text):
        masked += [text[end : found.start()], mask_document(_canonical(found.group()))]
        end = found.end()
    return "".join(masked) + text[end:]


def conceal(fields: Mapping[str, str | None]) -> tuple[dict[str, str | None], str | None]:
    """``fields`` with their ID numbers masked, and the originals of the fields that had any,
    sealed together (None when none had): store both, show the first."""
    masked = {name: mask_id_numbers(value) if value else value for name, value in fields.items()}
    changed = {name: value for name, value in fields.items() if value and masked[name] != value}
    return masked, seal_originals(changed)


def seal_originals(fields: Mapping[str, str]) -> str | None:
    return seal(json.dumps(fields, ensure_ascii=False)) if fields else None


def originals(sealed: str | None) -> dict[str, str]:
    """The fields ``conceal`` sealed, by name (empty when none)."""
    return json.loads(unseal(sealed)) if sealed else {}


# ---- answers kept in the dialogue state ----


def protect(value: str, masked: str | None = None) -> dict[str, str]:
    """An answer as the dialogue state keeps it in Redis: sealed, with the masked form the
    summary shows (none for text only shown after ``opened``)."""
    kept = {"sealed": seal(value)}
    if masked is not None:
        kept["masked"] = masked
    return kept


def opened(kept: Mapping[str, str] | str) -> str:
    """The value ``protect`` sealed; a plain string (a dialogue begun before answers were
    sealed) is its own value."""
    return kept if isinstance(kept, str) else unseal(kept["sealed"])


def shown(kept: Mapping[str, str] | str, mask: Callable[[str], str]) -> str:
    """The masked form ``protect`` kept; ``mask`` makes it for a plain string."""
    return mask(kept) if isinstance(kept, str) else kept["masked"]


# ---- masks ----


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``; landlines keep their first 3 and last 4 characters."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_document(value: str) -> str:
    """``220381198001011234`` → ``220381********1234``; shorter numbers keep 2 + 2 characters."""
    if len(value) >= 15:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) < 6:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}"


def mask_address(value: str) -> str:
    return value[:6] + "****" if len(value) > 6 else "****"


def mask_name(value: str) -> str:
    return value[:1] + "*" * max(len(value) - 1, 1)
