"""Join the branches made side by side: content (0003) and cases (0004).

Revision ID: 0006
Revises: 0003, 0004
Create Date: 2026-11-26
"""

revision = "0006"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
