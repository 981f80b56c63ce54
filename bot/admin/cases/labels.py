"""What the case pages call things: outcomes, approvers (kinds of case and the steps that fall due
are ``bot.cases.digest``'s: the digest command prints them too)."""

from __future__ import annotations

from bot.cases.outcomes import outcome
from bot.models.cases import APPLICATION, Case


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
