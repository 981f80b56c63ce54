"""Staff accounts of the console and the audit log of what they (and the system) did.

The audit log is append-only. Three layers keep it so: the code has no update or
delete path (``bot.staff.audit.record`` only adds); a ``before_flush`` hook
refuses any ORM change or deletion of an entry; and the database itself rejects
UPDATE and DELETE with a trigger (migration 0007), on PostgreSQL and SQLite
alike. Staff accounts are never deleted either (entries refer to them): they are
disabled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot import clock
from bot.models.core import AwareDateTime, Base, append_only
from bot.staff.roles import Role, can


class Staff(Base):
    """A member of the disclosure office who logs in to the console."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")", name="staff_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Written by releases before migration 0015, which locked a whole account; no longer
    #: read (lock-outs are per account and address, in Redis). Kept for hosts still on the
    #: previous release during a rolling upgrade.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    #: Console sessions started in another generation are over: logging out moves it on.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=clock.now, onupdate=clock.now
    )

    #: The bodies the member works in, with their role in each.
    memberships: Mapped[list[StaffMembership]] = relationship(
        order_by="StaffMembership.body_id", cascade="all, delete-orphan"
    )

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def body_ids(self) -> list[int]:
        """The bodies whose records the member sees, lowest id first."""
        return [membership.body_id for membership in self.memberships]

    def membership_of(self, body_id: int) -> StaffMembership | None:
        """The member's membership of a body, or None when they do not belong to it."""
        return next((m for m in self.memberships if m.body_id == body_id), None)

    def role_in(self, body_id: int) -> Role | None:
        """The member's role in a body, or None when they do not belong to it."""
        membership = self.membership_of(body_id)
        return None if membership is None else Role(membership.role)

    def can(self, permission: str, body_id: int | None = None) -> bool:
        """Whether the member may do it in body ``body_id`` (their role there), or, without
        one, in any of their bodies (what the navigation and the home page show). An account
        of no body yet holds its account role's permissions, which reach no body's record."""
        if body_id is not None:
            role = self.role_in(body_id)
            return role is not None and can(role, permission)
        roles = {membership.role for membership in self.memberships} or {self.role}
        return any(can(role, permission) for role in roles)


class StaffMembership(Base):
    """That a member works in a body, and as what: the role there decides what they may do
    to that body's records (``Staff.can(permission, body_id)``)."""

    __tablename__ = "staff_membership"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")",
            name="staff_membership_role",
        ),
    )

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))


class AuditEntry(Base):
    """One thing someone did: who, what, to which record, why, when, from where. Never changed.

    ``actor`` is the staff member's username when ``staff_id`` is set, else
    ``"system"`` (the application on its own) or ``"cli"`` (an operator's
    ``sunshine`` command; ``details["os_user"]`` says who ran it).
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    #: The body whose record or setting it was about; None for what is not a body's
    #: (a login, a staff account).
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    actor: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))


class AuditLogIsAppendOnly(RuntimeError):
    pass


append_only(AuditEntry, AuditLogIsAppendOnly, "audit entries")
