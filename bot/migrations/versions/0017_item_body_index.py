"""A body's published items by date, in one index: what search and the catalogue read.

Every search of a town without its index in memory, every index build and every
``最新`` selects one body's published items, newest first. With hundreds of bodies in
one table, neither ``ix_item_status`` nor the body's unique key on document numbers
finds them without reading the other towns' rows too.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_body_status_published", "item", ["body_id", "status", "published_on"])


def downgrade() -> None:
    op.drop_index("ix_item_body_status_published", table_name="item")
