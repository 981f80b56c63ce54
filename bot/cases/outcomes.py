"""How a case ends: the statutory outcomes, their rows in the annual report, the final reply's text.

An application's outcome is one of the results of the Regulation as the 2021
annual report format (国办公开办函〔2021〕30号) lists them; each maps to exactly
one row of table 三 (``TABLE_THREE_RESULT_ROWS``) and names the articles it rests
on (``Outcome.basis``). A complaint, report or suggestion (信访) ends with one of
the handling opinions of 《信访工作条例》 Art. 32, or is not accepted, or is
referred to the competent body.

Every final reply to an application ends with the remedies, and
``remedy_notice`` is the one place that words them: administrative
reconsideration within 60 days before the office's reconsideration body (a
per-office setting), and a lawsuit within 6 months only where the law leaves it
open. Since the 2023 《行政复议法》 (Art. 23(1)(四)), a refusal to disclose goes to
reconsideration first; which outcomes count as one is decided row by row in
``APPLICATION_OUTCOMES`` (reasons: ``docs/law.md``). A refusal states its reasons.
Plain data and functions: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Art. 20 of the 2023 《行政复议法》; Art. 46 and 45 of the 《行政诉讼法》.
RECONSIDERATION_DAYS = 60
LAWSUIT_MONTHS = 6
LAWSUIT_AFTER_RECONSIDERATION_DAYS = 15
REGULATION = "《中华人民共和国政府信息公开条例》"
#: 《信访工作条例》 Art. 35: a review (复查) by the next higher body within 30 days.
COMPLAINT_REMEDY = "如对处理意见不服，可以自收到本答复之日起30日内请求原办理机关的上一级机关复查。"

#: A UTF-8 text message WeChat shows whole (passive replies are cut beyond this).
MESSAGE_BYTES = 2047


class Remedy(StrEnum):
    """Which remedies a final reply offers."""

    #: Reconsideration, or a lawsuit directly: the applicant chooses.
    EITHER = "either"
    #: Reconsideration first (2023 《行政复议法》 Art. 23(1)(四)); a lawsuit only after it.
    RECONSIDERATION_FIRST = "reconsideration_first"
    #: 部分公开: reconsideration first for the part withheld, either for the rest.
    SPLIT = "split"
    #: A complaint's handling opinion: a review by the next higher body (《信访工作条例》).
    PETITION_REVIEW = "petition_review"


@dataclass(frozen=True)
class Outcome:
    """One way a case can end."""

    code: str
    #: The group as the report prints it, e.g. ``（三）不予公开``.
    group: str
    #: The numbered item within the group (``4.保护第三方合法权益``), or None for a group alone.
    item: str | None
    #: Whether the reply must state reasons (every refusal does).
    needs_reason: bool
    #: The remedies the final reply offers (None: none applies).
    remedy: Remedy | None
    #: The articles the decision rests on, as the formal reply cites them (None: in the reasons).
    basis: str | None = None

    @property
    def label(self) -> str:
        """What staff and residents read: ``不予公开：保护第三方合法权益``."""
        group = self.group.split("）", 1)[-1].split("（", 1)[0]
        if self.item is None:
            return group
        item = self.item.split(".", 1)[-1]
        return item if self.group == _COMPLAINT_GROUP else f"{group}：{item}"

    @property
    def row(self) -> str:
        """The row of table 三 that counts it."""
        return self.item or self.group


_COMPLAINT_GROUP = "信访事项"


def _application(
    code: str, group: str, item: str | None, remedy: Remedy, basis: str | None
) -> Outcome:
    return Outcome(code, group, item, needs_reason=code != "1", remedy=remedy, basis=basis)


def _articles(articles: str) -> str:
    return f"{REGULATION}{articles}"


_EITHER, _FIRST = Remedy.EITHER, Remedy.RECONSIDERATION_FIRST


GRANTED = "（一）予以公开"
PARTLY = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
WITHHELD = "（三）不予公开"
UNAVAILABLE = "（四）无法提供"
NOT_PROCESSED = "（五）不予处理"
OTHER = "（六）其他处理"

#: Every row of table 三, part 三, with its remedies and legal basis. Only 予以公开 leaves a
#: direct lawsuit open without doubt; the other rows are, or may be read as, a refusal to
#: disclose, and the reading that cannot cost the applicant a remedy is reconsideration first
#: (docs/law.md, "Remedies").
APPLICATION_OUTCOMES: tuple[Outcome, ...] = (
    _application("1", GRANTED, None, _EITHER, _articles("第三十六条第（一）项、第（二）项")),
    _application("2", PARTLY, None, Remedy.SPLIT, _articles("第三十七条")),
    _application("3.1", WITHHELD, "1.属于国家秘密", _FIRST, _articles("第十四条")),
    _application("3.2", WITHHELD, "2.其他法律行政法规禁止公开", _FIRST, _articles("第十四条")),
    _application("3.3", WITHHELD, "3.危及“三安全一稳定”", _FIRST, _articles("第十四条")),
    _application(
        "3.4", WITHHELD, "4.保护第三方合法权益", _FIRST, _articles("第十五条、第三十二条")
    ),
    _application("3.5", WITHHELD, "5.属于三类内部事务信息", _FIRST, _articles("第十六条第一款")),
    _application("3.6", WITHHELD, "6.属于四类过程性信息", _FIRST, _articles("第十六条第二款")),
    _application("3.7", WITHHELD, "7.属于行政执法案卷", _FIRST, _articles("第十六条第二款")),
    _application("3.8", WITHHELD, "8.属于行政查询事项", _FIRST, _articles("第三十六条第（七）项")),
    _application(
        "4.1",
        UNAVAILABLE,
        "1.本机关不掌握相关政府信息",
        _FIRST,
        _articles("第三十六条第（四）项、第（五）项"),
    ),
    _application("4.2", UNAVAILABLE, "2.没有现成信息需要另行制作", _FIRST, _articles("第三十八条")),
    _application(
        "4.3",
        UNAVAILABLE,
        "3.补正后申请内容仍不明确",
        _FIRST,
        _articles("第二十九条第二款第（二）项、第三十条"),
    ),
    _application(
        "5.1", NOT_PROCESSED, "1.信访举报投诉类申请", _FIRST, _articles("第三十九条第一款")
    ),
    _application("5.2", NOT_PROCESSED, "2.重复申请", _FIRST, _articles("第三十六条第（六）项")),
    _application(
        "5.3", NOT_PROCESSED, "3.要求提供公开出版物", _FIRST, _articles("第三十九条第二款")
    ),
    _application("5.4", NOT_PROCESSED, "4.无正当理由大量反复申请", _FIRST, _articles("第三十五条")),
    _application(
        "5.5",
        NOT_PROCESSED,
        "5.要求行政机关确认或重新出具已获取信息",
        _FIRST,
        _articles("第三十六条第（六）项、第三十八条"),
    ),
    _application(
        "6.1",
        OTHER,
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        _FIRST,
        _articles("第三十条"),
    ),
    _application(
        "6.2",
        OTHER,
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        _FIRST,
        _articles("第四十二条，《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"),
    ),
    _application("6.3", OTHER, "3.其他", _FIRST, None),
)
#: An application that is really a complaint: moved to the complaint track, counted here.
TRANSFERRED_TO_COMPLAINT = "5.1"
#: An applicant who did not pay within 20 working days of the fee notice.
FEE_UNPAID = "6.2"

COMPLAINT_OUTCOMES: tuple[Outcome, ...] = (
    Outcome("C.support", _COMPLAINT_GROUP, "予以支持", False, Remedy.PETITION_REVIEW),
    Outcome("C.explain", _COMPLAINT_GROUP, "解释说明", True, Remedy.PETITION_REVIEW),
    Outcome("C.reject", _COMPLAINT_GROUP, "不予支持", True, Remedy.PETITION_REVIEW),
    Outcome("C.answer", _COMPLAINT_GROUP, "已答复（意见建议）", False, None),
    Outcome("C.refer", _COMPLAINT_GROUP, "转送有权处理的机关", True, None),
)
#: Told within 15 days that a complaint is not accepted (its own action, not a closing choice).
COMPLAINT_DECLINED = Outcome("C.decline", _COMPLAINT_GROUP, "不予受理", True, None)

_ALL = {o.code: o for o in (*APPLICATION_OUTCOMES, *COMPLAINT_OUTCOMES, COMPLAINT_DECLINED)}

#: Table 三, part 三 (本年度办理结果) in the report's order: group headings (no figures of
#: their own) and the rows that count outcomes, ending with the total.
TABLE_THREE_GROUPS: tuple[tuple[str, tuple[Outcome, ...]], ...] = tuple(
    (group, tuple(o for o in APPLICATION_OUTCOMES if o.group == group))
    for group in (GRANTED, PARTLY, WITHHELD, UNAVAILABLE, NOT_PROCESSED, OTHER)
)
TABLE_THREE_TOTAL = "（七）总计"
TABLE_THREE_RESULT_ROWS: tuple[str, ...] = tuple(o.row for o in APPLICATION_OUTCOMES)


class UnknownOutcome(KeyError):
    pass


def outcome(code: str) -> Outcome:
    try:
        return _ALL[code]
    except KeyError:
        raise UnknownOutcome(f"unknown outcome {code!r}") from None


def choices_for(kind: str) -> tuple[Outcome, ...]:
    """The outcomes staff choose from when closing a case of ``kind``."""
    return APPLICATION_OUTCOMES if kind == "application" else COMPLAINT_OUTCOMES


def remedy_notice(chosen: Outcome, reconsideration_body: str | None) -> str | None:
    """The remedies a final reply ends with: the one place that words them.

    ``reconsideration_body`` is the office's setting (for a town, the county-level
    people's government); None only for cases closed before it existed.
    """
    if chosen.remedy is None:
        return None
    if chosen.remedy is Remedy.PETITION_REVIEW:
        return COMPLAINT_REMEDY
    to = f"向{reconsideration_body}" if reconsideration_body else "向有管辖权的行政复议机关"
    reconsider = f"自收到本答复之日起{RECONSIDERATION_DAYS}日内{to}申请行政复议"
    sue = f"自收到本答复之日起{LAWSUIT_MONTHS}个月内依法向人民法院提起行政诉讼"
    first = (
        "依照《中华人民共和国行政复议法》第二十三条第一款第（四）项，应当先申请行政复议，"
        "不能直接提起行政诉讼；对行政复议决定不服的，可以自收到行政复议决定书之日起"
        f"{LAWSUIT_AFTER_RECONSIDERATION_DAYS}日内依法向人民法院提起行政诉讼。"
    )
    if chosen.remedy is Remedy.EITHER:
        return f"如对本答复不服，可以{reconsider}，也可以{sue}。"
    if chosen.remedy is Remedy.RECONSIDERATION_FIRST:
        return f"如对本答复不服，可以{reconsider}。{first}"
    return (
        f"对本答复中不予公开的部分不服的，可以{reconsider}。{first}"
        f"对本答复的其他内容不服的，可以{reconsider}，也可以{sue}。"
    )


def final_reply(
    body: str, chosen: Outcome, reason: str | None, reconsideration_body: str | None
) -> str:
    """The final reply as stored and sent: the answer, the outcome, its basis and reasons,
    the remedies."""
    lines = [body.strip(), f"办理结果：{chosen.label}"]
    if chosen.basis:
        lines.append(f"依据：{chosen.basis}")
    if reason and reason.strip():
        lines.append(f"理由：{reason.strip()}")
    lines.append(remedy_notice(chosen, reconsideration_body) or "")
    return "\n".join(line for line in lines if line)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))
