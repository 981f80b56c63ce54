"""Who sees a resident's identity on a case, as plain functions the console and handling ask.

- Contact details are shown masked; members whose role allows (``cases.reveal_contact``)
  may reveal them (显示), and each reveal is written to the audit log (``reveal``).
- A complainant (name, phone; ``Case.reporter_protected``) is shown only to approvers
  and to the handler an approver assigned (``reporter_visible``), never to a clerk,
  again masked until revealed and logged. Only approvers assign such a case
  (``may_assign``): assigning decides who sees the complainant.

A permission (``bot.staff.roles``) is a necessary condition; the rules about this
particular case are checked here on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.cases.privacy import mask_address, mask_email, mask_name, originals, unseal
from bot.models.cases import Case
from bot.models.staff import Staff
from bot.staff import audit


def reporter_visible(staff: Staff, case: Case) -> bool:
    """A complainant's identity: approvers, and the handler an approver assigned.

    The assigner's role is read now, so an assignment made before approvers alone could
    assign (a handler assigning themself) gives nothing away.
    """
    if not case.reporter_protected or not staff.can("cases.reveal_reporter", case.body_id):
        return False
    if staff.can("cases.assign_reporter", case.body_id):
        return True
    assignment = case.assignment
    return (
        assignment is not None
        and assignment.staff_id == staff.id
        and assignment.assigned_by is not None
        and assignment.assigned_by.can("cases.assign_reporter", case.body_id)
    )


def identity_visible(staff: Staff, case: Case) -> bool:
    """Whether the page shows the person behind the case at all (masked until revealed)."""
    return not case.reporter_protected or reporter_visible(staff, case)


def contact_visible(staff: Staff, case: Case) -> bool:
    """Whether the member may press 显示 for the case's contact details."""
    if case.reporter_protected:
        return reporter_visible(staff, case)
    return staff.can("cases.reveal_contact", case.body_id)


def may_assign(staff: Staff, case: Case) -> bool:
    """Whether the member may choose the case's handler (a complaint: approvers only)."""
    return not case.reporter_protected or staff.can("cases.assign_reporter", case.body_id)


@dataclass(frozen=True)
class Contact:
    """A case's personal details as the page shows them: masked, or revealed (logged)."""

    name: str | None
    id_type: str | None
    id_number: str | None
    phone: str | None
    email: str | None
    address: str | None
    revealed: bool
    #: Revealed: the resident's text and corrections as typed (their ID numbers unmasked),
    #: keyed ``text`` and ``supplement <id>``, where they differ from what is stored.
    typed: dict[str, str] = field(default_factory=dict)


def contact_of(case: Case, *, revealed: bool) -> Contact:
    """The details masked, or as the resident gave them (``SealError`` if the key is wrong)."""
    if revealed:
        typed = originals(case.originals_sealed)
        for supplement in case.supplements:
            kept = originals(supplement.originals_sealed)
            if kept:
                typed[f"supplement {supplement.id}"] = kept["text"]
        return Contact(
            typed.get("name", case.name),
            typed.get("id_type", case.id_type),
            unseal(case.id_number_sealed) if case.id_number_sealed else None,
            unseal(case.phone_sealed) if case.phone_sealed else None,
            typed.get("email", case.email),
            typed.get("address", case.address),
            revealed=True,
            typed=typed,
        )
    name = case.name
    if name and case.reporter_protected:
        name = mask_name(name)
    return Contact(
        name,
        case.id_type,
        case.id_number_masked,
        case.phone_masked,
        mask_email(case.email) if case.email else None,
        mask_address(case.address) if case.address else None,
        revealed=False,
    )


class RevealRefused(Exception):
    """The member may not reveal this case's details; ``permission`` is the one that decides."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


def reveal(staff: Staff, case: Case) -> str:
    """显示: write to the audit log who revealed which of the case's details (the caller
    commits, then shows ``contact_of(case, revealed=True)`` once). Returns the action."""
    if case.reporter_protected:
        if not reporter_visible(staff, case):
            raise RevealRefused("cases.reveal_reporter")
        action = "case.reveal_reporter"
    else:
        if not staff.can("cases.reveal_contact", case.body_id):
            raise RevealRefused("cases.reveal_contact")
        action = "case.reveal_contact"
    fields = [
        label
        for label, value in (
            ("姓名", case.name if case.reporter_protected else None),
            ("证件号码", case.id_number_sealed),
            ("电话", case.phone_sealed),
            ("电子邮箱", case.email),
            ("地址", case.address),
            ("填写内容中的证件号码", _typed_id_numbers(case)),
        )
        if value
    ]
    audit.record(staff, action, "case", case.number, body_id=case.body_id, field="、".join(fields))
    return action


def _typed_id_numbers(case: Case) -> bool:
    """Whether the resident typed an ID number into a text field (stored masked)."""
    return bool(case.originals_sealed) or any(s.originals_sealed for s in case.supplements)
