"""Console pages of the foundation: the home page, the body a member works in, and the
(read-only) audit log."""

from __future__ import annotations

from datetime import datetime

from flask import abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.admin.auth import PREVIOUS_LOGIN, login_required, permission_required
from bot.admin.console import WORKING_BODY, bp, may, staff_body, visible_navigation
from bot.annual.tables import FIGURES
from bot.cases.handling import CORRECTION_CHANNELS
from bot.db import get_session
from bot.models.staff import AuditEntry, Staff
from bot.staff import audit
from bot.staff.roles import PERMISSIONS
from bot.urls import whole_number


@bp.get("/", strict_slashes=False)
@login_required
def home() -> ResponseReturnValue:
    staff: Staff = g.staff
    previous = session.get(PREVIOUS_LOGIN)
    return render_template(
        "admin/home.html",
        pages=[entry for entry in visible_navigation(staff) if entry.endpoint != "admin.home"],
        permissions=[PERMISSIONS[name] for name in PERMISSIONS if staff.body_ids and may(name)],
        previous_login=datetime.fromisoformat(previous) if previous else None,
    )


def detail_phrases(entry: AuditEntry) -> list[str]:
    """An entry's details as the console shows them: Chinese phrases, with the words of the
    values the annual tables and case handling know (``bot.staff.audit.detail_phrases``)."""
    return audit.detail_phrases(entry, VALUE_WORDS)


#: Words for detail values that only their own module can say.
VALUE_WORDS = {
    "keys": {figure.key: f"{figure.row}·{figure.column}" for figure in FIGURES},
    "channel": CORRECTION_CHANNELS,
}


@bp.get("/audit")
@permission_required("audit.view")
def audit_log() -> ResponseReturnValue:
    db_session = get_session()
    actor = request.args.get("actor", "").strip() or None
    action = request.args.get("action", "").strip() or None
    before = request.args.get("before", type=whole_number)
    body_id = staff_body().id
    page = audit.entries(db_session, body_id=body_id, actor=actor, action=action, before=before)
    members = list(db_session.scalars(select(Staff).order_by(Staff.username)))
    named = {member.username: f"{member.display_name}（{member.username}）" for member in members}
    ours = [member for member in members if member.role_in(body_id) is not None]
    actors = [
        *((member.username, named[member.username]) for member in ours),
        *audit.NON_STAFF_ACTORS.items(),
    ]
    targets = {("staff", str(member.id)): named[member.username] for member in members}
    return render_template(
        "admin/audit.html",
        page=page,
        actor=actor,
        action=action,
        actors=actors,
        actor_names=dict(actors),
        actions=audit.ACTIONS,
        action_label=audit.action_label,
        target_label=lambda entry: audit.target_label(entry, targets),
        detail_phrases=detail_phrases,
        older_url=url_for("admin.audit_log", actor=actor, action=action, before=page.older)
        if page.older
        else None,
        newest_url=url_for("admin.audit_log", actor=actor, action=action) if before else None,
    )


@bp.post("/body")
@login_required
def choose_body() -> ResponseReturnValue:
    """Work in another of the member's bodies (the header's 切换); one not theirs: 404."""
    chosen = request.form.get("body", type=int)
    if chosen is None or chosen not in g.staff.body_ids:
        abort(404)
    session[WORKING_BODY] = chosen
    return redirect(url_for("admin.home"))
