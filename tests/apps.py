"""The app as gunicorn serves it in the multi-process tests, with the tests' extra handlers."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

import handlers
from bot import create_app
from bot.engine.router import Router
from bot.models.cases import Case
from tests.extra_handlers import capability

#: Where ``create_drill_app`` stops a worker inside the filing of a case (``PAUSE_AT``):
#: ``flushed`` — the case, its attachments and its number are written but not committed;
#: ``committed`` — the transaction is committed and the receipt not yet sent.
PAUSE_POINTS = ("flushed", "committed")
PAUSE_AT = "DRILL_PAUSE_AT"
#: The paused worker writes its pid to this file, then sleeps until the test kills it.
PAUSED_PID_FILE = "DRILL_PAUSED_PID_FILE"
PAUSE_SECONDS = 60


def create_test_app() -> Flask:
    app = create_app()
    app.extensions["sunshine.router"] = Router([*handlers.CAPABILITIES, capability])
    return app


def create_drill_app() -> Flask:
    """The test app; with ``DRILL_PAUSE_AT`` set, the first filing of a case pauses its worker.

    The pause is hooked on the app's database sessions (SQLAlchemy events), so it lands
    at an exact point of the filing transaction without touching the code under test. It
    happens once per drill (the pid file is the token): a worker started after the kill
    files normally.
    """
    app = create_test_app()
    moment = os.environ.get(PAUSE_AT)
    if moment:
        if moment not in PAUSE_POINTS:
            raise ValueError(f"{PAUSE_AT} must be one of {PAUSE_POINTS}, not {moment!r}")
        pause_inside_filing(app, moment, Path(os.environ[PAUSED_PID_FILE]))
    return app


def pause_inside_filing(app: Flask, moment: str, pid_file: Path) -> None:
    sessions = app.extensions["sunshine.sessionmaker"]

    @event.listens_for(sessions, "after_flush")
    def flushed(session: Session, _context: object) -> None:
        if any(isinstance(row, Case) for row in session.new):
            if moment == "flushed":
                _announce_and_wait(pid_file)
            session.info["filing"] = True

    @event.listens_for(sessions, "after_commit")
    def committed(session: Session) -> None:
        if session.info.pop("filing", False) and moment == "committed":
            _announce_and_wait(pid_file)


def _announce_and_wait(pid_file: Path) -> None:
    try:
        claim = os.open(f"{pid_file}.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return  # this drill's pause already happened
    os.close(claim)
    draft = pid_file.with_name(f".{pid_file.name}.{os.getpid()}")
    draft.write_text(str(os.getpid()))
    draft.replace(pid_file)
    time.sleep(PAUSE_SECONDS)
