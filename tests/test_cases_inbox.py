"""The inbox paged in the database (``bot.cases.inbox``): the same order and counts as the
digest's reading of every case, a page at a time, in a bounded number of queries.

Cases are written straight to the database here (many, in every state); the console's
filters and search as staff use them are in ``test_admin_cases.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot import db
from bot.cases import inbox
from bot.cases.digest import next_deadline, next_deadline_sql, open_cases_by_urgency
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    CLOSED,
    COMPLAINT,
    CONSULTATION,
    CONSULTING,
    EXTENDED,
    PROCESSING,
    RECEIVED,
    Case,
    CaseAssignment,
    CasePause,
)
from bot.models.staff import Staff
from tests import support
from tests.support import logged_in, town, town_id

TODAY = date(2026, 3, 16)


def add_case(session: Session, kind: str, status: str, due: int, **fields: object) -> Case:
    """A case of the town whose stored deadline is ``due`` days from ``TODAY``."""
    return support.add_case(
        session, town(session), kind, TODAY + timedelta(days=due), status, **fields
    )


def add_every_kind_of_case(session: Session, staff: Staff) -> list[Case]:
    """Open cases in every state, their next deadline taken from every column that can hold it,
    some overdue, some on the same day; and closed ones, one without a closing time."""
    cases = [
        add_case(session, APPLICATION, PROCESSING, 5),
        add_case(session, APPLICATION, PROCESSING, -3),
        add_case(session, APPLICATION, EXTENDED, 5),
        add_case(session, APPLICATION, RECEIVED, 12),
        # The reply period is suspended: what falls due is the applicant's correction.
        add_case(
            session,
            APPLICATION,
            AWAITING_CORRECTION,
            -20,
            correction_due_on=TODAY + timedelta(days=2),
        ),
        add_case(
            session,
            APPLICATION,
            AWAITING_CORRECTION,
            30,
            correction_due_on=TODAY - timedelta(days=1),
        ),
        # Until a complaint is accepted, the decision is what falls due.
        add_case(session, COMPLAINT, RECEIVED, 40, accept_due_on=TODAY + timedelta(days=1)),
        add_case(session, COMPLAINT, RECEIVED, 40, accept_due_on=TODAY - timedelta(days=6)),
        add_case(session, COMPLAINT, PROCESSING, 0, accept_due_on=TODAY - timedelta(days=30)),
    ]
    paused = add_case(session, APPLICATION, CONSULTING, -9)
    ended = add_case(session, APPLICATION, PROCESSING, 7)
    session.flush()
    # A running pause sets the deadline (the earliest of two); an ended one does not.
    for case, due, ended_on in (
        (paused, 9, None),
        (paused, 4, None),
        (ended, -5, TODAY - timedelta(days=8)),
    ):
        session.add(
            CasePause(
                case_id=case.id,
                kind=CONSULTATION,
                party="县档案馆",
                started_on=date(2026, 3, 2),
                due_on=TODAY + timedelta(days=due),
                ended_on=ended_on,
                staff_id=staff.id,
                created_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
    cases += [paused, ended]
    for closed_days_ago in (3, 1, None, 8):
        closed_at = None
        if closed_days_ago is not None:
            closed_at = datetime(2026, 3, 16, 3, 0, tzinfo=UTC) - timedelta(days=closed_days_ago)
        cases.append(add_case(session, APPLICATION, CLOSED, -50, closed_at=closed_at))
    session.flush()
    return cases


def reference_order(session: Session, cases: list[Case], status: str = "all") -> list[str]:
    """The inbox's order as it was computed before it moved to SQL: every open case read
    with its next deadline, overdue first and then the soonest due; then the closed ones."""
    dues = sorted(
        open_cases_by_urgency(session, town_id(session), TODAY),
        key=lambda d: (not d.overdue, d.due_on, d.case.number),
    )
    numbers = [d.case.number for d in dues]
    if status == "all":
        closed = sorted((c for c in cases if not c.is_open), key=lambda c: c.id, reverse=True)
        timed = sorted((c for c in closed if c.closed_at), key=lambda c: c.closed_at, reverse=True)
        numbers += [c.number for c in timed + [c for c in closed if c.closed_at is None]]
    return numbers


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.get_session()


@pytest.fixture
def member(session: Session) -> Staff:
    staff = Staff(username="inbox", display_name="办件员", role="handler", password_hash="x")
    session.add(staff)
    session.flush()
    return staff


def every_page(session: Session, filters: inbox.Filters, staff: Staff, size: int) -> list[str]:
    first = inbox.page(session, town_id(session), filters, staff.id, TODAY, 1, size)
    numbers = [row.case.number for row in first.rows]
    for number in range(2, first.pages + 1):
        numbers += [
            row.case.number
            for row in inbox.page(
                session, town_id(session), filters, staff.id, TODAY, number, size
            ).rows
        ]
    return numbers


def test_the_database_computes_each_cases_next_deadline_as_the_digest_does(session, member):
    cases = add_every_kind_of_case(session, member)
    in_sql = {id_: due for id_, due in session.execute(select(Case.id, next_deadline_sql()))}
    for case in cases:
        assert in_sql[case.id] == next_deadline(case)[1], case.number


def test_the_pages_follow_the_order_of_urgency_then_the_latest_closed(session, member):
    cases = add_every_kind_of_case(session, member)
    for status in ("open", "all"):
        expected = reference_order(session, cases, status)
        for size in (1, 4, 50):
            assert every_page(session, inbox.Filters(status=status), member, size) == expected


def test_the_counts_are_of_all_the_cases_the_filters_select(session, member):
    add_every_kind_of_case(session, member)
    found = inbox.page(session, town_id(session), inbox.Filters(), member.id, TODAY, 2, 4)
    late = [d for d in open_cases_by_urgency(session, town_id(session), TODAY) if d.overdue]
    assert (found.total, found.overdue, found.number, found.pages) == (11, len(late), 2, 3)
    assert len(late) == 3, "a suspended or paused period is not what falls due"
    overdue = inbox.page(
        session, town_id(session), inbox.Filters(overdue=True), member.id, TODAY, 1, 50
    )
    assert [row.case.number for row in overdue.rows] == [
        d.case.number for d in sorted(late, key=lambda d: (d.due_on, d.case.number))
    ]
    assert all(row.overdue and row.due.days_left < 0 for row in overdue.rows)
    closed = inbox.page(
        session, town_id(session), inbox.Filters(status="closed"), member.id, TODAY, 1, 50
    )
    assert (closed.total, closed.overdue) == (4, 0)
    assert all(row.due is None for row in closed.rows)


def test_a_page_past_the_last_is_the_last(session, member):
    add_every_kind_of_case(session, member)
    for asked in (4, 99, 10**12):
        assert (
            inbox.page(
                session, town_id(session), inbox.Filters(), member.id, TODAY, asked, 4
            ).number
            == 3
        )
    assert (
        inbox.page(session, town_id(session), inbox.Filters(), member.id, TODAY, -1, 4).number == 1
    )
    empty = inbox.page(
        session, town_id(session), inbox.Filters(query="没有这个词"), member.id, TODAY, 5, 4
    )
    assert (empty.rows, empty.total, empty.number, empty.pages) == ([], 0, 1, 1)


def test_mine_filters_by_the_assignment_in_the_database(session, member):
    cases = add_every_kind_of_case(session, member)
    other = Staff(username="other", display_name="别人", role="handler", password_hash="x")
    session.add(other)
    session.flush()
    for case, who in ((cases[0], member), (cases[6], member), (cases[1], other)):
        session.add(
            CaseAssignment(
                case_id=case.id, staff_id=who.id, assigned_at=datetime(2026, 3, 3, tzinfo=UTC)
            )
        )
    session.flush()
    mine = every_page(session, inbox.Filters(mine=True), member, 50)
    assert sorted(mine) == sorted([cases[0].number, cases[6].number])


def test_a_search_is_words_not_patterns(session, member):
    add_every_kind_of_case(session, member)
    percent = add_case(session, APPLICATION, PROCESSING, 3, text="要100%的数据")
    session.flush()
    for query, found in (("%", [percent.number]), ("_", []), ("100%", [percent.number])):
        assert every_page(session, inbox.Filters(query=query), member, 50) == found


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    run: list[str] = []
    engine = app.extensions["sunshine.engine"]

    def count_statement(_connection, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        run.append(statement)

    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        yield run
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)


def test_a_page_of_twenty_costs_a_few_queries_and_loads_only_that_page(app, session, member):
    def one_page() -> tuple[int, int]:
        session.expunge_all()
        town = town_id(session)
        session.expunge_all()
        with statements(app) as run:
            found = inbox.page(session, town, inbox.Filters(status="all"), member.id, TODAY, 2, 20)
            shown = [(row.case.number, row.due, row.case.assignee) for row in found.rows]
        assert len(shown) == 20
        loaded = [thing for thing in session.identity_map.values() if isinstance(thing, Case)]
        assert len(loaded) == 20, "only the page's cases are read"
        return len(run), found.total

    for _ in range(3):
        add_every_kind_of_case(session, member)
    session.commit()
    queries, total = one_page()
    # Count, page, its pauses, its assignments, the calendar's years and days.
    assert total == 45 and queries <= 6, queries
    for _ in range(10):
        add_every_kind_of_case(session, member)
    session.commit()
    assert one_page() == (queries, 195), "more cases, the same queries"


def test_the_console_shows_the_page_asked_for(app):
    with app.app_context():
        session = db.get_session()
        cases = [add_case(session, APPLICATION, PROCESSING, days) for days in range(55)]
        session.commit()
        numbers = [case.number for case in cases]
    console = logged_in(app, "wang", "clerk")

    def listed(query: str) -> list[str]:
        page = console.page(f"/admin/cases?{query}")
        assert "共 55 件" in page and "第 2 / 2 页" in page
        return list(dict.fromkeys(re.findall(r"SQ\d{8}-\d{4}", page.split("<tbody>")[1])))

    assert listed("page=2") == numbers[50:], "the soonest due first, the page asked for"
    assert listed("page=9") == numbers[50:], "past the last page: the last"
