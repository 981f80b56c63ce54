"""The law's clocks and receipts (docs/law.md): the day a complaint was accepted (its 60 days
count from it), the mark on cases beyond the daily count, the role of the head of the disclosure office (Art. 33: agrees to extensions), and the
pauses of an application's clock: consultations (Art. 32/34) and fee notices (109号).

Only plain columns are added to ``case_record`` (see 0008: SQLite would have to
rebuild it). Complaints accepted before ``accepted_on`` existed keep the conclusion
date counted from receipt: earlier than the law's, never later.

The staff role CHECK is widened in place. On SQLite that is the documented
``writable_schema`` edit of the table's SQL (allowed for CHECK constraints, and
safe when every row already passes the new one): rebuilding ``staff`` instead
would fail while audit entries and cases refer to it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def case_columns() -> list[sa.Column[Any]]:
    """New columns of ``case_record`` (built per call: a Column belongs to one table)."""
    return [
        sa.Column("accepted_on", sa.Date()),
        sa.Column("over_daily_limit", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


ROLES_BEFORE = ("clerk", "handler", "approver", "admin")
ROLES_AFTER = (*ROLES_BEFORE, "head")


def _roles(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _role_check(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("staff_role", "staff", type_="check")
        op.create_check_constraint("staff_role", "staff", _roles(after))
        return
    bind = op.get_bind()
    table = "FROM sqlite_master WHERE type = 'table' AND name = 'staff'"
    sql = bind.exec_driver_sql(f"SELECT sql {table}").scalar_one()
    if sql.count(_roles(before)) != 1:
        raise RuntimeError(f"the staff table's role CHECK is not {_roles(before)!r}: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        f"UPDATE sqlite_master SET sql = ? {table.removeprefix('FROM sqlite_master ')}",
        (sql.replace(_roles(before), _roles(after)),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    for column in case_columns():
        op.add_column("case_record", column)
    _role_check(ROLES_BEFORE, ROLES_AFTER)
    op.create_table(
        "case_pause",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_record.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("party", sa.String(200)),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        sa.Column("fee_amount", sa.Numeric(10, 2)),
        sa.Column("fee_paid", sa.Numeric(10, 2)),
        sa.Column("note", sa.Text()),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('consultation', 'fee')", name="case_pause_kind"),
    )


def downgrade() -> None:
    op.drop_table("case_pause")
    op.execute("UPDATE staff SET role = 'approver' WHERE role = 'head'")
    _role_check(ROLES_AFTER, ROLES_BEFORE)
    for column in case_columns():
        op.drop_column("case_record", column.name)
