"""One audit convention: the domain function that performs an action writes its entry.

Each action is taken here by calling the domain directly, outside any page or
command, as a new page or command would; the audit log still records it, so no
surface can forget to.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.admin import accounts
from bot.cases import access, export, handling
from bot.content import importer, review
from bot.models.cases import COMPLAINT, RECEIVED, Case
from bot.models.content import Item, ItemStatus, ReviewAction, ReviewDecision, ReviewStep
from bot.models.staff import AuditEntry
from bot.staff import audit, bodies, office
from tests.support import GOOD, town_id, write_csv

PASSWORD = "long enough 10"


def logged(app: Flask) -> list[tuple[str, str, dict[str, object]]]:
    with app.app_context():
        entries = db.get_session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(entry.actor, entry.action, entry.details) for entry in entries]


def test_account_actions_are_written_by_the_accounts_module(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        wang = accounts.add_account(session, audit.CLI, "wang", "handler", PASSWORD, "王芳")
        accounts.change_password(wang, audit.CLI, "another password")
        assert accounts.set_active(wang, audit.CLI, active=False)
        assert not accounts.set_active(wang, audit.CLI, active=False)
        accounts.members(session, audit.CLI)
        session.commit()

    assert [(actor, action) for actor, action, _ in logged(app)] == [
        ("cli", "staff.create"),
        ("cli", "staff.password"),
        ("cli", "staff.disable"),
        ("cli", "staff.list"),
    ]
    created = logged(app)[0][2]
    assert (created["username"], created["name"], created["role"]) == ("wang", "王芳", "handler")


def test_the_offices_details_name_what_changed(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        admin = accounts.create_staff(session, "li", "admin", PASSWORD)
        held = bodies.default(session)
        assert held is not None
        values = {key: getattr(held, key) for key in office.FIELDS}
        assert office.save(session, admin, held, values) == []
        new = {"phone": "0434-0000000", "hours": "周一至周五 8:30—16:30"}
        changed = office.save(session, admin, held, values | new)
        session.commit()

    assert changed == ["电话", "办公时间"]
    [(actor, action, details)] = logged(app)
    assert (actor, action, details["changed"]) == ("li", "office.edit", "、".join(changed))


def test_reviewing_and_publishing_are_written_by_the_review_rules(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        clerk = accounts.create_staff(session, "wang", "clerk", PASSWORD)
        approver = accounts.create_staff(session, "li", "approver", PASSWORD)
        item = Item(
            body_id=town_id(session),
            title="关于秸秆禁烧的通告",
            category="公示公告",
            published_on=date(2026, 11, 20),
            channel="wechat",
            status=ItemStatus.DRAFT,
            is_example=False,
            revision=1,
        )
        session.add(item)
        session.flush()
        review.created(session, item, clerk)
        for step in (ReviewStep.PRE, ReviewStep.SECRECY):
            review.take_step(
                session,
                item,
                approver,
                ReviewAction.REVIEW,
                step=step,
                decision=ReviewDecision.PASS,
            )
        review.take_step(session, item, approver, ReviewAction.PUBLISH)
        session.commit()
        item_id = item.id

    assert [(actor, action) for actor, action, _ in logged(app)] == [
        ("wang", "item.create"),
        ("li", "item.review"),
        ("li", "item.review"),
        ("li", "item.publish"),
    ]
    with app.app_context():
        assert db.get_session().get(Item, item_id).status == ItemStatus.PUBLISHED


def test_an_import_and_an_export_are_written_by_their_domains(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "items.csv", GOOD)
    with app.app_context():
        session = db.get_session()
        summary = importer.import_items(session, town_id(session), path, audit.CLI)
        rows = export.exported(
            session,
            town_id(session),
            audit.CLI,
            with_contact=False,
            destination="stdout",
            command="test",
        )
        session.commit()

    assert summary.created == 2
    (_, imported, counts), (_, exported, sizes) = logged(app)
    assert imported == "item.import"
    assert (counts["file"], counts["created"], counts["updated"]) == ("items.csv", 2, 0)
    assert exported == "case.export"
    assert (sizes["cases"], sizes["contacts"], sizes["file"]) == (len(rows), 0, "stdout")


def test_handling_a_case_is_written_by_the_cases_domain(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        boss = accounts.create_staff(session, "li", "approver", PASSWORD)
        case = Case(
            body_id=town_id(session),
            number="TS20260301-0001",
            kind=COMPLAINT,
            category="举报",
            status=RECEIVED,
            submission_id="audit-convention",
            openid="o-audit",
            created_at=clock.now(),
            received_on=date(2026, 3, 1),
            due_on=date(2026, 3, 16),
            text="有人在河道挖沙",
            name="李举报",
        )
        session.add(case)
        session.flush()
        handling.assign(case, boss, boss, clock.now())
        handling.add_note(case, boss, "已电话核实", clock.now())
        access.reveal(boss, case)
        handling.decline_complaint(case, boss, "不属于本机关职责", clock.now())
        session.commit()

    assert [(actor, action) for actor, action, _ in logged(app)] == [
        ("li", "case.assign"),
        ("li", "case.note"),
        ("li", "case.reveal_reporter"),
        ("li", "case.decline"),
    ]


def test_no_console_page_or_command_writes_an_entry_itself() -> None:
    root = Path(__file__).resolve().parent.parent
    sources = {path: path.read_text(encoding="utf-8") for path in root.glob("bot/**/*.py")}
    surfaces = [
        path
        for path, text in sources.items()
        if re.search(r"@\w*bp\.|\bbp\.add_url_rule\(|@click\.", text) or path.name == "cli.py"
    ]
    writers = {str(path.relative_to(root)) for path in surfaces if "audit.record(" in sources[path]}
    assert writers == set()
