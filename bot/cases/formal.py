"""The formal reply (政府信息公开申请答复书): the written decision every closed application gets.

It is generated from what was recorded when the application was closed: the
outcome with its legal basis (``Outcome.basis``), the reasons, the staff's answer,
and the reconsideration body the remedies named (``outcomes.remedy_notice``, the
same words the resident received in the chat). Staff preview it from the closing
form before they close, and print it; the resident opens it from ``进度``
(``bot.public.case_pages``); both read the same ``FormalReply``, as a page or a PDF set in
the embedded font. Plain data and functions, no Flask.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from fpdf.enums import Align, XPos, YPos
from sqlalchemy.orm import Session

from bot.cases.outcomes import Outcome, UnknownOutcome, outcome, remedy_notice
from bot.cases.texts import day_text
from bot.models import Body
from bot.models.cases import APPLICATION, ORGANISATION, Case
from bot.pdf import cjk_document, write_lines

TITLE = "政府信息公开申请答复书"
#: Outcomes that provide information, and so say in what form.
PROVIDING = frozenset({"1", "2"})


@dataclass(frozen=True)
class Decision:
    """How an application ends: recorded at closing, or typed into the closing form (preview)."""

    outcome: Outcome
    answer: str
    reason: str | None
    reconsideration_body: str | None
    issued_on: date


def recorded_decision(case: Case, chosen: Outcome) -> Decision:
    """The decision a closed application recorded (``chosen`` is its outcome)."""
    if case.closed_on is None:
        raise ValueError(f"{case.number} is not closed")
    return Decision(
        chosen,
        case.final_answer or "",
        case.outcome_reason,
        case.reconsideration_body,
        case.closed_on,
    )


@dataclass(frozen=True)
class FormalReply:
    authority: str
    number: str
    addressee: str
    paragraphs: tuple[str, ...]
    issued_on: date
    title: str = TITLE

    @property
    def date_text(self) -> str:
        return day_text(self.issued_on)

    def text(self) -> str:
        """The whole document as plain text, in reading order."""
        return "\n".join(
            [
                self.authority,
                self.title,
                f"编号：{self.number}",
                f"{self.addressee}：",
                *self.paragraphs,
                self.authority,
                self.date_text,
            ]
        )

    @property
    def filename(self) -> str:
        return f"答复书{self.number}.pdf"


def formal_reply(case: Case, decision: Decision, authority: str) -> FormalReply:
    """The 答复书 of ``case`` ending as ``decision`` says, issued by ``authority``."""
    you = "贵单位" if case.applicant_kind == ORGANISATION else "您"
    request = (
        f"本机关于{day_text(case.received_on)}收到{you}通过微信公众号提交的政府信息公开申请"
        f"（编号：{case.number}），申请获取的信息为：“{case.text.strip()}”。"
    )
    paragraphs = [request]
    if case.supplements:
        first = case.supplements[0]
        added = "；".join(s.text.strip() for s in case.supplements)
        paragraphs.append(f"{you}于{day_text(first.received_on)}补正了申请内容：“{added}”。")
    paragraphs.append("现答复如下：")
    paragraphs += [line.strip() for line in decision.answer.splitlines() if line.strip()]
    chosen = decision.outcome
    paragraphs.append(f"办理结果：{chosen.label}。")
    if chosen.basis:
        paragraphs.append(f"依据：{chosen.basis}。")
    if decision.reason and decision.reason.strip():
        paragraphs.append(f"理由：{decision.reason.strip()}")
    if chosen.code in PROVIDING and case.form_wanted:
        paragraphs.append(f"提供方式：按{you}申请的形式（{case.form_wanted}）提供。")
    remedies = remedy_notice(chosen, decision.reconsideration_body)
    if remedies:
        paragraphs.append(remedies)
    paragraphs.append("特此答复。")
    return FormalReply(
        authority=authority,
        number=case.number,
        addressee=case.name or "申请人",
        paragraphs=tuple(paragraphs),
        issued_on=decision.issued_on,
    )


# ---- the PDF ----

BODY_SIZE = 12
LINE_HEIGHT = 8.5


def render_pdf(reply: FormalReply) -> bytes:
    """The reply on A4 in the embedded font, as an office prints it for sealing."""
    pdf = cjk_document(f"{reply.title}（{reply.number}）", reply.authority, fallback=True)
    pdf.add_page()
    pdf.set_font_size(18)
    write_lines(pdf, reply.authority, 10, align=Align.C)
    pdf.set_font_size(20)
    write_lines(pdf, reply.title, 12, align=Align.C)
    pdf.set_font_size(11)
    pdf.cell(0, 8, f"编号：{reply.number}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font_size(BODY_SIZE)
    write_lines(pdf, f"{reply.addressee}：", LINE_HEIGHT)
    for paragraph in reply.paragraphs:
        write_lines(pdf, paragraph, LINE_HEIGHT, indent=2)
    pdf.ln(12)
    for line in (reply.authority, reply.date_text):
        pdf.cell(0, LINE_HEIGHT, line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    buffer = io.BytesIO()
    pdf.output(buffer)
    return buffer.getvalue()


def has_formal_reply(case: Case) -> bool:
    """Whether ``case`` is an application closed with a statutory outcome."""
    return case.kind == APPLICATION and case.closed_on is not None and case.outcome is not None


def authority(session: Session, case: Case) -> str:
    """Who signs the case's reply: its body's authority (行政机关), else the office's name."""
    office = session.get(Body, case.body_id)
    if office is None:
        return "本机关"
    return office.authority or office.name


def recorded_reply(session: Session, case: Case) -> FormalReply | None:
    """The 答复书 of a closed application, as its recorded outcome gives it."""
    if not has_formal_reply(case):
        return None
    try:
        chosen = outcome(case.outcome or "")
    except UnknownOutcome:
        return None
    return formal_reply(case, recorded_decision(case, chosen), authority(session, case))
