"""Data protection (issue 10): the append-only tables refuse TRUNCATE as well.

``audit_entry`` refused UPDATE and DELETE since 0007; on PostgreSQL it now refuses
TRUNCATE too, and ``review_record`` (append-only in the ORM since 0009) gets the
same triggers, on PostgreSQL and SQLite alike (SQLite has no TRUNCATE: its
``DELETE FROM`` without a condition fires the DELETE trigger). The triggers bind
every role; the app's runtime role owns no table (``deploy/postgres/roles.sql``),
so it can neither drop nor disable them. The test suite empties tables as a
superuser with ``session_replication_role = replica``, which skips triggers.

A later migration that rebuilds ``review_record`` with ``batch_alter_table`` on
SQLite must create its two triggers again, as for ``audit_entry``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Tables whose rows are written once and never changed or removed.
APPEND_ONLY = ("audit_entry", "review_record")


def upgrade() -> None:
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


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER review_record_append_only ON review_record")
        op.execute("DROP FUNCTION review_record_append_only()")
    elif dialect == "sqlite":
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER review_record_no_{operation}")
