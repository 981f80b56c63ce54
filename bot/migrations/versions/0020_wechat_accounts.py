"""Official accounts besides the configured one, the bodies each serves, the town each resident
of a county account picked, and the account each case was filed through.

``wechat_account`` holds each account's slug (its webhook is ``/wechat/<slug>``), AppID
and its secrets sealed with the data key; ``wechat_account_body`` the bodies it serves,
in the order its residents are offered them; ``town_choice`` the body a resident (by
pseudonym) picked on an account serving several. ``case_record.account`` is the slug of
the account a case was filed through; every case held before was filed through the one
configured account (``SUNSHINE_WECHAT_*``), written ``""``.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(32), nullable=False, unique=True),
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("aes_key_sealed", sa.Text()),
        sa.Column("secret_sealed", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "wechat_account_body",
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("wechat_account.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("body.id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "town_choice",
        sa.Column("resident", sa.String(64), primary_key=True),
        sa.Column(
            "body_id", sa.Integer(), sa.ForeignKey("body.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column(
        "case_record",
        sa.Column("account", sa.String(32), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("case_record", "account")
    op.drop_table("town_choice")
    op.drop_table("wechat_account_body")
    op.drop_table("wechat_account")
