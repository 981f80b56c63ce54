"""Schema changes: ``sunshine db upgrade`` moves a database of any earlier release to the
newest schema and keeps every row it held.

For each revision R, a database is built the way the releases did it: migrated
one revision at a time up to R, with a row written into each table as soon as it
exists (as the office would have done while running that release). It is then
upgraded to the newest heads, and every row must still be there with the same
values (a renamed table under its new name, ``RENAMED``), and every record of a
town belongs to the one body the install became. New migrations are covered
without editing this file; a table whose columns need particular values (a CHECK
the generator cannot satisfy) gets its row in ``ROWS``. Runs on SQLite and, when
configured, on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from flask import Flask
from sqlalchemy import (
    Engine,
    MetaData,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from bot import db
from bot.models import Base, Body, DialogueMark
from bot.models.staff import Staff
from tests.support import generated_row

SCRIPTS = ScriptDirectory.from_config(db.alembic_config(None))
#: Base first, heads last: a valid order in which to apply them.
REVISIONS: list[Script] = list(reversed(list(SCRIPTS.walk_revisions())))

#: Tables a migration renamed: old name → new name (0016: the office became the first body).
RENAMED = {"office": "body"}

#: Realistic rows for tables whose first revision is known; other tables get generated ones.
ROWS: dict[str, dict[str, Any]] = {
    "office": {
        "name": "公主岭市毛城子镇人民政府",
        "account_name": "毛城子镇政务公开",
        "address": "吉林省公主岭市毛城子镇政府院内",
        "postcode": "136100",
        "phone": "0434-6100000",
        "email": "mczzf@example.gov.cn",
        "hours": "工作日 8:30-11:30, 13:00-17:00",
        "source": "2017年度政府信息公开工作年度报告",
        "updated_at": datetime(2018, 1, 15, 9, 0, tzinfo=UTC),
    },
    "dialogue_mark": {
        "openid_hash": "9f2c" * 16,
        "dialogue": "complaint",
        "started_at": datetime(2026, 11, 26, 10, 30, tzinfo=UTC),
    },
}


# ---- rows a release would hold (``generated_row`` is in tests/support.py) ----


def seed_new_tables(engine: Engine, seeded: set[str]) -> None:
    """Write one row into each table that appeared since the last call, unless the
    migration that created it filled it already."""
    metadata = MetaData()
    metadata.reflect(engine)
    for table in metadata.sorted_tables:
        if table.name in seeded or table.name == "alembic_version":
            continue
        seeded.add(table.name)
        with engine.begin() as connection:
            if connection.execute(select(table).limit(1)).first() is not None:
                continue
            row = ROWS.get(table.name) or generated_row(connection, table)
            connection.execute(table.insert().values(row))


def snapshot(engine: Engine) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows (sorted, so that row order does not matter)."""
    metadata = MetaData()
    metadata.reflect(engine)
    tables = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name != "alembic_version":
                rows = [dict(row._mapping) for row in connection.execute(select(table))]
                tables[table.name] = ([c.name for c in table.columns], rows)
    return {name: (columns, sorted(rows, key=repr)) for name, (columns, rows) in tables.items()}


def assert_kept(before: dict, after: dict) -> None:
    for name, (columns, rows) in before.items():
        assert RENAMED.get(name, name) in after, f"table {name} was dropped"
        columns_after, rows_after = after[RENAMED.get(name, name)]
        lost = set(columns) - set(columns_after)
        assert not lost, f"columns of {name} were dropped: {sorted(lost)}"
        kept = sorted(({c: row[c] for c in columns} for row in rows_after), key=repr)
        assert kept == rows, f"rows of {name} changed"


def assert_assigned_to_one_body(engine: Engine, slug: str = "town") -> None:
    """Every row that says whose it is (``body_id``) is the one body's, slugged ``slug``."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        [(body_id, body_slug)] = connection.execute(text("SELECT id, slug FROM body")).all()
        assert body_slug == slug
        for table in metadata.sorted_tables:
            if "body_id" in table.columns:
                owners = set(connection.scalars(select(table.c.body_id)))
                assert owners <= {body_id}, f"rows of {table.name} not assigned to the body"


# ---- the tests ----


@pytest.mark.slow
@pytest.mark.parametrize("release", REVISIONS, ids=lambda script: script.revision)
def test_upgrading_a_database_of_an_earlier_release_keeps_every_row(
    empty_app: Flask, release: Script
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    seeded: set[str] = set()
    history = reversed(list(SCRIPTS.iterate_revisions(release.revision, "base")))
    for script in history:
        db.upgrade(engine, script.revision)
        seed_new_tables(engine, seeded)
    before = snapshot(engine)

    db.upgrade(engine)

    assert_kept(before, snapshot(engine))
    assert_assigned_to_one_body(engine)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(SCRIPTS.get_heads())


def test_the_offices_details_and_open_dialogues_survive_the_upgrade_from_0002(
    empty_app: Flask,
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0002")
    seed_new_tables(engine, set())

    db.upgrade(engine)

    with empty_app.app_context():
        session = db.get_session()
        office = session.scalars(select(Body)).one()
        mark = session.scalars(select(DialogueMark)).one()
    assert (office.name, office.phone) == ("公主岭市毛城子镇人民政府", "0434-6100000")
    assert (mark.openid_hash, mark.dialogue) == ("9f2c" * 16, "complaint")


def test_sunshine_db_upgrade_creates_the_schema_and_can_run_again(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    assert "empty database" in runner.invoke(args=["db", "current"]).output

    first = runner.invoke(args=["db", "upgrade"])
    again = runner.invoke(args=["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "Database schema at revision" in again.output
    engine: Engine = empty_app.extensions["sunshine.engine"]
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_the_models_and_the_migrations_describe_the_same_schema(empty_app: Flask) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "a model changed without a migration (or the reverse)"


def test_the_head_of_the_disclosure_office_is_a_role_after_the_upgrade_from_0010(
    empty_app: Flask,
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0010")
    seed_new_tables(engine, set())

    db.upgrade(engine)

    metadata = MetaData()
    metadata.reflect(engine, only=["staff"])
    staff = metadata.tables["staff"]
    with engine.begin() as connection:
        row = {**generated_row(connection, staff), "username": "head", "role": "head"}
        row.pop("id", None)  # SQLite: the generated one is taken; PostgreSQL numbers it
        connection.execute(staff.insert().values(row))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(staff.insert().values({**row, "username": "x", "role": "boss"}))


def test_a_one_town_install_becomes_a_one_body_deployment_every_record_its_own(
    empty_app: Flask,
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0015")
    seed_new_tables(engine, set())
    before = snapshot(engine)
    assert all(rows for name, (_, rows) in before.items() if name != "alembic_version")

    empty_app.config["FIRST_BODY_SLUG"] = "maochengzi"
    assert empty_app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0

    after = snapshot(engine)
    assert_kept(before, after)
    assert_assigned_to_one_body(engine, "maochengzi")
    assert [row["body_id"] for row in after["audit_entry"][1]] == [1], "history is the body's too"
    with empty_app.app_context():
        body = db.get_session().scalars(select(Body)).one()
    assert (body.slug, body.name) == ("maochengzi", "公主岭市毛城子镇人民政府")
    listed = empty_app.test_cli_runner().invoke(args=["body", "list"]).output
    assert listed == "maochengzi  公主岭市毛城子镇人民政府  (default)\n"


def test_records_held_without_an_office_row_are_given_a_body_named_by_its_slug(
    empty_app: Flask,
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0015")
    metadata = MetaData()
    metadata.reflect(engine, only=["item"])
    with engine.begin() as connection:
        connection.execute(
            metadata.tables["item"]
            .insert()
            .values(generated_row(connection, metadata.tables["item"]))
        )

    db.upgrade(engine)

    assert_assigned_to_one_body(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM body")).scalar_one() == "town"


def test_a_database_never_used_gets_no_body_until_one_is_seeded_or_added(
    empty_app: Flask,
) -> None:
    engine: Engine = empty_app.extensions["sunshine.engine"]

    db.upgrade(engine)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM body")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM catalogue_revision")).scalar_one() == 0


def test_every_account_of_an_upgraded_install_works_in_its_body_with_its_role(
    empty_app: Flask,
) -> None:
    """0040: staff belong to bodies; an install's accounts keep doing what they did."""
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0016")
    seed_new_tables(engine, set())
    with engine.begin() as connection:
        staff_id, role = connection.execute(text("SELECT id, role FROM staff")).one()
        body_id = connection.scalar(text("SELECT id FROM body"))

    db.upgrade(engine)

    with empty_app.app_context():
        member = db.get_session().get(Staff, staff_id)
        assert member is not None
        assert member.body_ids == [body_id] and member.role_in(body_id) == role
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("DELETE FROM staff_membership"))  # the key is free: the role
        connection.execute(
            text("INSERT INTO staff_membership (staff_id, body_id, role) VALUES (:s, :b, 'boss')"),
            {"s": staff_id, "b": body_id},
        )
