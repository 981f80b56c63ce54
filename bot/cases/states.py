"""A case's life as a state machine: named states, the events that move it, who may fire each.

An application (依申请公开)::

    received ──assign──▶ processing ──approve extension──▶ extended
    received, processing, extended, a pause ──correction notice──▶ awaiting_correction
    received, processing, extended, a pause ──consultation, fee notice──▶ consulting, awaiting_fee
    a stop of the clock ends (correction received, answer, payment) ──▶ the stop still running,
        else processing, or extended once an extension is approved
    any open state ──close, transfer──▶ closed

A complaint, report or suggestion (投诉/举报/建议)::

    received ─accept─▶ processing ─approve extension─▶ extended ─close─▶ closed
        └──decline, close──▶ closed

The states are the case's ``status`` (``bot.models.cases``; a complaint's
``received`` is "waiting for the decision to accept"). ``TRANSITIONS`` says, for
each event, who may fire it (a permission, or the resident in the chat), from
which states of which kind of case, and to which states it may lead; notes,
replies, ratings and call-backs are events that leave the state as it is. A
refusal carries the sentence staff read (``HandlingError``).

``bot.cases.handling`` fires every event through here: ``begin`` checks that the
event may be fired now, ``Step.enter`` moves the case, and ``Step.record`` writes
the audit entry (``case.<event>``). One convention: the domain writes the entry,
the console never does, and a move the table does not have is a bug (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.cases.texts import day_text
from bot.models.cases import (
    APPLICATION,
    AWAITING_CORRECTION,
    AWAITING_FEE,
    CLOSED,
    COMPLAINT,
    CONSULTING,
    EXTENDED,
    PROCESSING,
    RECEIVED,
    Case,
)
from bot.models.staff import Staff
from bot.staff import audit


class HandlingError(ValueError):
    """An action that does not fit the case; the message (Chinese) says why."""


class Event(StrEnum):
    """What happens to a case; the value names its audit entry (``case.<value>``)."""

    ASSIGN = "assign"
    NOTE = "note"
    REPLY = "reply"
    REQUEST_CORRECTION = "correction_request"
    RECEIVE_CORRECTION = "correction_received"
    REQUEST_EXTENSION = "extension_request"
    APPROVE_EXTENSION = "extension_approve"
    REFUSE_EXTENSION = "extension_refuse"
    START_CONSULTATION = "consultation"
    END_CONSULTATION = "consultation_answered"
    SEND_FEE_NOTICE = "fee_notice"
    RECORD_PAYMENT = "fee_paid"
    ACCEPT = "accept"
    DECLINE = "decline"
    CLOSE = "close"
    TRANSFER = "transfer"
    RATE = "rated"
    CALLBACK = "callback"

    @property
    def action(self) -> str:
        """The audit log's action for this event."""
        return f"case.{self.value}"


APPLICATION_OPEN = (RECEIVED, PROCESSING, AWAITING_CORRECTION, EXTENDED, CONSULTING, AWAITING_FEE)
COMPLAINT_OPEN = (RECEIVED, PROCESSING, EXTENDED)
#: The states each kind of case can be in.
STATES: Mapping[str, tuple[str, ...]] = {
    APPLICATION: (*APPLICATION_OPEN, CLOSED),
    COMPLAINT: (*COMPLAINT_OPEN, CLOSED),
}
#: Where an application rests once a pause or a correction ends: still paused by another,
#: or handled again (extended once an extension is approved).
AFTER_PAUSE = frozenset({PROCESSING, EXTENDED, CONSULTING, AWAITING_FEE})

NO_PERMISSION = "您的账号没有这项操作的权限。"
CLOSED_REFUSAL = "{number} 已办结，不能再办理。"

Moves = Mapping[str, frozenset[str]]
#: A refusal: a sentence (``{number}`` is the case's), or one made from the case.
Refusal = str | Callable[[Case], str]


def stay(*states: str) -> Moves:
    """The event leaves each of ``states`` as it is."""
    return {state: frozenset({state}) for state in states}


def to(targets: str | frozenset[str], *states: str) -> Moves:
    """From each of ``states`` the event leads to ``targets``."""
    reached = frozenset({targets}) if isinstance(targets, str) else targets
    return {state: reached for state in states}


def correction_already_requested(case: Case) -> str:
    """Art. 30: all that is missing is asked for once."""
    if case.correction_requested_on is None:
        raise ValueError(f"{case.number}: no correction was requested")
    return (
        f"{case.number} 已于{day_text(case.correction_requested_on)}通知过补正："
        "补正应一次性告知，不能再次要求。"
    )


@dataclass(frozen=True)
class Transition:
    """An event's row: for each kind of case it applies to, the states it may be fired
    from and those it may lead to; who may fire it; why it is refused elsewhere."""

    event: Event
    moves: Mapping[str, Moves]
    #: The staff member's permission; None: only the resident fires it (in the chat).
    permission: str | None = "cases.handle"
    #: A kind's own permission where it differs (who approves an extension).
    permissions: Mapping[str, str] = field(default_factory=dict)
    #: Whether the resident may fire it too (a correction sent in the chat).
    by_resident: bool = False
    #: Why it is refused in a state it is not fired from (open states; closed: ``CLOSED_REFUSAL``).
    refusals: Mapping[str, Refusal] = field(default_factory=dict)
    #: Why it is refused for the kind of case it does not apply to.
    wrong_kind: Refusal = ""
    #: Why it is refused in an open state without a refusal of its own.
    refused: Refusal = ""

    def permission_for(self, kind: str) -> str | None:
        return self.permissions.get(kind, self.permission)


def _row(event: Event, moves: Mapping[str, Moves], **rules: Any) -> tuple[Event, Transition]:
    return event, Transition(event, moves, **rules)


A, C = APPLICATION, COMPLAINT
PAUSED = (CONSULTING, AWAITING_FEE)
#: An application's clock is stopped: by a correction notice, a consultation or a fee notice.
STOPPED = (AWAITING_CORRECTION, *PAUSED)
#: Where a consultation is answered or a fee paid. Processing and extended too: earlier releases
#: left a case there when its correction arrived while a pause still ran.
ANSWERABLE = (PROCESSING, EXTENDED, *PAUSED)
NOT_ACCEPTED = "只有尚未决定是否受理的投诉、举报、建议可以{}。"
APPLICATIONS_ONLY_PAUSE = "只有政府信息公开申请的答复期限可以因征求意见或收费暂停计算。"
ALREADY_ANSWERED = "这项征求意见已经登记过结果。"
ALREADY_PAID = "这份收费通知已经登记过缴费。"
EXTENSION_APPROVERS = {
    A: "cases.approve_extension",  # the disclosure office's head (Art. 33)
    C: "cases.approve_complaint_extension",  # the body's head (《信访工作条例》)
}

TRANSITIONS: Mapping[Event, Transition] = dict(
    [
        _row(
            Event.ASSIGN,
            {
                A: {**to(PROCESSING, RECEIVED), **stay(*APPLICATION_OPEN[1:])},
                C: stay(*COMPLAINT_OPEN),
            },
        ),
        _row(Event.NOTE, {kind: stay(*states) for kind, states in STATES.items()}),
        _row(Event.REPLY, {A: stay(*APPLICATION_OPEN), C: stay(*COMPLAINT_OPEN)}),
        _row(
            Event.REQUEST_CORRECTION,
            {A: to(AWAITING_CORRECTION, RECEIVED, PROCESSING, EXTENDED, *PAUSED)},
            refusals={AWAITING_CORRECTION: correction_already_requested},
            wrong_kind="只有政府信息公开申请可以要求补正。",
        ),
        _row(
            Event.RECEIVE_CORRECTION,
            # Another correction on the day the first arrived is added to it (the day is checked
            # by ``handling.record_correction``).
            {A: {**to(AFTER_PAUSE, AWAITING_CORRECTION), **stay(PROCESSING, EXTENDED, *PAUSED)}},
            by_resident=True,
            refusals={RECEIVED: "{number} 目前不需要补正。"},
            wrong_kind="{number} 目前不需要补正。",
        ),
        _row(
            Event.REQUEST_EXTENSION,
            {A: stay(RECEIVED, PROCESSING), C: stay(PROCESSING)},
            refusals={
                AWAITING_CORRECTION: "等待补正期间答复期限已中止，不需要延期。",
                CONSULTING: "征求意见或等待缴费期间答复期限暂停计算，不需要延期。",
                AWAITING_FEE: "征求意见或等待缴费期间答复期限暂停计算，不需要延期。",
                RECEIVED: "投诉需先决定是否受理，受理后才能延长办理期限。",
                EXTENDED: "{number} 已经延期过一次，依法只能延期一次。",
            },
        ),
        _row(
            Event.APPROVE_EXTENSION,
            # Approved while the clock is stopped, the period is longer once it runs again.
            {
                A: {**to(EXTENDED, RECEIVED, PROCESSING, EXTENDED), **stay(*STOPPED)},
                C: to(EXTENDED, *COMPLAINT_OPEN),
            },
            permissions=EXTENSION_APPROVERS,
        ),
        _row(
            Event.REFUSE_EXTENSION,
            {A: stay(*APPLICATION_OPEN), C: stay(*COMPLAINT_OPEN)},
            permissions=EXTENSION_APPROVERS,
        ),
        _row(
            Event.START_CONSULTATION,
            {A: to(frozenset(PAUSED), RECEIVED, PROCESSING, EXTENDED, *PAUSED)},
            refusals={AWAITING_CORRECTION: "等待补正期间答复期限已中止，请收到补正后再办理。"},
            wrong_kind=APPLICATIONS_ONLY_PAUSE,
        ),
        _row(
            Event.SEND_FEE_NOTICE,
            {A: to(AWAITING_FEE, RECEIVED, PROCESSING, EXTENDED, *PAUSED)},
            refusals={AWAITING_CORRECTION: "等待补正期间答复期限已中止，请收到补正后再办理。"},
            wrong_kind=APPLICATIONS_ONLY_PAUSE,
        ),
        _row(
            Event.END_CONSULTATION,
            {A: {**to(AFTER_PAUSE, *ANSWERABLE), **stay(AWAITING_CORRECTION)}},
            refused=ALREADY_ANSWERED,
            wrong_kind=ALREADY_ANSWERED,
        ),
        _row(
            Event.RECORD_PAYMENT,
            {A: {**to(AFTER_PAUSE, *ANSWERABLE), **stay(AWAITING_CORRECTION)}},
            refused=ALREADY_PAID,
            wrong_kind=ALREADY_PAID,
        ),
        _row(
            Event.ACCEPT,
            {C: to(PROCESSING, RECEIVED)},
            refused=NOT_ACCEPTED.format("受理"),
            wrong_kind=NOT_ACCEPTED.format("受理"),
        ),
        _row(
            Event.DECLINE,
            {C: to(CLOSED, RECEIVED)},
            refused=NOT_ACCEPTED.format("不予受理"),
            wrong_kind=NOT_ACCEPTED.format("不予受理"),
        ),
        _row(Event.CLOSE, {A: to(CLOSED, *APPLICATION_OPEN), C: to(CLOSED, *COMPLAINT_OPEN)}),
        _row(
            Event.TRANSFER,
            {A: to(CLOSED, *APPLICATION_OPEN)},
            wrong_kind="只有政府信息公开申请可以转为投诉办理。",
        ),
        _row(
            Event.RATE,
            {A: stay(CLOSED), C: stay(CLOSED)},
            permission=None,
            by_resident=True,
            refused="{number} 还没有办结，不能评价。",
        ),
        _row(Event.CALLBACK, {A: stay(CLOSED), C: stay(CLOSED)}, refused="这件事还没有评价。"),
    ]
)


def state_of(case: Case) -> str:
    """The case's state: its status (every closed status is ``closed``)."""
    return case.status if case.is_open else CLOSED


def permission(event: Event, kind: str) -> str | None:
    """The permission a staff member needs to fire ``event`` on a case of ``kind``."""
    return TRANSITIONS[event].permission_for(kind)


def targets(kind: str, state: str, event: Event) -> frozenset[str]:
    """The states ``event`` may lead to from ``state``; empty where it is refused."""
    return TRANSITIONS[event].moves.get(kind, {}).get(state, frozenset())


def refusal(case: Case, event: Event, actor: Staff | None) -> str | None:
    """Why ``actor`` (None: the resident) may not fire ``event`` on ``case`` now, or None.

    Asked in this order: the permission, a closed case, the kind of case, the state.
    """
    transition = TRANSITIONS[event]
    if actor is None and not transition.by_resident:
        raise ValueError(f"{event} is fired by a staff member")
    if actor is not None:
        needed = transition.permission_for(case.kind)
        if needed is None:
            raise ValueError(f"{event} is fired by the resident")
        if not actor.can(needed, case.body_id):
            return NO_PERMISSION
    state = state_of(case)
    moves = transition.moves.get(case.kind)
    if moves is not None and state in moves:
        return None
    if state == CLOSED:
        return _text(CLOSED_REFUSAL, case)
    if moves is None:
        return _text(transition.wrong_kind, case)
    return _text(transition.refusals.get(state, transition.refused), case)


def refusal_in(state: str, event: Event, case: Case) -> str:
    """The sentence ``event`` is refused with in ``state``: also when a fact that state stands
    for outlives it (a pause still running after a correction arrived)."""
    transition = TRANSITIONS[event]
    return _text(transition.refusals.get(state, transition.refused), case)


def _text(refused: Refusal, case: Case) -> str:
    return refused(case) if callable(refused) else refused.format(number=case.number)


@dataclass
class Step:
    """An event being fired on a case: move it (``enter``), then ``record`` the entry."""

    case: Case
    event: Event
    actor: Staff | None
    source: str

    def enter(self, state: str) -> None:
        if state not in targets(self.case.kind, self.source, self.event):
            raise ValueError(f"{self.event} does not lead from {self.source} to {state}")
        self.case.status = state

    def record(self, **details: Any) -> None:
        """The audit entry (who, what, why; the log adds when), in the caller's transaction."""
        state = state_of(self.case)
        if state not in targets(self.case.kind, self.source, self.event):
            raise ValueError(f"{self.event} does not lead from {self.source} to {state}")
        actor = self.actor if self.actor is not None else audit.SYSTEM
        case = self.case
        audit.record(actor, self.event.action, "case", case.number, body_id=case.body_id, **details)


def begin(case: Case, event: Event, actor: Staff | None) -> Step:
    """Fire ``event`` on ``case``: refused (``HandlingError``) unless ``actor`` may, now."""
    refused = refusal(case, event, actor)
    if refused is not None:
        raise HandlingError(refused)
    return Step(case, event, actor, state_of(case))
