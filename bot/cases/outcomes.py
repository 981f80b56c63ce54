"""How a case ends: the statutory outcomes, their rows in the annual report, the final reply's text.

An application's outcome is one of the results of the Regulation as the 2021
annual report format (国办公开办函〔2021〕30号) lists them; each maps to exactly
one row of table 三 (``TABLE_THREE_RESULT_ROWS``). A complaint, report or
suggestion (信访) ends with one of the handling opinions of 《信访工作条例》 Art. 32,
or is not accepted, or is referred to the competent body.

Every final reply to an application ends with the remedies (Art. 51 of the
Regulation: administrative reconsideration, within 60 days; a lawsuit, within 6
months); a refusal states its reasons. Plain data and functions: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Application periods under the Regulation, and remedies named in every final reply.
APPLICATION_REMEDY = (
    "如对本答复不服，可以自收到本答复之日起60日内依法申请行政复议，"
    "或者自收到本答复之日起6个月内依法向人民法院提起行政诉讼。"
)
#: 《信访工作条例》 Art. 35: a review (复查) by the next higher body within 30 days.
COMPLAINT_REMEDY = "如对处理意见不服，可以自收到本答复之日起30日内请求原办理机关的上一级机关复查。"

#: A UTF-8 text message WeChat shows whole (passive replies are cut beyond this).
MESSAGE_BYTES = 2047


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
    #: The remedy added to the final reply (None: none applies).
    remedy: str | None

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


def _application(code: str, group: str, item: str | None = None) -> Outcome:
    return Outcome(code, group, item, needs_reason=code != "1", remedy=APPLICATION_REMEDY)


GRANTED = "（一）予以公开"
PARTLY = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
WITHHELD = "（三）不予公开"
UNAVAILABLE = "（四）无法提供"
NOT_PROCESSED = "（五）不予处理"
OTHER = "（六）其他处理"

APPLICATION_OUTCOMES: tuple[Outcome, ...] = (
    _application("1", GRANTED),
    _application("2", PARTLY),
    _application("3.1", WITHHELD, "1.属于国家秘密"),
    _application("3.2", WITHHELD, "2.其他法律行政法规禁止公开"),
    _application("3.3", WITHHELD, "3.危及“三安全一稳定”"),
    _application("3.4", WITHHELD, "4.保护第三方合法权益"),
    _application("3.5", WITHHELD, "5.属于三类内部事务信息"),
    _application("3.6", WITHHELD, "6.属于四类过程性信息"),
    _application("3.7", WITHHELD, "7.属于行政执法案卷"),
    _application("3.8", WITHHELD, "8.属于行政查询事项"),
    _application("4.1", UNAVAILABLE, "1.本机关不掌握相关政府信息"),
    _application("4.2", UNAVAILABLE, "2.没有现成信息需要另行制作"),
    _application("4.3", UNAVAILABLE, "3.补正后申请内容仍不明确"),
    _application("5.1", NOT_PROCESSED, "1.信访举报投诉类申请"),
    _application("5.2", NOT_PROCESSED, "2.重复申请"),
    _application("5.3", NOT_PROCESSED, "3.要求提供公开出版物"),
    _application("5.4", NOT_PROCESSED, "4.无正当理由大量反复申请"),
    _application("5.5", NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息"),
    _application("6.1", OTHER, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    _application(
        "6.2", OTHER, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    ),
    _application("6.3", OTHER, "3.其他"),
)
#: An application that is really a complaint: moved to the complaint track, counted here.
TRANSFERRED_TO_COMPLAINT = "5.1"
#: An applicant who let the correction period pass.
CORRECTION_LAPSED = "6.1"
#: An applicant who did not pay within 20 working days of the fee notice.
FEE_UNPAID = "6.2"

COMPLAINT_OUTCOMES: tuple[Outcome, ...] = (
    Outcome("C.support", _COMPLAINT_GROUP, "予以支持", False, COMPLAINT_REMEDY),
    Outcome("C.explain", _COMPLAINT_GROUP, "解释说明", True, COMPLAINT_REMEDY),
    Outcome("C.reject", _COMPLAINT_GROUP, "不予支持", True, COMPLAINT_REMEDY),
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


def final_reply(body: str, chosen: Outcome, reason: str | None) -> str:
    """The final reply as stored and sent: the answer, the outcome, its reasons, the remedies."""
    lines = [body.strip(), f"办理结果：{chosen.label}"]
    if reason and reason.strip():
        lines.append(f"理由：{reason.strip()}")
    if chosen.remedy:
        lines.append(chosen.remedy)
    return "\n".join(line for line in lines if line)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))
