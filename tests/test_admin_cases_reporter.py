"""Who decides who sees a complainant (docs/security.md): approvers assign, the handler they
assign sees the reporter, nobody else can get there by assigning, reassigning or transferring.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.admin import accounts
from bot.cases import export
from bot.models.cases import Case, CaseAssignment
from tests.support import (
    REPORTER_NAME,
    REPORTER_PHONE,
    Console,
    audit_entries,
    case_row,
    file_application,
    file_complaint,
    logged_in,
    post,
    town_id,
)

HIDDEN = "只对审核人和审核人分派的承办人可见"


def staff_id(app: Flask, username: str) -> str:
    with app.app_context():
        return str(accounts.get(db.get_session(), username).id)


def sees_reporter(console: Console, number: str) -> bool:
    page = console.page(f"/admin/cases/{number}")
    shown = "139****4321" in page
    assert shown != (HIDDEN in page), "the page either shows the reporter or says who may see"
    return shown


def reveals(console: Console, number: str) -> bool:
    response = post(console, f"/admin/cases/{number}/reveal")
    assert response.status_code in (200, 403)
    return REPORTER_PHONE in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["handler", "admin"])
def test_nobody_but_an_approver_assigns_a_report_not_even_to_themself(app, resident, role):
    number = file_complaint(resident, "村干部挪用低保金", category="举报")
    member = logged_in(app, "li", role)
    logged_in(app, "wang", "handler")
    page = member.page(f"/admin/cases/{number}")
    assert "投诉、举报、建议由审核人分派承办人。" in page and 'name="staff_id"' not in page

    for chosen in ("li", "wang"):
        refused = post(member, f"/admin/cases/{number}/assign", staff_id=staff_id(app, chosen))
        assert refused.status_code == 422
        assert "投诉、举报、建议由审核人分派承办人" in refused.get_data(as_text=True)

    assert case_row(app, number).assignment is None
    assert audit_entries(app, "case.assign") == []
    assert not sees_reporter(member, number) and not reveals(member, number)


def test_the_handler_an_approver_assigns_sees_the_reporter_until_reassigned(app, resident):
    number = file_complaint(resident, category="举报")
    boss = logged_in(app, "boss", "approver")
    li = logged_in(app, "li", "handler")
    wang = logged_in(app, "wang", "handler")
    assert "承办人可以查看投诉举报人的身份" in boss.page(f"/admin/cases/{number}")

    post(boss, f"/admin/cases/{number}/assign", staff_id=staff_id(app, "li"))
    assert sees_reporter(li, number) and reveals(li, number)
    assert not sees_reporter(wang, number) and not reveals(wang, number)
    refused = post(li, f"/admin/cases/{number}/assign", staff_id=staff_id(app, "wang"))
    assert refused.status_code == 422, "the assigned handler may not pass the reporter on"

    post(boss, f"/admin/cases/{number}/assign", staff_id=staff_id(app, "wang"))
    assert sees_reporter(wang, number) and reveals(wang, number)
    assert not sees_reporter(li, number) and not reveals(li, number)
    assert sees_reporter(boss, number)
    assigned = [entry.details for entry in audit_entries(app, "case.assign")]
    assert assigned == [{"handler": "li"}, {"handler": "wang", "previous": "li"}]
    assert [entry.actor for entry in audit_entries(app, "case.reveal_reporter")] == ["li", "wang"]


def test_a_self_assignment_made_before_this_rule_reveals_nothing(app, resident):
    number = file_complaint(resident, category="举报")
    li = logged_in(app, "li", "handler")
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        me = accounts.get(session, "li")
        case.assignment = CaseAssignment(staff=me, assigned_by_id=me.id, assigned_at=clock.now())
        session.commit()

    assert not sees_reporter(li, number) and not reveals(li, number)
    assert REPORTER_NAME not in li.page(f"/admin/cases/{number}")


def test_an_application_moved_to_the_complaint_track_protects_its_applicant(app, resident):
    number = file_application(resident, "举报村主任占用集体土地盖房")
    wang = logged_in(app, "wang", "handler")
    clerk = logged_in(app, "clerk", "clerk")
    assert "张三" in clerk.page(f"/admin/cases/{number}"), "an applicant is no complainant"
    post(wang, f"/admin/cases/{number}/assign", staff_id=staff_id(app, "wang"))

    moved = post(wang, f"/admin/cases/{number}/transfer", reason="内容是举报")
    assert "投诉件由审核人分派承办人" in wang.page(f"/admin/cases/{number}")
    assert moved.status_code == 302

    complaint = case_row(app, number).transferred_to
    assert case_row(app, complaint).assignment is None
    for page in (clerk.page(f"/admin/cases/{number}"), wang.page(f"/admin/cases/{complaint}")):
        assert "张三" not in page and "138****1234" not in page and HIDDEN in page
    assert post(wang, f"/admin/cases/{number}/reveal").status_code == 403
    with app.app_context():
        rows = {
            row["number"]: row
            for row in export.records(
                db.get_session(), town_id(db.get_session()), with_contact=False
            )
        }
    assert rows[number]["name"] == rows[complaint]["name"] == "张*"


def test_an_approver_who_moves_an_application_keeps_its_handler(app, resident):
    number = file_application(resident, "举报村主任占用集体土地盖房")
    boss = logged_in(app, "boss", "approver")
    wang = logged_in(app, "wang", "handler")
    post(boss, f"/admin/cases/{number}/assign", staff_id=staff_id(app, "wang"))

    post(boss, f"/admin/cases/{number}/transfer", reason="内容是举报")

    complaint = case_row(app, number).transferred_to
    assert case_row(app, complaint).assignee.username == "wang"
    page = wang.page(f"/admin/cases/{complaint}")
    assert "138****1234" in page and "张*" in page and HIDDEN not in page
