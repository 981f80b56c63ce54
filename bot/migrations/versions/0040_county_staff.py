"""Staff belong to bodies: a role in each (``staff_membership``), the county supervisor role,
and 督办 notices (``escalation``).

Every existing staff member becomes a member of every existing body with the role
they had, so an upgraded one-town install works as before. The ``supervisor`` role
(县级监督) widens the staff role CHECK the way 0014 did (in place on SQLite: see there).

Revision ID: 0040
Revises: 0020
Create Date: 2026-12-05
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0020"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("clerk", "handler", "approver", "admin", "head")
ROLES_AFTER = (*ROLES_BEFORE, "supervisor")


def _law_clocks() -> ModuleType:
    """Revision 0014, whose ``_role_check`` widens the staff role CHECK on both databases."""
    path = Path(__file__).with_name("0014_law_clocks.py")
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _roles(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def upgrade() -> None:
    _law_clocks()._role_check(ROLES_BEFORE, ROLES_AFTER)
    op.create_table(
        "staff_membership",
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("body.id"), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.CheckConstraint(_roles(ROLES_AFTER), name="staff_membership_role"),
    )
    op.create_index("ix_staff_membership_body_id", "staff_membership", ["body_id"])
    op.execute(
        "INSERT INTO staff_membership (staff_id, body_id, role) "
        "SELECT staff.id, body.id, staff.role FROM staff CROSS JOIN body"
    )
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("body_id", sa.Integer(), sa.ForeignKey("body.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_record.id")),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_escalation_body_id", "escalation", ["body_id"])
    op.create_index("ix_escalation_case_id", "escalation", ["case_id"])


def downgrade() -> None:
    """Back to one role per account: refused while a supervisor account exists."""
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT count(*) FROM staff WHERE role = 'supervisor'")):
        raise RuntimeError("supervisor accounts exist: the earlier schema has no such role")
    op.drop_table("escalation")
    op.drop_table("staff_membership")
    _law_clocks()._role_check(ROLES_AFTER, ROLES_BEFORE)
