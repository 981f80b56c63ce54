"""A case's state machine (``bot.cases.states``): every event from every state, allowed or refused.

The grids below are the expected table, written out by hand: a row per event, a
column per state; ``=`` the event leaves the state as it is, ``-`` it is refused,
otherwise the states it may lead to (``P/E``: either). The console tests walk the
same paths through the pages; here the table itself is checked, cell by cell.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot import db
from bot.cases import states
from bot.cases.states import Event, HandlingError
from bot.models.cases import APPLICATION, COMPLAINT, Case
from bot.models.staff import AuditEntry, Staff
from bot.staff import audit
from bot.staff.roles import Role

ABBREVIATIONS = {
    "R": "received",
    "P": "processing",
    "AC": "awaiting_correction",
    "E": "extended",
    "CO": "consulting",
    "AF": "awaiting_fee",
    "X": "closed",
}

APPLICATION_GRID = """
                       R      P          AC         E          CO         AF         X
assign                 P      =          =          =          =          =          -
note                   =      =          =          =          =          =          =
reply                  =      =          =          =          =          =          -
correction_request     AC     AC         -          AC         AC         AC         -
correction_received    -      =          P/E/CO/AF  =          =          =          -
extension_request      =      =          -          -          -          -          -
extension_approve      E      E          =          E          =          =          -
extension_refuse       =      =          =          =          =          =          -
consultation           CO/AF  CO/AF      -          CO/AF      CO/AF      CO/AF      -
consultation_answered  -      P/E/CO/AF  =          P/E/CO/AF  P/E/CO/AF  P/E/CO/AF  -
fee_notice             AF     AF         -          AF         AF         AF         -
fee_paid               -      P/E/CO/AF  =          P/E/CO/AF  P/E/CO/AF  P/E/CO/AF  -
accept                 -      -          -          -          -          -          -
decline                -      -          -          -          -          -          -
close                  X      X          X          X          X          X          -
transfer               X      X          X          X          X          X          -
rated                  -      -          -          -          -          -          =
callback               -      -          -          -          -          -          =
"""

COMPLAINT_GRID = """
                       R   P   E   X
assign                 =   =   =   -
note                   =   =   =   =
reply                  =   =   =   -
correction_request     -   -   -   -
correction_received    -   -   -   -
extension_request      -   =   -   -
extension_approve      E   E   E   -
extension_refuse       =   =   =   -
consultation           -   -   -   -
consultation_answered  -   -   -   -
fee_notice             -   -   -   -
fee_paid               -   -   -   -
accept                 P   -   -   -
decline                X   -   -   -
close                  X   X   X   -
transfer               -   -   -   -
rated                  -   -   -   =
callback               -   -   -   =
"""

GRIDS = {APPLICATION: APPLICATION_GRID, COMPLAINT: COMPLAINT_GRID}


def read_grid(grid: str) -> dict[tuple[str, Event], frozenset[str]]:
    """(state, event) → the states it leads to; empty where refused."""
    header, *rows = grid.strip().splitlines()
    columns = [ABBREVIATIONS[name] for name in header.split()]
    cells = {}
    for row in rows:
        event, *values = row.split()
        assert len(values) == len(columns), row
        for state, value in zip(columns, values, strict=True):
            if value == "-":
                reached = frozenset()
            elif value == "=":
                reached = frozenset({state})
            else:
                reached = frozenset(ABBREVIATIONS[name] for name in value.split("/"))
            cells[state, Event(event)] = reached
    return cells


def case_in(kind: str, state: str) -> Case:
    number = "SQ20260302-0001" if kind == APPLICATION else "TS20260302-0001"
    return Case(kind=kind, status=state, number=number)


def member(role: str) -> Staff:
    return Staff(id=7, username=role, display_name=role, role=role)


#: A head holds every permission a case's events ask for.
EVERY_PERMISSION = member("head")

CELLS = [(kind, state, event) for kind in GRIDS for state in states.STATES[kind] for event in Event]


def test_the_grids_cover_every_event_and_every_state():
    for kind, grid in GRIDS.items():
        cells = read_grid(grid)
        assert {event for _, event in cells} == set(Event)
        assert {state for state, _ in cells} == set(states.STATES[kind])


@pytest.mark.parametrize(("kind", "state", "event"), CELLS)
def test_every_event_from_every_state_is_allowed_or_refused_as_the_table_says(kind, state, event):
    expected = read_grid(GRIDS[kind])[state, event]
    assert states.targets(kind, state, event) == expected

    actor = None if event == Event.RATE else EVERY_PERMISSION
    case = case_in(kind, state)
    if state == "awaiting_correction":
        case.correction_requested_on = date(2026, 3, 2)
    refusal = states.refusal(case, event, actor)
    if expected:
        assert refusal is None
        assert states.begin(case, event, actor).source == state
    else:
        assert refusal, "a refusal says why, in a sentence staff read"
        with pytest.raises(HandlingError, match=re.escape(refusal)):
            states.begin(case, event, actor)


@pytest.mark.parametrize("kind", GRIDS)
def test_nothing_but_a_note_a_rating_or_a_call_back_is_done_to_a_closed_case(kind):
    closed = case_in(kind, "closed")
    for event in Event:
        if event in (Event.NOTE, Event.RATE, Event.CALLBACK):
            continue
        assert (
            states.refusal(closed, event, EVERY_PERMISSION)
            == f"{closed.number} 已办结，不能再办理。"
        )


def test_a_refusal_names_what_is_wrong():
    application, complaint = case_in(APPLICATION, "processing"), case_in(COMPLAINT, "received")
    refusal = states.refusal
    assert refusal(complaint, Event.REQUEST_CORRECTION, EVERY_PERMISSION) == (
        "只有政府信息公开申请可以要求补正。"
    )
    assert refusal(application, Event.ACCEPT, EVERY_PERMISSION) == (
        "只有尚未决定是否受理的投诉、举报、建议可以受理。"
    )
    assert refusal(complaint, Event.REQUEST_EXTENSION, EVERY_PERMISSION) == (
        "投诉需先决定是否受理，受理后才能延长办理期限。"
    )
    extended = case_in(APPLICATION, "extended")
    assert refusal(extended, Event.REQUEST_EXTENSION, EVERY_PERMISSION) == (
        f"{extended.number} 已经延期过一次，依法只能延期一次。"
    )


#: Who may fire each event a staff member fires, by kind of case.
PERMISSIONS = {
    **{event: "cases.handle" for event in Event if event != Event.RATE},
    Event.APPROVE_EXTENSION: {
        APPLICATION: "cases.approve_extension",
        COMPLAINT: "cases.approve_complaint_extension",
    },
    Event.REFUSE_EXTENSION: {
        APPLICATION: "cases.approve_extension",
        COMPLAINT: "cases.approve_complaint_extension",
    },
}


@pytest.mark.parametrize("role", [role.value for role in Role])
@pytest.mark.parametrize("event", [event for event in Event if event != Event.RATE])
def test_who_may_fire_each_event(role, event):
    for kind in GRIDS:
        wanted = PERMISSIONS[event]
        needed = wanted if isinstance(wanted, str) else wanted[kind]
        assert states.permission(event, kind) == needed
        allowed_in = [s for s in states.STATES[kind] if states.targets(kind, s, event)]
        for state in allowed_in:
            case = case_in(kind, state)
            refusal = states.refusal(case, event, member(role))
            if member(role).can(needed):
                assert refusal is None
            else:
                assert refusal == "您的账号没有这项操作的权限。"


def test_the_resident_fires_a_correction_and_a_rating_and_nothing_else():
    assert (
        states.refusal(case_in(APPLICATION, "awaiting_correction"), Event.RECEIVE_CORRECTION, None)
        is None
    )
    assert states.refusal(case_in(COMPLAINT, "closed"), Event.RATE, None) is None
    for event in Event:
        if event in (Event.RECEIVE_CORRECTION, Event.RATE):
            continue
        with pytest.raises(ValueError, match="fired by a staff member"):
            states.refusal(case_in(APPLICATION, "processing"), event, None)
    with pytest.raises(ValueError, match="fired by the resident"):
        states.refusal(case_in(APPLICATION, "closed"), Event.RATE, EVERY_PERMISSION)


def test_every_event_has_a_label_in_the_audit_log():
    for event in Event:
        assert event.action in audit.ACTIONS, event


def test_a_step_moves_only_along_the_table_and_writes_one_audit_entry(app):
    with app.app_context():
        session = db.get_session()
        boss = Staff(username="boss", display_name="老王", role="head", password_hash="x")
        session.add(boss)
        session.flush()
        case = case_in(COMPLAINT, "received")

        step = states.begin(case, Event.ACCEPT, boss)
        with pytest.raises(ValueError, match="does not lead from received to closed"):
            step.enter("closed")
        with pytest.raises(ValueError, match="does not lead from received to received"):
            step.record()
        step.enter("processing")
        step.record(due="2026-05-05")

        [entry] = [e for e in session.new if isinstance(e, AuditEntry)]
        assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
            "boss",
            "case.accept",
            "case",
            case.number,
        )
        assert entry.details == {"due": "2026-05-05"}
        assert case.status == "processing"
        session.rollback()
