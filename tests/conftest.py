"""Fixtures: an app per test on real Redis and PostgreSQL when configured, else embedded defaults.

``.ci/run`` sets ``SUNSHINE_TEST_REDIS_URL`` (its own db number; only that db is
flushed) and ``SUNSHINE_TEST_DATABASE_URL``. With ``CI=true`` an unreachable
service fails the run instead of falling back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.orm import Session

import handlers
from bot import create_app, db
from bot.admin import accounts
from bot.cases.calendar import seed_calendar
from bot.engine.router import Router
from bot.seed import seed
from tests import fake_wechat
from tests.extra_handlers import capability as extra_capability
from tests.support import (
    AES_KEY,
    APPID,
    CHROMIUM,
    CHROMIUM_ARGS,
    EMPTY_SCHEMA,
    IN_CI,
    CompiledTemplates,
    Resident,
    Services,
    app_on,
    base_config,
    needs_program,
)

COMPILED_TEMPLATES = CompiledTemplates()

for _name in [n for n in os.environ if n.startswith("SUNSHINE_") and "_TEST_" not in n]:
    del os.environ[_name]  # a developer's own settings must not leak into the tests


def _reachable_redis(url: str | None) -> str | None:
    if not url:
        return None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        return _unreachable("Redis", url, error)
    return url


def _reachable_database(url: str | None) -> str | None:
    if not url:
        return None
    try:
        with create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)).connect():
            pass
    except Exception as error:  # any driver error means: not usable
        return _unreachable("PostgreSQL", url, error)
    return url


def _unreachable(what: str, url: str, error: Exception) -> None:
    message = f"{what} at {url} is unreachable: {error}"
    if IN_CI:
        pytest.exit(f"CI=true: {message}", returncode=3)
    warnings.warn(f"{message}; falling back to the embedded default", stacklevel=1)
    return None


@pytest.fixture(scope="session")
def services() -> Services:
    redis_url = os.environ.get("SUNSHINE_TEST_REDIS_URL")
    database_url = os.environ.get("SUNSHINE_TEST_DATABASE_URL")
    if IN_CI and not (redis_url and database_url):
        pytest.exit("CI=true but SUNSHINE_TEST_REDIS_URL/SUNSHINE_TEST_DATABASE_URL unset", 3)
    return Services(_reachable_redis(redis_url), _reachable_database(database_url))


@pytest.fixture(scope="session", autouse=True)
def production_hasher() -> Iterator[PasswordHasher]:
    """Staff passwords are hashed at argon2id's lowest cost in this process (at the production
    cost, a fifth of a second a hash here, the console tests spent half their time hashing).
    Yields the production hasher for the test that checks it; subprocesses keep it."""
    production = accounts._hasher
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        accounts.dummy_hash.cache_clear()
        yield production
    accounts.dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def database_template(services: Services, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a SQLite file to copy (with the working-day calendar that
    ``seed`` would load into each test's database), or the PostgreSQL schema itself."""
    if services.database_url:
        engine = create_engine(
            services.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.upgrade(engine)
        engine.dispose()
        return services.database_url
    path = tmp_path_factory.mktemp("template") / "sunshine.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with Session(engine) as session:  # the shipped schedules, two thirds of what `seed` costs
        seed_calendar(session)
        session.commit()
    engine.dispose()
    return str(path)


@pytest.fixture
def fresh_database(services: Services, database_template: str, tmp_path: Path) -> str:
    """A database URL with the schema and no rows (on SQLite, the calendar's only: ``seed``
    would load it)."""
    if services.database_url:
        engine = create_engine(
            services.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        with engine.begin() as connection:
            tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
            if tables:
                # The append-only tables refuse TRUNCATE by trigger; a superuser may skip it.
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return services.database_url
    path = tmp_path / "sunshine.sqlite"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_store(services: Services) -> str | None:
    if services.redis_url:
        redis.Redis.from_url(services.redis_url).flushdb()
    return services.redis_url


@pytest.fixture
def make_app(
    fresh_database: str, fresh_store: str | None, tmp_path: Path
) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database and store (several share them when Redis is real)."""
    apps: list[Flask] = []

    def build(extra_handlers: bool = True, **overrides: Any) -> Flask:
        app = create_app({**base_config(fresh_database, fresh_store, tmp_path), **overrides})
        app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
        if extra_handlers:
            capabilities = [*handlers.CAPABILITIES, extra_capability]
            app.extensions["sunshine.router"] = Router(capabilities)
        if not apps:
            with app.app_context():
                seed(db.get_session())
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["sunshine.engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def resident(app: Flask) -> Resident:
    return Resident(app)


@pytest.fixture
def safe_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def empty_app(
    request: pytest.FixtureRequest, services: Services, tmp_path: Path
) -> Iterator[Flask]:
    """An app on an empty database: a SQLite file, or a schema of its own in PostgreSQL."""
    if request.param == "sqlite":
        app = app_on(f"sqlite:///{tmp_path / 'release.sqlite'}", tmp_path)
        yield app
        app.extensions["sunshine.engine"].dispose()
        return
    if services.database_url is None:
        pytest.skip("PostgreSQL not configured (set SUNSHINE_TEST_DATABASE_URL)")
    url = make_url(services.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    isolated = url.update_query_dict({"options": f"-csearch_path={EMPTY_SCHEMA}"})
    app = app_on(isolated.render_as_string(hide_password=False), tmp_path)
    engine: Engine = app.extensions["sunshine.engine"]
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {EMPTY_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {EMPTY_SCHEMA}"))
    try:
        yield app
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {EMPTY_SCHEMA} CASCADE"))
        engine.dispose()


@pytest.fixture
def fake_api() -> Iterator[fake_wechat.FakeWeChatServer]:
    with fake_wechat.FakeWeChatServer() as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright; skipped without it, except under CI=true.

    Under CI=true a CJK font is required too: without one every Chinese character in
    the screenshots is a box, and nobody can check a page by looking at it.
    """
    needs_program(
        shutil.which(CHROMIUM),
        f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)",
    )
    if IN_CI:
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
        if not fonts.stdout.strip():
            pytest.fail("CI=true: no Chinese font (Debian: apt-get install fonts-wqy-microhei)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
