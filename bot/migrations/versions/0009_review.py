"""Review before publishing: review records, content revisions, report status and statutory tables.

Reports held before this revision were published, so ``report.status`` starts
as ``published`` for them (its server default); the application creates new
reports as drafts. Items already had a status.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

STATUSES = "'draft', 'reviewed', 'published'"


def upgrade() -> None:
    op.add_column("item", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.add_column(
        "report",
        sa.Column(
            "status",
            sa.String(10),
            sa.CheckConstraint(f"status IN ({STATUSES})", name="report_status"),
            nullable=False,
            server_default="published",
        ),
    )
    op.add_column("report", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("report", sa.Column("statutory_tables", sa.JSON()))
    op.create_table(
        "review_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("step", sa.String(10)),
        sa.Column("decision", sa.String(10)),
        sa.Column("comment", sa.Text()),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("subject IN ('item', 'report')", name="review_record_subject"),
        sa.CheckConstraint(
            "action IN ('create', 'edit', 'import', 'resubmit', 'review', 'publish', 'withdraw')",
            name="review_record_action",
        ),
        sa.CheckConstraint("step IS NULL OR step IN ('pre', 'secrecy')", name="review_record_step"),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('pass', 'reject')", name="review_record_decision"
        ),
    )
    op.create_index("ix_review_record_subject", "review_record", ["subject", "subject_id"])
    op.create_index("ix_review_record_staff_id", "review_record", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_review_record_staff_id", table_name="review_record")
    op.drop_index("ix_review_record_subject", table_name="review_record")
    op.drop_table("review_record")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): rebuilding ``report`` on SQLite
    # would empty ``report_figure`` through its ON DELETE CASCADE.
    for column in ("statutory_tables", "revision", "status"):
        op.drop_column("report", column)
    op.drop_column("item", "revision")
