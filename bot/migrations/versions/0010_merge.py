"""Join the branches made side by side: case handling (0008) and review before publishing (0009).

Revision ID: 0010
Revises: 0008, 0009
Create Date: 2026-11-26
"""

revision = "0010"
down_revision = ("0008", "0009")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
