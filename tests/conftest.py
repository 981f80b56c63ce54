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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from flask import Flask
from sqlalchemy import create_engine, inspect, text

import handlers
from bot import create_app, db
from bot.engine.router import Router
from bot.seed import seed
from bot.wechat.chat import ChatClient, describe
from bot.wechat.protocol import Keys
from tests import fake_wechat
from tests.extra_handlers import capability as extra_capability

for _name in [n for n in os.environ if n.startswith("SUNSHINE_") and "_TEST_" not in n]:
    del os.environ[_name]  # a developer's own settings must not leak into the tests

IN_CI = os.environ.get("CI") == "true"
TOKEN = "test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = fake_wechat.APPID
PUBLIC_URL = "https://gzl.example.gov.cn"
CHROMIUM = os.environ.get("SUNSHINE_TEST_CHROMIUM", "/usr/bin/chromium")
#: Headless on a machine with no network but loopback: no background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots the browser tests save for people to look at (not committed).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

ProgramPath = TypeVar("ProgramPath", str, Path)


@dataclass(frozen=True)
class Services:
    redis_url: str | None
    database_url: str | None


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


def needs_program(path: ProgramPath | None, reason: str) -> ProgramPath:
    """A system program a test runs: skipped without it, except under CI=true (``.ci/run``
    installs every one, so a missing program there is a broken CI machine)."""
    if path is None:
        if IN_CI:
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return path


def needs_redis(services: Services) -> str:
    """Skip (or, in CI, fail) a test that needs a store shared between processes."""
    return _needs(services.redis_url, "Redis", "SUNSHINE_TEST_REDIS_URL")


def needs_postgresql(services: Services) -> str:
    """Skip (or, in CI, fail) a test that needs PostgreSQL itself (row locks, time-outs)."""
    return _needs(services.database_url, "PostgreSQL", "SUNSHINE_TEST_DATABASE_URL")


def _needs(url: str | None, service: str, variable: str) -> str:
    if url is None:
        if IN_CI:
            pytest.fail(f"CI=true: this test needs real {service}")
        pytest.skip(f"needs real {service} (set {variable})")
    return url


@pytest.fixture(scope="session")
def database_template(services: Services, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a SQLite file to copy, or the PostgreSQL schema itself."""
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
    engine.dispose()
    return str(path)


@pytest.fixture
def fresh_database(services: Services, database_template: str, tmp_path: Path) -> str:
    """A database URL with the schema and no rows."""
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


def base_config(database_url: str, redis_url: str | None, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "WECHAT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": PUBLIC_URL,
        "SECRET_KEY": "test-secret-key",
        "WECHAT_MAX_SKEW": 300,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }


@pytest.fixture
def make_app(
    fresh_database: str, fresh_store: str | None, tmp_path: Path
) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's database and store (several share them when Redis is real)."""
    apps: list[Flask] = []

    def build(extra_handlers: bool = True, **overrides: Any) -> Flask:
        app = create_app({**base_config(fresh_database, fresh_store, tmp_path), **overrides})
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
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


def flask_transport(app: Flask) -> Callable[[dict[str, str], bytes], tuple[int, str]]:
    test_client = app.test_client()

    def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = test_client.post(
            "/wechat", query_string=query, data=body, content_type="text/xml"
        )
        return response.status_code, response.get_data(as_text=True)

    return post


class Resident:
    """A resident's phone, talking to an app through the real webhook."""

    def __init__(self, app: Flask, *, openid: str = "o-resident-1", safe_mode: bool = False):
        config = app.config
        keys = Keys(config["WECHAT_TOKEN"], config["WECHAT_AES_KEY"], config["WECHAT_APPID"])
        self.chat = ChatClient(flask_transport(app), keys, safe_mode=safe_mode, openid=openid)

    def says(self, line: str) -> str:
        return describe(self.chat.line(line))


@pytest.fixture
def resident(app: Flask) -> Resident:
    return Resident(app)


@pytest.fixture
def safe_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)


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
