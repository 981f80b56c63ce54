"""The disclosure office's contact details.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account_name", sa.String(100)),
        sa.Column("address", sa.String(200)),
        sa.Column("postcode", sa.String(20)),
        sa.Column("phone", sa.String(50)),
        sa.Column("email", sa.String(100)),
        sa.Column("hours", sa.String(200)),
        sa.Column("source", sa.String(200)),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_table("office")
