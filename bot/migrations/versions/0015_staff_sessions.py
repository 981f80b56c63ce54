"""Console logins that a logout ends on the server: a session generation per staff member.

A console session carries the generation it was started in; logging out moves the
member's generation on, so a copy of the cookie (stolen, or left on another PC)
no longer opens the console. Lock-outs moved to Redis, per account and address:
``staff.failed_logins`` and ``staff.locked_until`` are no longer read, and are kept
until every host runs this release (deploy/README.md: drop a column a release later).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "staff",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("staff", "session_generation")
