"""Data protection (docs/security.md): append-only tables refuse TRUNCATE; ID numbers typed as text are sealed.

1. ``audit_entry`` refused UPDATE and DELETE since 0007; on PostgreSQL it now refuses
   TRUNCATE too, and ``review_record`` (append-only in the ORM since 0009) gets the
   same triggers, on PostgreSQL and SQLite alike (SQLite has no TRUNCATE: its
   ``DELETE FROM`` without a condition fires the DELETE trigger). The triggers bind
   every role; the app's runtime role owns no table (``deploy/postgres/roles.sql``),
   so it can neither drop nor disable them. The test suite empties tables as a
   superuser with ``session_replication_role = replica``, which skips triggers.

   A later migration that rebuilds ``review_record`` with ``batch_alter_table`` on
   SQLite must create its two triggers again, as for ``audit_entry``.

2. An ID number a resident typed where none was asked for (as the document's name, in
   a name, an e-mail or postal address, a description, a complaint, a correction) was
   stored in clear. Such fields are now stored with the number masked and the fields
   as typed sealed in a new ``originals_sealed`` column (``bot.cases.privacy.conceal``); the rows already stored
   are converted here. Sealing needs the data key, so this runs inside ``sunshine db
   upgrade`` (an app context); it refuses to run without one only when there is
   something to seal.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from flask import has_app_context

from bot.cases.privacy import conceal, mask_id_numbers, originals

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Tables whose rows are written once and never changed or removed.
APPEND_ONLY = ("audit_entry", "review_record")
#: The free-text columns a resident types, by table.
TYPED = {
    "case_record": ("name", "id_type", "email", "address", "text"),
    "case_supplement": ("text",),
}


def upgrade() -> None:
    # Found and sealed before any change: SQLite would keep a column added before a refusal.
    concealed = {table: concealed_rows(table) for table in TYPED}
    for table in TYPED:
        op.add_column(table, sa.Column("originals_sealed", sa.Text()))
    for name, rows in concealed.items():
        typed = typed_table(name)
        for row_id, values in rows.items():
            op.get_bind().execute(typed.update().where(typed.c.id == row_id).values(**values))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # audit_entry_append_only() exists since 0007; review_record gets its twin.
        op.execute(
            """
            CREATE FUNCTION review_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'review_record is append-only: % refused', TG_OP;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER review_record_append_only BEFORE UPDATE OR DELETE ON review_record "
            "FOR EACH ROW EXECUTE FUNCTION review_record_append_only()"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
            )
    elif dialect == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER review_record_no_{operation.lower()} BEFORE {operation} "
                "ON review_record BEGIN "
                f"SELECT RAISE(ABORT, 'review_record is append-only: {operation} refused'); END"
            )


def typed_table(name: str) -> sa.TableClause:
    return sa.table(
        name, sa.column("id"), sa.column("originals_sealed"), *map(sa.column, TYPED[name])
    )


def concealed_rows(name: str) -> dict[int, dict[str, str | None]]:
    """By row id, the new values of the rows whose typed columns hold an ID number: masked,
    with the originals sealed."""
    table, columns = typed_table(name), TYPED[name]
    changes = {}
    query = sa.select(table.c.id, *(table.c[column] for column in columns))
    for row in op.get_bind().execute(query).mappings().all():
        fields = {column: row[column] for column in columns}
        if all(mask_id_numbers(value or "") == (value or "") for value in fields.values()):
            continue
        if not has_app_context():
            raise RuntimeError(
                f"{name} {row['id']} holds an ID number in clear; run `sunshine db upgrade`, "
                "which seals it with SUNSHINE_DATA_KEY"
            )
        shown, sealed = conceal(fields)
        changes[row["id"]] = {**shown, "originals_sealed": sealed}
    return changes


def restore_typed_fields(name: str) -> None:
    """Put the sealed originals back (the earlier release stored them in clear)."""
    table = typed_table(name)
    connection = op.get_bind()
    query = sa.select(table.c.id, table.c.originals_sealed).where(
        table.c.originals_sealed.is_not(None)
    )
    for row_id, sealed in connection.execute(query).all():
        fields = originals(sealed)
        connection.execute(table.update().where(table.c.id == row_id).values(**fields))


def downgrade() -> None:
    for table in TYPED:
        restore_typed_fields(table)
        op.drop_column(table, "originals_sealed")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER review_record_append_only ON review_record")
        op.execute("DROP FUNCTION review_record_append_only()")
    elif dialect == "sqlite":
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER review_record_no_{operation}")
