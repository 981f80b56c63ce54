"""Least privilege in PostgreSQL (docs/security.md): the append-only tables refuse TRUNCATE,
and the runtime role of ``deploy/postgres/roles.sql`` reads and writes rows and nothing more.

The roles test creates two roles with unique names and a schema of its own in the test
database, and drops them all at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot import create_app, db
from bot.models.content import ReviewRecord
from bot.models.staff import AuditEntry
from tests.support import (
    IN_CI,
    Resident,
    Services,
    base_config,
    file_application,
    logged_in,
    needs_program,
    post,
)

ROLES_SQL = Path(__file__).resolve().parent.parent / "deploy" / "postgres" / "roles.sql"


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.get_session().scalar(select(func.count()).select_from(model))


def add_review_record(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        session.add(ReviewRecord(subject="item", subject_id=1, revision=1, action="create"))
        session.commit()


def refused(engine: Engine, statement: str) -> str:
    """The database's refusal of ``statement`` (which must be refused)."""
    with engine.connect() as connection:
        with pytest.raises(DBAPIError) as refusal:
            connection.execute(text(statement))
        connection.rollback()
    return str(refusal.value.orig)


# ---- the append-only tables, whoever asks ----


def test_the_append_only_tables_refuse_to_be_emptied(app):
    logged_in(app, "wang", "handler")  # a login is audited
    add_review_record(app)
    entries, records = count(app, AuditEntry), count(app, ReviewRecord)
    with app.app_context():
        engine = db.get_engine()
        postgres = engine.dialect.name == "postgresql"
        statements = ["DELETE FROM review_record", "UPDATE review_record SET comment = 'x'"]
        if postgres:
            statements += [
                "TRUNCATE audit_entry",
                "TRUNCATE review_record",
                "TRUNCATE staff CASCADE",
            ]
        for statement in statements:
            assert "append-only" in refused(engine, statement), statement
    assert (count(app, AuditEntry), count(app, ReviewRecord)) == (entries, records)


# ---- the runtime role and the schema owner ----


@dataclass(frozen=True)
class Roles:
    owner_url: str
    app_url: str
    superuser: Engine


def needs_postgresql(services: Services) -> str:
    if services.database_url is None:
        if IN_CI:
            pytest.fail("CI=true: this test needs real PostgreSQL")
        pytest.skip("needs PostgreSQL (set SUNSHINE_TEST_DATABASE_URL)")
    return services.database_url.replace("postgresql://", "postgresql+psycopg://", 1)


def as_role(url: URL, role: str, schema: str) -> str:
    found = url.set(username=role, password=None).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    return found.render_as_string(hide_password=False)


def run_roles_sql(url: URL, owner: str, app_role: str, schema: str) -> None:
    """``deploy/postgres/roles.sql`` through psql, as README tells the operator to run it."""
    psql = needs_program(shutil.which("psql"), "psql is not installed (Debian: postgresql-client)")
    command = [psql, "-X", "-q", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    command += ["-U", url.username or "postgres", "-d", url.database or "postgres"]
    command += ["-v", f"owner={owner}", "-v", f"app={app_role}", "-v", f"schema={schema}"]
    environment = {**os.environ, "PGPASSWORD": url.password or ""}
    result = subprocess.run(
        [*command, "-f", str(ROLES_SQL)], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def roles(services: Services) -> Iterator[Roles]:
    """An owner with a schema of its own (as a database's owner has ``public``) and the
    runtime role made by ``roles.sql``; all dropped afterwards."""
    url = make_url(needs_postgresql(services))
    suffix = secrets.token_hex(4)
    owner, app_role, schema = f"owner_{suffix}", f"app_{suffix}", f"roles_{suffix}"
    superuser = create_engine(url)
    with superuser.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        connection.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
    try:
        run_roles_sql(url, owner, app_role, schema)
        yield Roles(as_role(url, owner, schema), as_role(url, app_role, schema), superuser)
    finally:
        with superuser.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            for role in (app_role, owner):
                exists = connection.scalar(
                    text("SELECT count(*) FROM pg_roles WHERE rolname = :role"), {"role": role}
                )
                if exists:
                    connection.execute(text(f'DROP OWNED BY "{role}"'))
                    connection.execute(text(f'DROP ROLE "{role}"'))
        superuser.dispose()


@pytest.mark.services
def test_the_app_runs_as_a_role_that_cannot_alter_drop_or_empty_tables(
    roles: Roles, fresh_store: str | None, tmp_path: Path
) -> None:
    app = create_app(
        {
            **base_config(roles.app_url, fresh_store, tmp_path),
            "MIGRATION_DATABASE_URL": roles.owner_url,
        }
    )
    runtime: Engine = app.extensions["sunshine.engine"]
    owner = create_engine(roles.owner_url)
    try:
        cli = app.test_cli_runner()
        for command in (["db", "upgrade"], ["seed"]):
            result = cli.invoke(args=command)
            assert result.exit_code == 0, result.output

        number = file_application(Resident(app))
        approver = logged_in(app, "boss", "approver")
        assert post(approver, f"/admin/cases/{number}/reveal").status_code == 200
        before = count(app, AuditEntry)
        assert before >= 2  # the login and the reveal, written by the runtime role

        for statement in (
            "TRUNCATE audit_entry",
            "TRUNCATE case_record CASCADE",
            "DELETE FROM audit_entry",
            "UPDATE audit_entry SET actor = 'nobody'",
            "ALTER TABLE audit_entry DISABLE TRIGGER USER",
            "DROP TRIGGER audit_entry_append_only ON audit_entry",
            "ALTER TABLE case_record ADD COLUMN smuggled text",
            "DROP TABLE case_record CASCADE",
            "CREATE TABLE smuggled (id int)",
            "SET session_replication_role = replica",
        ):
            problem = refused(runtime, statement)
            assert any(why in problem for why in ("must be owner", "permission", "append-only"))
        assert "append-only" in refused(owner, "TRUNCATE audit_entry"), "the owner is bound too"
        assert count(app, AuditEntry) == before
        with owner.connect() as connection:
            tables = connection.scalars(
                text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")
            )
            assert set(tables) == {make_url(roles.owner_url).username}
    finally:
        owner.dispose()
        runtime.dispose()
