"""Bodies (行政机关): the office becomes the first body, and every town's record says whose it is.

1. ``office`` is renamed ``body`` and given a unique ``slug``. The office row an
   install held becomes its one body, slugged ``FIRST_BODY_SLUG`` (setting, default
   ``town``; ``sunshine db upgrade`` runs in an app context and reads it). An install
   that held records but no office row gets a body of that slug, named by it, whose
   details staff then fill at ``/admin/office``; a database never used gets none
   (``sunshine seed`` or ``sunshine body add`` makes the first) and loses the empty
   counter rows 0003 wrote (counters are created at first use).
2. ``body_id`` (not null, a foreign key) is added to the records that belong to a
   town, and every row is assigned to that body: items, reports, cases, tracking-number
   counters, appeals (table 四), entered annual figures (table 二), the catalogue's
   change counter. What hangs on one of these (a report's figures, a case's photos,
   replies, notes…) belongs to the body through it. Keys that were unique in the
   deployment become unique within a body: a document number, a report's year, a
   tracking number, a counter's day.
3. ``audit_entry`` gets a nullable ``body_id`` (None: not about a body's record, e.g. a
   login); the entries already written are assigned to the body with the append-only
   triggers suspended for that one statement, in this transaction.

SQLite rebuilds the tables whose keys change (``batch_alter_table``); ``audit_entry``
is only given a column, so its triggers stay (0007).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DEFAULT_SLUG = "town"
#: The tables of a town's records, and the key each had that becomes per body:
#: ``(kind, PostgreSQL's name for it, columns)``.
RECORDS: dict[str, tuple[str, str, tuple[str, ...]] | None] = {
    "item": ("unique", "item_doc_number_key", ("doc_number",)),
    "report": ("unique", "report_year_key", ("year",)),
    "case_record": ("unique", "case_record_number_key", ("number",)),
    "case_counter": ("primary", "case_counter_pkey", ("prefix", "day")),
    "annual_figure": ("primary", "annual_figure_pkey", ("year", "key")),
    "disclosure_appeal": None,
    "catalogue_revision": None,
}
#: SQLite's unnamed keys get these names inside the batch, so that they can be dropped.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}


def first_slug() -> str:
    if has_app_context():
        return current_app.config.get("FIRST_BODY_SLUG") or DEFAULT_SLUG
    return DEFAULT_SLUG


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.rename_table("office", "body")
    if not sqlite:
        op.execute("ALTER INDEX office_pkey RENAME TO body_pkey")
        op.execute("ALTER SEQUENCE office_id_seq RENAME TO body_id_seq")
    op.add_column("body", sa.Column("slug", sa.String(40)))
    slug = first_slug()
    body_id = bind.scalar(sa.text("SELECT min(id) FROM body"))
    if body_id is None and _holds_records(bind):
        bind.execute(sa.text("INSERT INTO body (slug, name) VALUES (:slug, :slug)"), {"slug": slug})
        body_id = bind.scalar(sa.text("SELECT min(id) FROM body"))
    if body_id is None:  # a database never used: its counters are rebuilt at first use
        for table in COUNTERS:
            bind.execute(sa.text(f"DELETE FROM {table}"))
    bind.execute(
        sa.text("UPDATE body SET slug = :slug WHERE id = :id"), {"slug": slug, "id": body_id}
    )
    # More than one office row was never meant to be; each extra one keeps its own slug.
    bind.execute(
        sa.text("UPDATE body SET slug = :slug || '-' || id WHERE slug IS NULL"), {"slug": slug}
    )
    with op.batch_alter_table("body") as batch:
        batch.alter_column("slug", existing_type=sa.String(40), nullable=False)
        batch.create_unique_constraint("uq_body_slug", ["slug"])

    for table, key in RECORDS.items():
        op.add_column(table, sa.Column("body_id", sa.Integer()))
        bind.execute(sa.text(f"UPDATE {table} SET body_id = :id"), {"id": body_id})
        names = SQLITE_NAMES if sqlite else None
        with op.batch_alter_table(table, naming_convention=names) as batch:
            batch.alter_column("body_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f"fk_{table}_body_id", "body", ["body_id"], ["id"])
            if key is None:
                continue
            kind, name, columns = key
            if sqlite:
                name = f"pk_{table}" if kind == "primary" else f"uq_{table}_{columns[0]}"
            batch.drop_constraint(name, type_=kind)
            if kind == "primary":
                batch.create_primary_key(f"{table}_pkey", ["body_id", *columns])
            else:
                batch.create_unique_constraint(
                    f"uq_{table}_body_{columns[0]}", ["body_id", *columns]
                )
    op.create_index("ix_disclosure_appeal_body_id", "disclosure_appeal", ["body_id"])
    with op.batch_alter_table("catalogue_revision") as batch:
        batch.create_unique_constraint("uq_catalogue_revision_body_id", ["body_id"])

    if sqlite:  # a column, not a rebuild (which would drop the triggers): SQLite allows this
        op.execute("ALTER TABLE audit_entry ADD COLUMN body_id INTEGER REFERENCES body (id)")
    else:
        op.add_column("audit_entry", sa.Column("body_id", sa.Integer(), sa.ForeignKey("body.id")))
    op.create_index("ix_audit_entry_body_id", "audit_entry", ["body_id"])
    if body_id is not None:
        _assign_audit_entries(bind, body_id)


#: Counters only: without a body they count nothing (0003 writes the catalogue's first row).
COUNTERS = ("case_counter", "catalogue_revision")


def _holds_records(bind: sa.Connection) -> bool:
    return any(
        bind.scalar(sa.text(f"SELECT 1 FROM {table} LIMIT 1")) is not None
        for table in RECORDS
        if table not in COUNTERS
    )


def _assign_audit_entries(bind: sa.Connection, body_id: int) -> None:
    """Assign every entry written so far, the append-only triggers suspended meanwhile."""
    assign = sa.text("UPDATE audit_entry SET body_id = :id")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
        bind.execute(assign, {"id": body_id})
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
        return
    bind.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
    bind.execute(assign, {"id": body_id})
    bind.execute(
        sa.text(
            "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END"
        )
    )


def downgrade() -> None:
    """Back to one office: refused when the deployment holds more than one body."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if (bind.scalar(sa.text("SELECT count(*) FROM body")) or 0) > 1:
        raise RuntimeError("more than one body: a single-office schema cannot hold them")
    op.drop_index("ix_audit_entry_body_id", "audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("body_id")
    if sqlite:  # the rebuild dropped the append-only triggers (0007)
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entry_no_{operation.lower()} BEFORE {operation} "
                f"ON audit_entry BEGIN SELECT RAISE(ABORT, "
                f"'audit_entry is append-only: {operation} refused'); END"
            )
    op.drop_index("ix_disclosure_appeal_body_id", "disclosure_appeal")
    for table, key in RECORDS.items():
        with op.batch_alter_table(table) as batch:
            if key is not None:
                kind, name, columns = key
                if kind == "primary":
                    batch.drop_constraint(f"{table}_pkey", type_="primary")
                    batch.create_primary_key(name, list(columns))
                else:
                    batch.drop_constraint(f"uq_{table}_body_{columns[0]}", type_="unique")
                    batch.create_unique_constraint(name, list(columns))
            if table == "catalogue_revision":
                batch.drop_constraint("uq_catalogue_revision_body_id", type_="unique")
            batch.drop_constraint(f"fk_{table}_body_id", type_="foreignkey")
            batch.drop_column("body_id")
    with op.batch_alter_table("body") as batch:
        batch.drop_constraint("uq_body_slug", type_="unique")
        batch.drop_column("slug")
    op.rename_table("body", "office")
    if not sqlite:
        op.execute("ALTER INDEX body_pkey RENAME TO office_pkey")
        op.execute("ALTER SEQUENCE body_id_seq RENAME TO office_id_seq")
