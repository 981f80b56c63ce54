"""The formal reply (答复书) in the console: preview it before closing, print it after.

- ``POST /admin/cases/<number>/formal/preview``: the 答复书 the closing form's
  outcome, answer and reasons would give, marked 预览; nothing is saved.
- ``/admin/cases/<number>/formal`` and ``.pdf``: a closed application's 答复书, as
  its recorded outcome gives it, to print and seal.

Both come from ``bot.cases.formal`` (the resident's link in ``进度`` shows the same).
"""

from __future__ import annotations

from io import BytesIO

from flask import abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from bot import clock
from bot.admin.auth import permission_required
from bot.admin.cases.page import find_case, render_case
from bot.admin.console import bp
from bot.cases import handling
from bot.cases.formal import (
    Decision,
    FormalReply,
    authority,
    formal_reply,
    recorded_reply,
    render_pdf,
)
from bot.cases.handling import HandlingError
from bot.db import get_session
from bot.models.cases import APPLICATION


def _page(reply: FormalReply, number: str, *, draft: bool) -> ResponseReturnValue:
    return render_template(
        "cases/formal_reply.html",
        reply=reply,
        pdf_url=None if draft else url_for("admin.case_formal_pdf", number=number),
        draft=draft,
        back_url=url_for("admin.case_page", number=number),
    )


def _recorded(number: str) -> FormalReply:
    reply = recorded_reply(get_session(), find_case(number))
    if reply is None:
        abort(404)
    return reply


@bp.get("/cases/<number>/formal")
@permission_required("cases.view")
def case_formal(number: str) -> ResponseReturnValue:
    reply = _recorded(number)
    return _page(reply, reply.number, draft=False)


@bp.get("/cases/<number>/formal.pdf")
@permission_required("cases.view")
def case_formal_pdf(number: str) -> ResponseReturnValue:
    reply = _recorded(number)
    return send_file(
        BytesIO(render_pdf(reply)),
        mimetype="application/pdf",
        download_name=reply.filename,
    )


@bp.post("/cases/<number>/formal/preview")
@permission_required("cases.handle")
def case_formal_preview(number: str) -> ResponseReturnValue:
    """The closing form's outcome, answer and reasons as the 答复书 they would give."""
    session = get_session()
    case = find_case(number)
    form = request.form
    chosen = next(
        (o for o in handling.closing_choices(case) if o.code == form.get("outcome")), None
    )
    try:
        if case.kind != APPLICATION or not case.is_open:
            raise HandlingError("只有尚未办结的政府信息公开申请可以预览答复书。")
        if chosen is None:
            raise HandlingError("请先选择办理结果，再预览答复书。")
        decision = Decision(
            chosen,
            form.get("body", ""),
            form.get("reason") or None,
            handling.reconsideration_body(session, case),
            clock.today(),
        )
    except HandlingError as error:
        return render_case(case, status=422, errors={"close": str(error)})
    return _page(formal_reply(case, decision, authority(session, case)), case.number, draft=True)
