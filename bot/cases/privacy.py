"""Personal data at rest and on screen: sealed identity numbers and phones, masked display.

Identity numbers and phones are sealed with Fernet (``cryptography``) under
``SUNSHINE_DATA_KEY`` before they are stored, even in the dialogue state in
Redis; what residents and staff read is a masked form (``138****1234``,
``220381********1234``). Only ``sunshine cases export --with-contact`` unseals.

``SUNSHINE_DATA_KEY`` may hold several keys separated by commas: the first seals,
all of them unseal, so a key can be rotated. When it is unset a key is generated
into the instance folder (mode 0600) with a loud warning: it is never derived from
the generated development SECRET_KEY, which changes at every start.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "sunshine.data_keys"
KEY_FILE = "data.key"
#: Files holding residents' personal data (exports, photos): readable by their owner only.
PRIVATE_FILE_MODE = 0o600
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
        log.warning(
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
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, also over a file that was readable by others.

    The mode is set before anything is written, whatever the operator's umask.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as out:
        if stat.S_ISREG(os.fstat(descriptor).st_mode):  # not /dev/stdout or a pipe
            os.fchmod(descriptor, PRIVATE_FILE_MODE)
        out.write(data)


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
