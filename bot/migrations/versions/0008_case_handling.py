"""Handling cases: assignment, notes, corrections, extensions, outcomes, reply delivery, ratings,
and the annual report's reconsiderations, lawsuits and entered figures.

Only plain columns are added to ``case_record`` and ``case_reply``: every
reference to a staff member is in a new table, because SQLite adds a foreign key
to an existing table only by rebuilding it, and rebuilding ``case_record`` would
drop it while its attachments and replies point to it (``ON DELETE CASCADE``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def case_columns() -> list[sa.Column[Any]]:
    """New columns of ``case_record`` (built per call: a Column belongs to one table)."""
    return [
        sa.Column("clock_started_on", sa.Date()),
        sa.Column("correction_requested_on", sa.Date()),
        sa.Column("correction_due_on", sa.Date()),
        sa.Column("outcome", sa.String(20)),
        sa.Column("outcome_reason", sa.Text()),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_on", sa.Date()),
        sa.Column("transferred_to", sa.String(20)),
    ]


def reply_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()),
        # Replies written before this revision were never pushed and are not pushed now.
        sa.Column("delivery", sa.String(20), nullable=False, server_default="recorded"),
        sa.Column("push_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("attempted_at", sa.DateTime(timezone=True)),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.String(300)),
    ]


RATINGS = ("很满意", "满意", "一般", "不满意", "很不满意")
APPEAL_KINDS = ("reconsideration", "lawsuit", "lawsuit_after_reconsideration")
APPEAL_RESULTS = ("upheld", "corrected", "other", "pending")


def _case_id() -> sa.Column[Any]:
    return sa.Column(
        "case_id",
        sa.Integer(),
        sa.ForeignKey("case_record.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")", name=name
    )


def upgrade() -> None:
    for column in case_columns():
        op.add_column("case_record", column)
    op.create_index("ix_case_record_closed_on", "case_record", ["closed_on"])
    for column in reply_columns():
        op.add_column("case_reply", column)

    op.create_table(
        "case_assignment",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_record.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False, index=True),
        sa.Column("assigned_by_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_id(),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_supplement",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_id(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
    )
    op.create_table(
        "case_extension",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_id(),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved", sa.Boolean()),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text()),
    )
    op.create_table(
        "case_rating",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_record.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rating", sa.String(10), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_back_at", sa.DateTime(timezone=True)),
        sa.Column("called_back_by_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("callback_note", sa.Text()),
        _one_of("rating", RATINGS, "case_rating"),
    )
    op.create_table(
        "disclosure_appeal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False, index=True),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date()),
        sa.Column("case_number", sa.String(20)),
        sa.Column("reference", sa.String(100)),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        _one_of("kind", APPEAL_KINDS, "disclosure_appeal_kind"),
        _one_of("result", APPEAL_RESULTS, "disclosure_appeal_result"),
    )
    op.create_table(
        "annual_figure",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Numeric(14, 4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
    )


def downgrade() -> None:
    for table in (
        "annual_figure",
        "disclosure_appeal",
        "case_rating",
        "case_extension",
        "case_supplement",
        "case_note",
        "case_assignment",
    ):
        op.drop_table(table)
    for column in reply_columns():
        op.drop_column("case_reply", column.name)
    op.drop_index("ix_case_record_closed_on", "case_record")
    for column in case_columns():
        op.drop_column("case_record", column.name)
