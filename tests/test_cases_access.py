"""Who sees a resident's identity (``bot.cases.access``), asked directly of plain objects.

The console's pages and the 显示 button are tested through the console in
``test_admin_cases.py`` and ``test_admin_cases_reporter.py``; here each rule is one
call, for every role.
"""

from __future__ import annotations

import pytest

from bot.cases import access
from bot.models.cases import APPLICATION, COMPLAINT, Case, CaseAssignment
from bot.models.staff import Staff
from bot.staff.roles import Role

ROLES = [role.value for role in Role]
#: Who sees a complainant on a case nobody was assigned: approvers and heads only.
SEES_UNASSIGNED_REPORTER = {"approver", "head"}
#: Who may press 显示 for an applicant: every role that handles cases.
REVEALS_APPLICANT = {"handler", "approver", "admin", "head"}


def member(role: str, member_id: int = 1) -> Staff:
    return Staff(id=member_id, username=f"{role}{member_id}", display_name=role, role=role)


def complaint(**fields: object) -> Case:
    return Case(kind=COMPLAINT, category="举报", number="TS20260301-0001", **fields)


def application(**fields: object) -> Case:
    return Case(kind=APPLICATION, number="SQ20260301-0001", **fields)


def assigned(case: Case, handler: Staff, by: Staff) -> Case:
    case.assignment = CaseAssignment(
        staff_id=handler.id, staff=handler, assigned_by_id=by.id, assigned_by=by
    )
    return case


@pytest.mark.parametrize("role", ROLES)
def test_a_complainant_is_seen_by_approvers_only_until_one_assigns_a_handler(role):
    staff = member(role)
    case = complaint()
    assert access.reporter_visible(staff, case) == (role in SEES_UNASSIGNED_REPORTER)
    assert access.identity_visible(staff, case) == (role in SEES_UNASSIGNED_REPORTER)
    assert access.contact_visible(staff, case) == (role in SEES_UNASSIGNED_REPORTER)
    assert access.may_assign(staff, case) == (role in SEES_UNASSIGNED_REPORTER)


def test_the_handler_an_approver_assigned_sees_the_complainant():
    handler, other, boss = member("handler", 1), member("handler", 2), member("approver", 3)
    case = assigned(complaint(), handler, by=boss)
    assert access.reporter_visible(handler, case) and access.contact_visible(handler, case)
    assert not access.reporter_visible(other, case), "only the assigned handler"
    assert not access.may_assign(handler, case), "a handler never chooses who sees a reporter"


def test_a_handler_who_assigned_themself_sees_nothing():
    """An assignment made before approvers alone could assign gives nothing away."""
    handler = member("handler")
    case = assigned(complaint(), handler, by=handler)
    assert not access.reporter_visible(handler, case)
    assert not access.identity_visible(handler, case)


def test_a_clerk_assigned_a_complaint_still_does_not_see_the_complainant():
    clerk, boss = member("clerk"), member("approver", 2)
    assert not access.reporter_visible(clerk, assigned(complaint(), clerk, by=boss))


@pytest.mark.parametrize("role", ROLES)
def test_an_applicant_is_seen_by_everyone_and_revealed_by_handlers(role):
    staff = member(role)
    case = application()
    assert not access.reporter_visible(staff, case), "an applicant is no complainant"
    assert access.identity_visible(staff, case)
    assert access.may_assign(staff, case)
    assert access.contact_visible(staff, case) == (role in REVEALS_APPLICANT)


def test_an_application_moved_to_the_complaint_track_protects_its_applicant():
    case = application(transferred_to="TS20260301-0002")
    assert not access.identity_visible(member("handler"), case)
    assert not access.may_assign(member("handler"), case)
    assert access.identity_visible(member("approver"), case)


def test_contact_details_are_masked_until_revealed():
    case = complaint(
        name="李举报",
        phone_masked="139****4321",
        email="li.report@example.com",
        address="吉林省公主岭市毛城子镇某村3组",
    )
    shown = access.contact_of(case, revealed=False)
    assert not shown.revealed
    assert shown.name == "李**" and shown.phone == "139****4321"
    assert shown.email != case.email and shown.address != case.address
    applicant = access.contact_of(application(name="张三"), revealed=False)
    assert applicant.name == "张三", "only a complainant's name is masked"


@pytest.mark.parametrize("role", ROLES)
def test_a_reveal_is_refused_with_the_permission_that_decides(role):
    for case, permission in (
        (complaint(), "cases.reveal_reporter"),
        (application(), "cases.reveal_contact"),
    ):
        if access.contact_visible(member(role), case):
            continue
        with pytest.raises(access.RevealRefused) as refused:
            access.reveal(member(role), case)
        assert refused.value.permission == permission
