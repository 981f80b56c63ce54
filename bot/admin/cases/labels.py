"""What the case pages call things: kinds of case, the step that falls due, outcomes, approvers."""

from __future__ import annotations

from bot.cases.outcomes import outcome
from bot.models.cases import APPLICATION, COMPLAINT, Case

KIND_LABELS = {APPLICATION: "依申请公开", COMPLAINT: "投诉举报"}
#: What falls due next (``bot.cases.digest.next_deadline``).
STEP_LABELS = {
    "accept": "决定是否受理",
    "conclude": "办结",
    "correction": "申请人补正",
    "consultation": "收回征求的意见",
    "fee": "申请人缴费",
}


def outcome_label(code: str | None) -> str:
    """An outcome's label; a code no longer known is shown as it is."""
    if not code:
        return ""
    try:
        return outcome(code).label
    except KeyError:
        return code


def approver_title(case: Case) -> str:
    """Who agrees to an extension (Art. 33; 《信访工作条例》)."""
    return "政府信息公开工作机构负责人" if case.kind == APPLICATION else "机关负责人（审核人）"
