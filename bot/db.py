"""The database: one engine per app, one session per app context, Alembic for the schema.

SQLite in the instance folder by default; PostgreSQL in production through
psycopg 3 (``postgresql+psycopg://...``). When the database cannot answer, callers
tell (``unavailable``) and log it once a minute (``log_unavailable``), not per request.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy import exc as errors
from sqlalchemy.orm import Session, sessionmaker

from bot.logs import Throttled

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
OUTAGE_LOG = "sunshine.database_outage_log"
#: While the database is down every request fails alike: one traceback a minute is enough.
OUTAGE_TRACEBACK_EVERY_S = 60.0
#: Errors by which the database says it cannot answer now, not that the code is wrong.
UNAVAILABLE = (errors.OperationalError, errors.InterfaceError, errors.TimeoutError)


def database_url(app: Flask) -> str:
    url = app.config["DATABASE_URL"]
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'sunshine.sqlite'}"


def init_app(app: Flask) -> None:
    url = database_url(app)
    # An error's message never carries the bound values (a resident's text, a name).
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=5
        )
    app.extensions["sunshine.engine"] = engine
    app.extensions[OUTAGE_LOG] = Throttled(log, OUTAGE_TRACEBACK_EVERY_S)
    app.extensions["sunshine.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot answer now: down, restarting, unreachable,
    or a wait over its bound."""
    if isinstance(error, errors.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, UNAVAILABLE)


def log_unavailable(what: str) -> None:
    """Log (inside ``except``) that the database failed: the traceback once a minute."""
    current_app.extensions[OUTAGE_LOG].error(what)


def get_engine() -> Engine:
    return current_app.extensions["sunshine.engine"]


def get_session() -> Session:
    """The session of this app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sunshine.sessionmaker"]()
    return g.db_session


def _close_session(_: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def alembic_config(connection) -> Config:  # type: ignore[no-untyped-def]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


#: Key of the PostgreSQL advisory lock that lets one host at a time migrate.
MIGRATION_LOCK = 0x53554E5348494E45  # "SUNSHINE"


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision``; creates it on an empty database.

    Hosts that start together wait for each other on PostgreSQL instead of
    running the same migration twice.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return ", ".join(sorted(rows)) or None


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
