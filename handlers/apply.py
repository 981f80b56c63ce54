"""申请: a disclosure application (依申请公开), collecting what Art. 29 of the Regulation asks.

Applicant (person or organisation, and which kind: table 三 of the annual report
counts them), name, proof of identity, contact, a description of the
information, the form wanted; then a summary, ``确认`` and a receipt with the
statutory reply date. Every personal answer is sealed as soon as it is read
(``privacy.protect``): the dialogue state in Redis holds no name, number, contact or
description in clear. The summary shows the answers as typed, document numbers
masked (the reply is kept sealed for WeChat's retries). An ID number typed as the
document's name is refused before it is kept; one typed into any other text is
stored masked (``bot.cases.intake``). Paper copies are posted or collected in
person, as the applicant chooses.

``我想申请公开2018年东兴村的财务收支`` starts the dialogue with the description
carried in (``能把…给我看看``, ``我想要一份…``, ``我要调取…`` too); it is not asked again.
"""

from __future__ import annotations

from typing import Any

from bot.cases import intake, limits, texts, validation
from bot.cases.intake import ApplicationForm, Protected
from bot.cases.privacy import (
    has_id_number,
    mask_address,
    mask_document,
    mask_email,
    mask_id_numbers,
    mask_name,
    mask_phone,
    opened,
    protect,
)
from bot.db import get_session
from bot.engine.dialogue import Answer, Dialogue, Invalid, Line, Step, submission_id
from bot.engine.router import Capability, Context
from bot.models.cases import ORGANISATION, ORGANISATION_KINDS, PERSON

capability = Capability("依申请公开", order=300)

RESIDENT_ID = "居民身份证"
CREDIT_CODE = "统一社会信用代码"
PAPER, EMAIL = "纸质", "电子邮件"
POST, COLLECT = "邮寄", "自行领取"
DESCRIPTION_MAX = 1000
SUMMARY_CHARS = 120
QUOTE_CHARS = 60

#: Asking to apply (``sentences.Request``): ``我想申请公开…``, ``我想要一份…``, ``我要调取…``.
VERBS = (r"(?:需要|要)一?份(?:文件|材料)?", "调取")
#: Words that ask to apply wherever they stand in a sentence.
EXPLICIT = (
    "依申请公开",
    "申请政府信息公开",
    "申请信息公开",
    "政府信息公开申请",
    "信息公开申请",
    "申请公开",
    "申清公开",
)
#: Naming the information in a request to see it (``能把村里的账目给俺看看不``).
PATTERNS = (
    r"把\s*(?P<matter>.+?)\s*(?:复印一份|复印|拿)?给(?:我|俺)们?\s*"
    r"(?:看看|看一下|瞅瞅|一份|看|(?=[吗不呗啊吧\s?？!！。]*$))",
)


def _choice(text: str, options: dict[str, str], problem: str) -> str:
    word = validation.folded(text).rstrip("。.")
    if word in options:
        return options[word]
    raise Invalid(problem)


def applicant_kind(answer: Answer) -> str:
    options = {"1": PERSON, "个人": PERSON, "自然人": PERSON, "本人": PERSON}
    options |= {"2": ORGANISATION, "单位": ORGANISATION, "法人": ORGANISATION}
    options |= {"组织": ORGANISATION, "企业": ORGANISATION, ORGANISATION: ORGANISATION}
    return _choice(answer.text, options, "请回复数字：1 个人，2 单位（法人或其他组织）。")


def organisation_kind(answer: Answer) -> str:
    options = {str(n): kind for n, kind in enumerate(ORGANISATION_KINDS, 1)}
    options |= {kind: kind for kind in ORGANISATION_KINDS}
    return _choice(answer.text, options, "请回复1到5中的一个数字。")


def person_name(answer: Answer) -> dict[str, str]:
    name = answer.text.strip()
    if not 2 <= len(name) <= 30 or any(c.isdigit() for c in name):
        raise Invalid("请输入您的真实姓名（2到30个字，不含数字）。")
    return protect(name, mask_name(name))


def organisation_name(answer: Answer) -> dict[str, str]:
    name = answer.text.strip()
    if not 4 <= len(name) <= 100:
        raise Invalid("请输入单位全称（4到100个字），与营业执照或登记证书一致。")
    return protect(name, mask_id_numbers(name))


def document_type(answer: Answer) -> str:
    word = validation.folded(answer.text)
    if word in {"1", "身份证", RESIDENT_ID}:
        return RESIDENT_ID
    if has_id_number(answer.text):  # the number, sent a step early: not kept as a name
        raise Invalid("证件号码请在下一步输入。这一步请回复1（居民身份证），或证件名称，如 护照。")
    name = " ".join(answer.text.split())
    if word.isdigit() or not 2 <= len(name) <= 20:
        raise Invalid(
            "请回复1（居民身份证），或直接回复证件名称，如 护照、港澳居民来往内地通行证。"
        )
    return name


def _protected_document(check: Any, answer: Answer) -> dict[str, str]:
    try:
        number = check(answer.text)
    except ValueError as problem:
        raise Invalid(str(problem)) from None
    return protect(number, mask_document(number))


def resident_id(answer: Answer) -> dict[str, str]:
    return _protected_document(validation.resident_id, answer)


def other_document(answer: Answer) -> dict[str, str]:
    return _protected_document(validation.other_document, answer)


def credit_code(answer: Answer) -> dict[str, str]:
    return _protected_document(validation.credit_code, answer)


def _sealed_address(text: str) -> dict[str, str]:
    value = validation.address(text)
    return protect(value, mask_address(mask_id_numbers(value)))


def _sealed_email(text: str) -> dict[str, str]:
    value = validation.email(text)
    return protect(value, mask_email(value))


def contact(answer: Answer) -> dict[str, str]:
    """A phone, an e-mail address or a postal address, whichever the resident gave (sealed)."""
    text = answer.text.strip()
    try:
        if "@" in text:
            return {"kind": "email", **_sealed_email(text)}
        if validation.looks_like_phone(text):
            number = validation.phone(text)
            return {"kind": "phone", **protect(number, mask_phone(number))}
        return {"kind": "address", **_sealed_address(text)}
    except ValueError as problem:
        raise Invalid(str(problem)) from None


def description(answer: Answer) -> dict[str, str]:
    return _description(answer.text)


def _description(text: str) -> dict[str, str]:
    text = text.strip()
    if len(text) < 4:
        raise Invalid("请说得具体一些：文件名称、文号，或者是哪一年、哪件事的什么信息。")
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(f"内容太长了，请控制在{DESCRIPTION_MAX}字以内。")
    return protect(text)


def carry(ctx: Context, matter: str, data: dict[str, Any]) -> str:
    """The information asked for in the sentence that began the dialogue, as the description
    (when it reads as one: not too short or long)."""
    try:
        data["description"] = _description(matter)
    except Invalid:
        return ""
    quoted = mask_id_numbers(matter)
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[:QUOTE_CHARS] + "…"
    return f"已记下您要申请公开的信息：“{quoted}”（最后核对时可以改）。"


def form_wanted(answer: Answer) -> str:
    options = {"1": PAPER, PAPER: PAPER, "纸质件": PAPER, "书面": PAPER, POST: PAPER}
    options |= {COLLECT: PAPER, "领取": PAPER, "2": EMAIL, EMAIL: EMAIL, "邮件": EMAIL}
    return _choice(answer.text, options, "请回复数字：1 纸质，2 电子邮件。")


def paper_delivery(answer: Answer) -> str:
    options = {"1": POST, POST: POST, "寄": POST, "2": COLLECT, COLLECT: COLLECT}
    options |= {"领取": COLLECT, "自取": COLLECT, "现场领取": COLLECT}
    return _choice(answer.text, options, "请回复数字：1 邮寄，2 到办公室自行领取。")


def mail_address(answer: Answer) -> dict[str, str]:
    try:
        return _sealed_address(answer.text)
    except ValueError as problem:
        raise Invalid(str(problem)) from None


def email_address(answer: Answer) -> dict[str, str]:
    try:
        return _sealed_email(answer.text)
    except ValueError as problem:
        raise Invalid(str(problem)) from None


# Until the resident has answered, the branch with more steps is assumed (a person; paper
# by post), so that the "第N步，最多M步" counter never grows under their eyes.
def _is_person(data: dict[str, Any]) -> bool:
    return data.get("applicant_kind", PERSON) == PERSON


def _is_organisation(data: dict[str, Any]) -> bool:
    return data.get("applicant_kind") == ORGANISATION


def _contact_kind(data: dict[str, Any]) -> str:
    return (data.get("contact") or {}).get("kind", "")


def _contact_value(found: dict[str, str]) -> str:
    """The contact as typed (a dialogue begun before contacts were sealed kept ``value``)."""
    return found["value"] if "value" in found else opened(found)


def _posted(data: dict[str, Any]) -> bool:
    return data.get("form_wanted", PAPER) == PAPER and data.get("paper_delivery", POST) == POST


def _how(data: dict[str, Any]) -> str:
    """The form and the way, as stored and shown: ``纸质（邮寄）``, ``纸质（自行领取）``, ``电子邮件``."""
    if data["form_wanted"] == PAPER:
        return f"{PAPER}（{data['paper_delivery']}）"
    return data["form_wanted"]


def summary(data: dict[str, Any]) -> list[Line]:
    """What the resident checks before ``确认``: the answers as typed, document numbers
    masked (they were checked when typed), each line with the steps that change it."""
    if _is_person(data):
        applicant = Line("申请人", f"{opened(data['name'])}（自然人）", ("name",), ("姓名", "名字"))
        number = (data.get("resident_id") or data.get("other_document") or {}).get("masked", "")
        document = Line(
            "证件",
            f"{data['document_type']} {number}",
            ("document_type", "resident_id", "other_document"),
            ("身份证", "证件号", "号码"),
        )
    else:
        name = mask_id_numbers(opened(data["organisation_name"]))
        applicant = Line(
            "申请人",
            f"{name}（{data['organisation_kind']}）",
            ("organisation_kind", "organisation_name"),
            ("单位", "名称", "名字"),
        )
        document = Line(
            "证件",
            f"{CREDIT_CODE} {data['credit_code']['masked']}",
            ("credit_code",),
            ("信用代码", "代码", "号码"),
        )
    wanted = mask_id_numbers(opened(data["description"]))
    if len(wanted) > SUMMARY_CHARS:
        wanted = wanted[:SUMMARY_CHARS] + "…"
    lines = [
        applicant,
        document,
        Line(
            "联系方式",
            _contact_value(data["contact"]),
            ("contact",),
            ("电话", "手机", "联系电话", "手机号"),
        ),
        Line("所需信息", wanted, ("description",), ("内容", "信息", "描述")),
        Line("获取方式", _how(data), ("form_wanted", "paper_delivery"), ("方式", "形式", "纸质")),
    ]
    if data.get("mail_address"):
        address = opened(data["mail_address"])
        lines.append(Line("邮寄地址", address, ("mail_address",), ("地址",)))
    if data.get("email"):
        lines.append(Line("电子邮箱", opened(data["email"]), ("email",), ("邮箱", "邮件")))
    return lines


def application_form(data: dict[str, Any]) -> ApplicationForm:
    """The application as typed, unsealed from the dialogue state for ``intake``."""
    found = data["contact"]
    phone = Protected(found["sealed"], found["masked"]) if found["kind"] == "phone" else None
    email = opened(data["email"]) if data.get("email") else None
    if email is None and found["kind"] == "email":
        email = _contact_value(found)
    address = opened(data["mail_address"]) if data.get("mail_address") else None
    if address is None and found["kind"] == "address":
        address = _contact_value(found)
    if _is_person(data):
        name, id_type = opened(data["name"]), data["document_type"]
        document = data.get("resident_id") or data["other_document"]
    else:
        name, id_type = opened(data["organisation_name"]), CREDIT_CODE
        document = data["credit_code"]
    return ApplicationForm(
        applicant_kind=data["applicant_kind"],
        organisation_kind=data.get("organisation_kind"),
        name=name,
        id_type=id_type,
        id_number=Protected(document["sealed"], document["masked"]),
        description=opened(data["description"]),
        form_wanted=_how(data),
        phone=phone,
        email=email,
        address=address,
    )


def submit(ctx: Context, data: dict[str, Any]) -> str:
    filed = intake.file_application(
        get_session(),
        ctx.body,
        ctx.resident,
        submission_id(ctx),
        application_form(data),
        limits.daily_limit(),
    )
    return texts.receipt(filed.case)


application = Dialogue(
    name="application",
    title="政府信息公开申请",
    intro=(
        "依申请公开：向本机关申请公开政府信息。按提示回答即可，约需3分钟。\n"
        "提交后会收到回执（编号和收到时间），回执上的日期就是收到申请的日期，"
        "周末、节假日提交的也一样；答复期限从其后第一个工作日起算，为20个工作日。"
    ),
    steps=(
        Step(
            "applicant_kind",
            "您以什么身份申请？回复 1 个人，2 单位（法人或其他组织）。",
            parse=applicant_kind,
        ),
        Step(
            "organisation_kind",
            "单位类型：回复 1 商业企业，2 科研机构，3 社会公益组织，4 法律服务机构，5 其他。",
            parse=organisation_kind,
            ask_if=_is_organisation,
        ),
        Step("name", "请输入您的姓名。", parse=person_name, ask_if=_is_person),
        Step(
            "organisation_name",
            "请输入单位全称（与营业执照或登记证书一致）。",
            parse=organisation_name,
            ask_if=_is_organisation,
        ),
        Step(
            "document_type",
            "身份证明：回复 1 居民身份证；用其他证件的，请直接回复证件名称（如 护照）。",
            parse=document_type,
            ask_if=_is_person,
        ),
        Step(
            "resident_id",
            "请输入18位身份证号码。",
            parse=resident_id,
            ask_if=lambda data: (
                _is_person(data) and data.get("document_type", RESIDENT_ID) == RESIDENT_ID
            ),
        ),
        Step(
            "other_document",
            "请输入证件号码。",
            parse=other_document,
            ask_if=lambda data: (
                _is_person(data) and data.get("document_type", RESIDENT_ID) != RESIDENT_ID
            ),
        ),
        Step(
            "credit_code",
            "请输入单位的18位统一社会信用代码。",
            parse=credit_code,
            ask_if=_is_organisation,
        ),
        Step(
            "contact",
            "请留下联系方式：手机或固定电话；没有电话的，也可以留电子邮箱或通信地址。",
            parse=contact,
        ),
        Step(
            "description",
            "请说明您要申请公开哪些政府信息：文件名称、文号，或能确定这些信息的其他描述"
            "（如哪一年、哪件事）。",
            parse=description,
        ),
        Step(
            "form_wanted",
            "希望以什么形式获取信息？回复 1 纸质，2 电子邮件。",
            parse=form_wanted,
        ),
        Step(
            "paper_delivery",
            "纸质件怎么交给您？回复 1 邮寄，2 到办公室自行领取。",
            parse=paper_delivery,
            ask_if=lambda data: data.get("form_wanted", PAPER) == PAPER,
        ),
        Step(
            "mail_address",
            "请输入邮寄地址（写到村或街道门牌）。",
            parse=mail_address,
            ask_if=lambda data: _posted(data) and _contact_kind(data) != "address",
        ),
        Step(
            "email",
            "请输入接收信息的电子邮箱。",
            parse=email_address,
            ask_if=lambda data: data.get("form_wanted") == EMAIL and _contact_kind(data) != "email",
        ),
    ),
    summary=summary,
    submit=submit,
    guard=limits.refusal,
    carry=carry,
)

capability.dialogue(
    application,
    words=("申请", "申请公开", "依申请公开"),
    menu=("APPLY",),
    help="申请 — 申请政府信息公开",
    guard=limits.refusal,
    verbs=VERBS,
    explicit=EXPLICIT,
    patterns=PATTERNS,
)
