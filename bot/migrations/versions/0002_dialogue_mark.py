"""Dialogue marks: which residents are in the middle of a dialogue.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_mark",
        sa.Column("openid_hash", sa.String(64), primary_key=True),
        sa.Column("dialogue", sa.String(50), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dialogue_mark")
