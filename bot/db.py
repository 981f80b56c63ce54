"""The database: one engine per app, one session per app context, Alembic for the schema.

SQLite in the instance folder by default; PostgreSQL in production through
psycopg 3 (``postgresql+psycopg://...``). When the database cannot answer, callers
tell (``unavailable``) and log it once a minute (``log_unavailable``), not per request.

A request may bound its database waits (``bound_waits``; /wechat does, since WeChat
waits 5 s for the answer): every statement it runs is given what is left of the time
as PostgreSQL's ``statement_timeout`` and ``lock_timeout`` (``SET LOCAL``, once per
transaction, again only after a slow statement) or as SQLite's busy timeout. A wait
over the bound fails with an ``OperationalError``, which ``unavailable`` recognises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy import exc as errors
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from bot.logs import Throttled

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
OUTAGE_LOG = "sunshine.database_outage_log"
#: While the database is down every request fails alike: one traceback a minute is enough.
OUTAGE_TRACEBACK_EVERY_S = 60.0
#: Errors by which the database says it cannot answer now, not that the code is wrong.
UNAVAILABLE = (errors.OperationalError, errors.InterfaceError, errors.TimeoutError)
#: How long SQLite waits for another connection's lock, outside a bounded request.
SQLITE_BUSY_MS = 15_000
#: Seconds PostgreSQL may take to accept a connection (unless the URL says otherwise).
CONNECT_TIMEOUT_S = 3
#: A bounded statement that starts this long after the limits were set sets them again,
#: so that none can end later than this past the deadline.
RESET_AFTER_S = 0.2
_LIMITS_SET_AT = "sunshine.limits_set_at"
_BUSY_MS = "sunshine.busy_ms"


def database_url(app: Flask) -> str:
    url = app.config["DATABASE_URL"]
    if url:
        return _with_driver(url)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'sunshine.sqlite'}"


def _with_driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def init_app(app: Flask) -> None:
    url = database_url(app)
    # An error's message never carries the bound values (a resident's text, a name).
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        engine = create_engine(url, hide_parameters=True, connect_args=connect_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _bound_sqlite)
    else:
        given = "connect_timeout" in make_url(url).query
        engine = create_engine(
            url,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={} if given else {"connect_timeout": CONNECT_TIMEOUT_S},
        )
        event.listen(engine, "begin", _new_transaction)
        event.listen(engine, "before_cursor_execute", _bound_postgresql)
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


def bound_waits(seconds: float) -> None:
    """End every database wait of this request ``seconds`` from now (statements, locks)."""
    g.db_deadline = time.monotonic() + seconds


def _deadline() -> float | None:
    return g.get("db_deadline") if has_app_context() else None


def _left_ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def _new_transaction(connection: Connection) -> None:
    connection.info.pop(_LIMITS_SET_AT, None)  # SET LOCAL ended with the last transaction


def _bound_postgresql(connection: Connection, cursor: DBAPICursor, *_statement: object) -> None:
    deadline = _deadline()
    if deadline is None:
        return
    now = time.monotonic()
    set_at = connection.info.get(_LIMITS_SET_AT)
    if set_at is not None and now - set_at < RESET_AFTER_S:
        return
    left = f"{_left_ms(deadline)}ms"
    cursor.execute(
        "SELECT set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
        (left, left),
    )
    connection.info[_LIMITS_SET_AT] = now


def _bound_sqlite(connection: Connection, cursor: DBAPICursor, *_statement: object) -> None:
    deadline = _deadline()
    if deadline is None and connection.info.get(_BUSY_MS, SQLITE_BUSY_MS) == SQLITE_BUSY_MS:
        return
    busy = SQLITE_BUSY_MS if deadline is None else _left_ms(deadline)
    cursor.execute(f"PRAGMA busy_timeout = {busy}")
    connection.info[_BUSY_MS] = busy


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


def _sqlite_pragmas(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def alembic_config(connection: Connection) -> Config:
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
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, enforced=False)
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                command.upgrade(alembic_config(connection), revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                _foreign_keys(connection, enforced=True)


def _foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """SQLite's rebuild of a table (``batch_alter_table``) drops it, and a dropped table's
    rows are deleted, with their ``ON DELETE CASCADE`` children when foreign keys are
    enforced: so migrations run without, and check them at the end (SQLite's documented
    way to change a table). The pragma is taken outside a transaction only."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    connection.commit()


@contextmanager
def schema_owner() -> Iterator[Engine]:
    """The engine migrations run on: the schema owner's (``SUNSHINE_MIGRATION_DATABASE_URL``)
    when set, so that the app's own role need not be able to create or alter tables."""
    url = current_app.config["MIGRATION_DATABASE_URL"]
    if not url:
        yield get_engine()
        return
    engine = create_engine(_with_driver(url))
    try:
        yield engine
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return ", ".join(sorted(rows)) or None


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
