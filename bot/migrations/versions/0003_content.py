"""Published information: items, annual reports, their figures, the catalogue revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("doc_number", sa.String(100), unique=True),
        sa.Column("publisher", sa.String(100)),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("body", sa.Text()),
        sa.Column("link", sa.String(500)),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("channel IN ('website', 'wechat', 'other')", name="item_channel"),
        sa.CheckConstraint("status IN ('draft', 'reviewed', 'published')", name="item_status"),
    )
    op.create_index("ix_item_published_on", "item", ["published_on"])
    op.create_index("ix_item_status", "item", ["status"])

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(100)),
        sa.Column("issued_on", sa.Date()),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text()),
        sa.Column("original_pdf", sa.LargeBinary()),
        sa.Column("original_pdf_name", sa.String(200)),
        sa.Column("generated_pdf", sa.LargeBinary()),
        sa.Column("generated_pdf_key", sa.String(64)),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )

    op.create_table(
        "report_figure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("report.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10)),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name="report_figure_count"),
    )
    op.create_index("ix_report_figure_report_id", "report_figure", ["report_id"])

    revisions = op.create_table(
        "catalogue_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("catalogue_revision")
    op.drop_index("ix_report_figure_report_id", table_name="report_figure")
    op.drop_table("report_figure")
    op.drop_table("report")
    op.drop_index("ix_item_status", table_name="item")
    op.drop_index("ix_item_published_on", table_name="item")
    op.drop_table("item")
