"""Applications and complaints: cases, attachments, replies, tracking-number counters, the calendar.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(10)),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("submission_id", sa.String(40), nullable=False, unique=True),
        sa.Column("openid", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("accept_due_on", sa.Date()),
        sa.Column("accept_due_provisional", sa.Boolean(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("applicant_kind", sa.String(20)),
        sa.Column("organisation_kind", sa.String(20)),
        sa.Column("name", sa.String(200)),
        sa.Column("id_type", sa.String(40)),
        sa.Column("id_number_sealed", sa.Text()),
        sa.Column("id_number_masked", sa.String(40)),
        sa.Column("phone_sealed", sa.Text()),
        sa.Column("phone_masked", sa.String(40)),
        sa.Column("email", sa.String(200)),
        sa.Column("address", sa.String(300)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("form_wanted", sa.String(20)),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("place", sa.String(300)),
    )
    op.create_table(
        "case_attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_record.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("media_id", sa.String(200), nullable=False),
        sa.Column("pic_url", sa.String(1000)),
        sa.Column("stored_file", sa.String(300)),
        sa.Column("fetch_state", sa.String(20), nullable=False, index=True),
        sa.Column("fetch_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_record.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100)),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("pushed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "case_counter",
        sa.Column("prefix", sa.String(4), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column(
            "year",
            sa.Integer(),
            sa.ForeignKey("calendar_year.year", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "calendar_day",
        "calendar_year",
        "case_counter",
        "case_reply",
        "case_attachment",
        "case_record",
    ):
        op.drop_table(table)
