"""The law's clocks and receipts (issue 9): postal addresses sealed like phones, the day a
complaint was accepted (its 60 days count from it), the mark on cases beyond the daily count.

Only plain columns are added to ``case_record`` (see 0008: SQLite would have to
rebuild it). Addresses already stored stay where they are, in ``address``; new
cases keep theirs sealed in ``address_sealed`` with a masked copy. Complaints
accepted before ``accepted_on`` existed keep the conclusion date counted from
receipt: earlier than the law's, never later.

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


def case_columns() -> list[sa.Column]:
    """New columns of ``case_record`` (built per call: a Column belongs to one table)."""
    return [
        sa.Column("address_sealed", sa.Text()),
        sa.Column("address_masked", sa.String(40)),
        sa.Column("accepted_on", sa.Date()),
        sa.Column("over_daily_limit", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def upgrade() -> None:
    for column in case_columns():
        op.add_column("case_record", column)


def downgrade() -> None:
    for column in case_columns():
        op.drop_column("case_record", column.name)
