"""Staff of several bodies and the county's view: memberships, ``staff add --body``, the
supervisor role, the league table, 督办 and 汇总 (issue 13, item 4): the domain functions,
then the supervisor's console pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, db
from bot.admin import accounts
from bot.annual import county as summaries
from bot.annual import tables
from bot.cases import county
from bot.cases.media import media_dir
from bot.cases.states import HandlingError
from bot.models import Body
from bot.models.cases import (
    APPLICATION,
    CLOSED,
    COMPLAINT,
    ORGANISATION,
    RECEIVED,
    STORED,
    Attachment,
)
from bot.models.staff import AuditEntry, StaffMembership
from bot.staff import bodies
from bot.staff.roles import Role
from tests.support import (
    PASSWORD,
    Console,
    add_case,
    add_town,
    audit_entries,
    cli,
    member,
    post,
    town,
    visible_text,
)

#: A Wednesday: its week ends on Sunday 22 March.
TODAY = date(2026, 3, 18)


# ---- memberships ----


def test_a_member_has_a_role_in_each_of_their_bodies_and_no_other(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        third = add_town(session, "dazhen", "公主岭市大镇镇")
        wang = member(session, "wang", "handler", first, second)

        assert wang.body_ids == [first.id, second.id]
        assert wang.role_in(second.id) is Role.HANDLER and wang.role_in(third.id) is None
        assert wang.can("cases.handle", second.id)
        assert not wang.can("cases.view", third.id)
        assert wang.can("cases.handle") and not wang.can("staff.manage")


def test_an_account_made_without_naming_bodies_works_in_every_body(app: Flask) -> None:
    """As an upgraded install's accounts do (migration 0040), and the demo's."""
    with app.app_context():
        session = db.get_session()
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        li = accounts.create_staff(session, "li", "approver", PASSWORD)
        session.commit()
        assert li.body_ids == [town(session).id, second.id]
        assert li.can("items.publish", second.id)


def test_the_supervisor_reads_and_escalates_in_its_towns_but_never_handles(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        elsewhere = add_town(session, "dazhen", "公主岭市大镇镇")
        zhou = member(session, "zhou", "supervisor", first, second)

        assert zhou.role_in(first.id).label == "县级监督"
        for body in (first, second):
            for permission in ("cases.view", "audit.view", "county.view", "county.escalate"):
                assert zhou.can(permission, body.id), permission
            for permission in ("cases.handle", "cases.reveal_contact", "items.edit", "office.edit"):
                assert not zhou.can(permission, body.id), permission
        assert not zhou.can("cases.view", elsewhere.id)


# ---- sunshine staff add --body ----


def test_staff_add_with_one_body_may_leave_the_body_out(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff", "add", "wang", "--role", "clerk"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "clerk in town" in result.output
    listing = cli(app, "staff", "list").output
    assert "town:clerk" in listing and "BODIES:ROLES" in listing


def test_staff_add_names_the_bodies_of_a_county(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        add_town(session, "xiaozhen", "公主岭市小镇镇")
        add_town(session, "dazhen", "公主岭市大镇镇")
    runner = app.test_cli_runner()

    unnamed = runner.invoke(args=["staff", "add", "wang", "--role", "clerk"], input=PASSWORD)
    assert unnamed.exit_code == 2 and "several bodies" in unnamed.output
    unknown = runner.invoke(
        args=["staff", "add", "wang", "--role", "clerk", "--body", "nowhere"], input=PASSWORD
    )
    assert unknown.exit_code == 2 and "no body 'nowhere'" in unknown.output

    command = ["staff", "add", "zhou", "--role", "supervisor", "--name", "周监督"]
    added = runner.invoke(
        args=[*command, "--body", "xiaozhen", "--body", "dazhen"],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "supervisor in xiaozhen, dazhen" in added.output
    listing = cli(app, "staff", "list").output
    assert "xiaozhen:supervisor, dazhen:supervisor" in listing
    with app.app_context():
        session = db.get_session()
        zhou = accounts.get(session, "zhou")
        assert [bodies.by_slug(session, s).id for s in ("xiaozhen", "dazhen")] == zhou.body_ids
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.create")).one()
        assert entry.details["bodies"] == "xiaozhen:supervisor, dazhen:supervisor"


def test_an_existing_member_joins_and_leaves_bodies_from_the_command_line(app, apart):
    """Wang of town A is lent to town B, then returns: what they see follows at once."""
    joined = cli(app, "staff", "join", "wang", "--body", "xiaozhen", "--role", "handler")
    assert joined.exit_code == 0, joined.output
    assert "town:approver, xiaozhen:handler" in joined.output
    wang = logged_in(app, "wang")
    post(wang, "/admin/body", body=apart["second_id"])
    assert apart["theirs"] in wang.page(f"/admin/cases/{apart['theirs']}")

    again = cli(app, "staff", "join", "wang", "--body", "xiaozhen", "--role", "clerk")
    assert again.exit_code == 1 and "already a member of 'xiaozhen'" in again.output
    left = cli(app, "staff", "leave", "wang", "--body", "xiaozhen")
    assert left.exit_code == 0 and "now: town:approver" in left.output
    assert wang.client.get(f"/admin/cases/{apart['theirs']}").status_code == 404
    last = cli(app, "staff", "leave", "wang", "--body", "town")
    assert last.exit_code == 1 and "disable the account instead" in last.output
    nowhere = cli(app, "staff", "leave", "wang", "--body", "nowhere")
    assert nowhere.exit_code == 2 and "no body 'nowhere'" in nowhere.output

    with app.app_context():
        [join] = audit_entries(app, "staff.join")
        [leave] = audit_entries(app, "staff.leave")
        assert join.body_id == leave.body_id == int(apart["second_id"])
        assert (join.details["role"], leave.details["from_role"]) == ("handler", "handler")
    assert "加入机关" in logged_in(app, "chen").page("/admin/audit")


# ---- the league table ----


def test_the_league_table_counts_each_towns_open_overdue_and_due_this_week(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        quiet = add_town(session, "dazhen", "公主岭市大镇镇")
        # The first town: one overdue application, one due on Sunday, one next week.
        add_case(session, first, APPLICATION, TODAY - timedelta(days=1))
        add_case(session, first, APPLICATION, date(2026, 3, 22))
        add_case(session, first, APPLICATION, date(2026, 3, 23))
        # The second: two overdue (a complaint not yet accepted counts by its 15 days),
        # one due today, and a closed one that counts nowhere.
        add_case(session, second, APPLICATION, TODAY - timedelta(days=10))
        add_case(
            session,
            second,
            COMPLAINT,
            TODAY + timedelta(days=40),
            status=RECEIVED,
            accept_due_on=TODAY - timedelta(days=2),
        )
        add_case(session, second, COMPLAINT, TODAY)
        add_case(
            session, second, APPLICATION, TODAY - timedelta(days=30), status=CLOSED, outcome="1"
        )
        session.commit()

        rows = county.league_table(session, [first, second, quiet], TODAY)
        figures = [(r.body.slug, r.open, r.overdue, r.due_this_week) for r in rows]
        assert figures == [
            ("xiaozhen", 3, 2, 1),
            ("town", 3, 1, 1),
            ("dazhen", 0, 0, 0),
        ]
        by_open = county.league_table(session, [first, second, quiet], TODAY, sort="name")
        assert [r.body.slug for r in by_open] == sorted(
            ["xiaozhen", "town", "dazhen"], key=lambda s: bodies.by_slug(session, s).name
        )


# ---- 督办 ----


def test_an_escalation_is_recorded_and_audited_in_the_domain(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        case = add_case(session, second, APPLICATION, TODAY - timedelta(days=3))
        zhou = member(session, "zhou", "supervisor", first, second)
        clerk = member(session, "wang", "clerk", second)

        notice = county.escalate(session, zhou, second, "  请于本周内答复  ", case)
        county.escalate(session, zhou, second, "小镇镇超期件较多，请加快办理")
        session.commit()

        assert (notice.text, notice.case_id, notice.sender.username) == (
            "请于本周内答复",
            case.id,
            "zhou",
        )
        [about_case] = county.escalations(session, [second.id], case=case)
        assert about_case.id == notice.id
        assert len(county.escalations(session, [second.id])) == 2
        assert county.escalations(session, [first.id]) == []
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "county.escalate")
        ).all()
        assert [(e.actor, e.target_type, e.target_id, e.body_id) for e in entries] == [
            ("zhou", "case", case.number, second.id),
            ("zhou", "body", "xiaozhen", second.id),
        ]
        with pytest.raises(HandlingError):
            county.escalate(session, clerk, second, "我也来督办")
        with pytest.raises(HandlingError):
            county.escalate(session, zhou, second, "   ")


# ---- 汇总 ----


def close_application(session: Session, body: Body, outcome: str, **fields: object) -> None:
    add_case(
        session,
        body,
        APPLICATION,
        date(2026, 3, 20),
        status=CLOSED,
        outcome=outcome,
        closed_on=date(2026, 3, 10),
        **fields,
    )


def test_the_county_summary_is_the_sum_of_its_towns_tables(app: Flask) -> None:
    staff_now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇")
        admin = member(session, "li", "admin", first, second)
        close_application(session, first, "1")
        close_application(session, first, "1", applicant_kind=ORGANISATION)
        add_case(session, first, APPLICATION, date(2027, 1, 20))  # carried forward
        close_application(session, second, "1")
        tables.save_figures(
            session, first.id, 2026, {"fees.amount": Decimal("1.2345")}, admin, staff_now
        )
        tables.save_figures(
            session,
            second.id,
            2026,
            {"fees.amount": Decimal("0.5"), "licensing.decisions": Decimal(7)},
            admin,
            staff_now,
        )
        session.commit()

        result = summaries.summary(session, [first, second], 2026)
        own = {t.body.slug: t.tables.tables for t in result.towns}

        def cell(found: list[tables.Table], title: str, label: str, column: int) -> object:
            table = next(t for t in found if t["title"].startswith(title))
            return next(row for row in table["rows"] if row[0] == label)[column]

        new, total = tables.NEW, -1
        assert cell(own["town"], "三", new, total) == 3
        assert cell(own["xiaozhen"], "三", new, total) == 1
        assert cell(result.tables, "三", new, total) == 4
        assert cell(result.tables, "三", tables.CARRIED_FORWARD, total) == 1
        assert cell(
            result.tables, "二、主动公开政府信息情况（第二十条第（八）项）", "行政事业性收费", 1
        ) == (1.7345)
        assert (
            cell(result.tables, "二、主动公开政府信息情况（第二十条第（五）项）", "行政许可", 1)
            == 7
        )
        assert result.balanced
        # Every cell of every table is the sum of the towns' own.
        for index, summed in enumerate(result.tables):
            for row_index, row in enumerate(summed["rows"]):
                for column, value in enumerate(row[1:], 1):
                    parts = [own[s][index]["rows"][row_index][column] for s in own]
                    if value == "":
                        assert parts == ["", ""]
                    else:
                        assert value == pytest.approx(sum(parts))
        # Each town's own tables are unchanged by being summed.
        assert tables.compute(session, second.id, 2026).tables == own["xiaozhen"]


# ---- the supervisor's console ----


@pytest.fixture
def towns(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two towns with cases, a supervisor of both, a handler of each; today is ``TODAY``."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇人民政府")
        late = add_case(session, first, APPLICATION, TODAY - timedelta(days=1))
        add_case(session, second, APPLICATION, TODAY - timedelta(days=4))
        add_case(session, second, COMPLAINT, TODAY - timedelta(days=2))
        add_case(session, second, APPLICATION, TODAY + timedelta(days=2))
        session.commit()
        member(session, "zhou", "supervisor", first, second)
        member(session, "wang", "handler", first)
        member(session, "chen", "handler", second)
        return {"first": first.name, "second": second.name, "late": late.number}


def logged_in(app: Flask, username: str) -> Console:
    console = Console(app)
    console.login(username)
    return console


def league_rows(page: str) -> list[list[str]]:
    body = page.split('id="league-table"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return [visible_text(row).split()[:4] for row in body.split("</tr>") if "<th" in row]


def test_the_league_table_ranks_the_supervisors_towns_by_overdue(app, towns):
    zhou = logged_in(app, "zhou")
    page = zhou.page("/admin/county")
    assert "全县办件统计" in page
    assert league_rows(page) == [
        [towns["second"], "3", "2", "1"],
        [towns["first"], "1", "1", "0"],
    ]
    by_open = league_rows(zhou.page("/admin/county?sort=name"))
    assert [row[0] for row in by_open] == sorted([towns["first"], towns["second"]])


def test_the_county_pages_are_the_supervisors_only(app, towns):
    wang = logged_in(app, "wang")
    assert "全县" not in visible_text(wang.page("/admin"))
    assert wang.client.get("/admin/county").status_code == 403
    assert wang.client.get("/admin/county/summary/2025").status_code == 403
    response = post(wang, "/admin/county/escalate", body="1", text="我来督办")
    assert response.status_code == 403
    assert audit_entries(app, "county.escalate") == []


def test_escalation_reaches_the_towns_inbox_digest_and_case_page(app, towns):
    zhou = logged_in(app, "zhou")
    with app.app_context():
        first = town(db.get_session())
    response = post(
        zhou,
        "/admin/county/escalate",
        body=str(first.id),
        number=towns["late"],
        text="该件已超期，请今天内答复",
    )
    assert response.status_code == 302
    post(zhou, "/admin/county/escalate", body=str(first.id), text="本镇超期件较多，请本周清零")

    wang = logged_in(app, "wang")
    case_page = visible_text(wang.page(f"/admin/cases/{towns['late']}"))
    assert "县级督办" in case_page and "该件已超期，请今天内答复" in case_page
    assert "本镇超期件较多" not in case_page  # a town's notice is not about this case
    inbox = visible_text(wang.page("/admin/cases"))
    assert "该件已超期，请今天内答复" in inbox and "本镇超期件较多，请本周清零" in inbox
    assert "本镇超期件较多，请本周清零" in visible_text(wang.page("/admin/digest"))
    # The other town's handler sees none of it.
    chen = logged_in(app, "chen")
    assert "本镇超期件较多" not in visible_text(chen.page("/admin/cases"))
    [on_case, on_town] = audit_entries(app, "county.escalate")
    assert (on_case.target_type, on_case.target_id) == ("case", towns["late"])
    assert (on_town.actor, on_town.target_type) == ("zhou", "body")
    assert "本镇超期件较多" in visible_text(zhou.page("/admin/county"))


def test_escalating_to_a_town_or_case_not_supervised_is_not_found(app, towns):
    with app.app_context():
        session = db.get_session()
        elsewhere = add_town(session, "dazhen", "公主岭市大镇镇人民政府")
        first = town(session)
    zhou = logged_in(app, "zhou")
    assert post(zhou, "/admin/county/escalate", body=str(elsewhere.id), text="x").status_code == 404
    assert post(zhou, "/admin/county/escalate", body="999", text="x").status_code == 404
    missing = post(
        zhou, "/admin/county/escalate", body=str(first.id), number="SQ20990101-0001", text="x"
    )
    assert missing.status_code == 404
    assert audit_entries(app, "county.escalate") == []


def test_a_supervisor_reads_a_case_but_cannot_act_on_it(app, towns):
    zhou = logged_in(app, "zhou")
    page = zhou.page(f"/admin/cases/{towns['late']}")
    assert towns["late"] in page and "发出督办" in page
    for form in ("/assign", "/reply", "/close", "/note"):
        assert f"/admin/cases/{towns['late']}{form}" not in page
    for action in ("assign", "reply", "close", "note"):
        response = post(zhou, f"/admin/cases/{towns['late']}/{action}", text="试试", reply="试试")
        assert response.status_code in (403, 404), action
    with app.app_context():
        actions = set(db.get_session().scalars(select(AuditEntry.action)))
    assert not {action for action in actions if action.startswith("case.")}


def test_the_county_summary_page_and_exports_add_up_the_towns(app, towns, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2027, 1, 15))
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = bodies.by_slug(session, "xiaozhen")
        admin = member(session, "li", "admin", first, second)
        close_application(session, first, "1")
        close_application(session, second, "1")
        tables.save_figures(
            session, first.id, 2026, {"licensing.decisions": Decimal(3)}, admin, clock.now()
        )
        tables.save_figures(
            session, second.id, 2026, {"licensing.decisions": Decimal(4)}, admin, clock.now()
        )
        session.commit()
    zhou = logged_in(app, "zhou")

    page = visible_text(zhou.page("/admin/county/summary/2026"))
    assert "全县统计汇总" in page and towns["first"] in page and towns["second"] in page
    assert "校验通过" in page

    exported = zhou.client.get("/admin/county/summary/2026.csv")
    assert exported.status_code == 200
    assert "county-summary-tables-2026.csv" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["行政许可", "7"] in rows
    new = next(row for row in rows if row and row[0] == tables.NEW)
    # Two closed applications this year, plus the three still open filed on 1 March 2026.
    assert new[-1] == "5"

    workbook = load_workbook(io.BytesIO(zhou.client.get("/admin/county/summary/2026.xlsx").data))
    rows_in_sheet = list(workbook.active.iter_rows(values_only=True))
    assert any(row[0] == "行政许可" and row[1] == 7 for row in rows_in_sheet)


# ---- each town's staff see their town's records only ----


@pytest.fixture
def apart(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Town B's case with a stored photo and its audit entries; staff of A, of B, of both."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with app.app_context():
        session = db.get_session()
        first = town(session)
        second = add_town(session, "xiaozhen", "公主岭市小镇镇人民政府")
        theirs = add_case(session, second, APPLICATION, TODAY + timedelta(days=5))
        ours = add_case(session, first, APPLICATION, TODAY + timedelta(days=5))
        folder = media_dir(app)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "b-photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
        photo = Attachment(
            case_id=theirs.id,
            media_id="m-1",
            stored_file="b-photo.jpg",
            fetch_state=STORED,
            created_at=clock.now(),
        )
        session.add(photo)
        session.commit()
        member(session, "wang", "approver", first)
        member(session, "chen", "approver", second)
        both = member(session, "li", "handler", first)
        both.memberships.append(StaffMembership(body_id=second.id, role="clerk"))
        session.commit()
        return {
            "theirs": theirs.number,
            "ours": ours.number,
            "photo": f"/admin/cases/{theirs.number}/photos/{photo.id}",
            "second_id": str(second.id),
        }


def test_a_town_b_photo_is_town_b_staffs_to_see(app, apart):
    assert logged_in(app, "chen").client.get(apart["photo"]).status_code == 200


def test_a_clerk_of_town_a_finds_nothing_of_town_b(app, apart):
    wang = logged_in(app, "wang")
    theirs = apart["theirs"]
    for path in (
        f"/admin/cases/{theirs}",
        f"/admin/cases/{theirs}/formal",
        f"/admin/cases/{theirs}/formal.pdf",
        apart["photo"],
        # Town A's case number with town B's photo, and B named in the address.
        apart["photo"].replace(theirs, apart["ours"]),
        f"/admin/cases/{theirs}?body=xiaozhen",
        "/admin/audit?body=xiaozhen",
        "/admin/annual/2025.csv?body=xiaozhen",
    ):
        assert wang.client.get(path).status_code == 404, path
    assert post(wang, f"/admin/cases/{theirs}/reveal").status_code == 404
    assert post(wang, "/admin/body", body=apart["second_id"]).status_code == 404
    assert theirs not in wang.page("/admin/cases?status=all")


def test_the_audit_log_of_town_a_holds_nothing_about_town_b(app, apart):
    chen = logged_in(app, "chen")
    assert post(chen, f"/admin/cases/{apart['theirs']}/reveal").status_code in (200, 302)
    with app.app_context():
        [entry] = audit_entries(app, "case.reveal_contact")
        assert entry.body_id == int(apart["second_id"])
    assert apart["theirs"] in logged_in(app, "chen").page("/admin/audit")
    assert apart["theirs"] not in logged_in(app, "wang").page("/admin/audit")


def test_a_member_of_two_towns_works_in_one_at_a_time_with_its_role(app, apart):
    li = logged_in(app, "li")
    home = li.page("/admin")
    assert "切换" in home and "承办人" in home  # a handler in the first town
    assert li.client.get(f"/admin/cases/{apart['theirs']}").status_code == 404

    switched = post(li, "/admin/body", body=apart["second_id"])
    assert switched.status_code == 302
    page = li.page(f"/admin/cases/{apart['theirs']}")
    assert apart["theirs"] in page and "登记员" in page  # a clerk there: no handling
    assert f"/admin/cases/{apart['theirs']}/assign" not in page
    assigned = post(li, f"/admin/cases/{apart['theirs']}/assign", assignee="1")
    assert assigned.status_code == 403
    # A link naming the body takes them there, as the 督办 notice's does.
    back = li.page(f"/admin/cases/{apart['ours']}?body=town")
    assert apart["ours"] in back and "承办人" in back


def test_an_account_of_no_body_sees_its_home_page_and_nothing_else(app):
    with app.app_context():
        member(db.get_session(), "zhao", "approver")
    zhao = logged_in(app, "zhao")
    home = visible_text(zhao.page("/admin"))
    assert "还不属于任何行政机关" in home and "可以使用的功能" not in home
    assert zhao.client.get("/admin/cases").status_code == 404
    assert zhao.client.get("/admin/audit").status_code == 404


def test_the_demo_accounts_join_the_bodies_added_since(app):
    with app.app_context():
        session = db.get_session()
        accounts.ensure_demo_accounts(session)
        added = add_town(session, "xiaozhen", "公主岭市小镇镇人民政府")
        accounts.ensure_demo_accounts(session)
        assert accounts.get(session, "demo").role_in(added.id) is Role.ADMIN
        assert accounts.get(session, "demo-head").role_in(added.id) is Role.HEAD


def test_the_audit_log_shows_the_logins_of_the_towns_own_staff_only(app, apart):
    logged_in(app, "chen")  # town B's
    page = logged_in(app, "wang").page("/admin/audit")
    assert "wang" in page and "chen" not in page


def test_sunshine_digest_lists_the_towns_escalations_of_the_week(app, towns):
    zhou = logged_in(app, "zhou")
    with app.app_context():
        first = town(db.get_session())
    post(zhou, "/admin/county/escalate", body=str(first.id), text="本镇超期件较多，请本周清零")

    printed = cli(app, "digest", "--body", "town").output
    assert "县级督办（1条）" in printed
    assert "就本机关的工作督办：本镇超期件较多，请本周清零" in printed
    assert "县级督办" not in cli(app, "digest", "--body", "xiaozhen").output
