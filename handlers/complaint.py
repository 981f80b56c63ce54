"""投诉 / 举报 / 建议: a complaint, report or suggestion, with photos and a location.

Each word starts its own dialogue, so the category is what the resident chose;
the menu button asks which. The resident describes the matter in as many
messages as they like, photos and a location included; contact details are
optional (anonymous is allowed, and the resident is told what that means).

Everything the resident sends is sealed as soon as it is read: the dialogue state
in Redis holds each text, photo reference and location sealed, and the name and
phone sealed beside their masked forms; the summary shows ID numbers masked.
"""

from __future__ import annotations

import json
import math
from typing import Any

from bot.cases import intake, limits, texts, validation
from bot.cases.intake import ComplaintForm, Photo, Place, Protected
from bot.cases.media import fetch_soon
from bot.cases.privacy import (
    mask_id_numbers,
    mask_name,
    mask_phone,
    opened,
    protect,
    shown,
)
from bot.db import get_session
from bot.engine.dialogue import Answer, Dialogue, Invalid, Step, submission_id
from bot.engine.router import Capability, Context
from bot.models.cases import COMPLAINT_CATEGORIES

capability = Capability("投诉举报", order=310)

#: What is kept of one dialogue: WeChat lets a resident pick 9 photos at once.
MAX_PHOTOS = 9
MAX_TEXT = 5000
MESSAGE_MAX = 2000
SUMMARY_CHARS = 120

NAMES = {"投诉": "complaint", "举报": "report", "建议": "suggestion"}
WHAT = {
    "投诉": "请说明您要投诉的事情：发生了什么、在哪里、什么时候。",
    "举报": "请说明您要举报的事情：什么人、什么事、在哪里、什么时候。",
    "建议": "请写下您的意见或建议。",
}
ATTACH = "可以分几条发送，也可以发照片和位置（点输入框旁的“＋”，选“照片”或“位置”）。"
ANONYMITY = "匿名也可以：匿名提交的，工作人员不会单独联系您，您只能凭编号查询办理进度。"


def _read(answer: Answer) -> dict[str, Any]:
    """One message of the complaint: a text, a photo's references or a location."""
    message = answer.message
    if answer.kind == "image":
        if not message.media_id or len(message.media_id) > 200:
            raise Invalid("没有收到这张照片，请重新发送。")
        url = message.image if message.image and len(message.image) <= 1000 else None
        return {"type": "image", "media_id": message.media_id, "pic_url": url}
    if answer.kind == "location":
        try:
            latitude, longitude = float(message.location_x), float(message.location_y)
        except (TypeError, ValueError):
            latitude = longitude = math.nan
        if not (abs(latitude) <= 90 and abs(longitude) <= 180):  # NaN fails too
            raise Invalid("没有读到位置，请重新发送位置。")
        label = (message.label or "")[:300]
        return {"type": "location", "lat": latitude, "lng": longitude, "label": label}
    text = answer.text.strip()
    if not text:
        raise Invalid("内容不能为空，请重新输入。")
    if len(text) > MESSAGE_MAX:
        raise Invalid(f"这一条太长了，请分成几条发送，每条不超过{MESSAGE_MAX}字。")
    return {"type": "text", "text": text}


def content_item(answer: Answer) -> dict[str, Any]:
    """The message as the dialogue state keeps it: its kind in clear, the rest sealed."""
    item = _read(answer)
    return {"type": item["type"], **protect(json.dumps(item, ensure_ascii=False))}


def _items(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The content of one kind, unsealed (items of a dialogue begun before were plain)."""
    found = [i for i in data.get("content", []) if i["type"] == kind]
    return [json.loads(opened(i)) if "sealed" in i else i for i in found]


def description(answer: Answer) -> dict[str, str]:
    return protect(_read(answer)["text"])


def written(data: dict[str, Any]) -> str:
    parts = [i["text"] for i in _items(data, "text")]
    if data.get("description"):
        parts.append(opened(data["description"]))
    return "\n".join(parts)


def has_words(data: dict[str, Any]) -> bool:
    """Whether any text was sent (read from the kinds, without unsealing)."""
    return bool(data.get("description")) or any(
        i["type"] == "text" for i in data.get("content", [])
    )


def photo_count(data: dict[str, Any]) -> int:
    return sum(i["type"] == "image" for i in data.get("content", []))


def photos(data: dict[str, Any]) -> list[dict[str, Any]]:
    return _items(data, "image")


def place(data: dict[str, Any]) -> dict[str, Any] | None:
    places = _items(data, "location")
    return places[-1] if places else None


def contact_phone(answer: Answer) -> dict[str, str]:
    try:
        number = validation.phone(answer.text)
    except ValueError as problem:
        raise Invalid(f"{problem}不想留电话请回复“跳过”。") from None
    return protect(number, mask_phone(number))


def contact_name(answer: Answer) -> dict[str, str]:
    name = answer.text.strip()
    if not 1 <= len(name) <= 30:
        raise Invalid("称呼请在30字以内，如 张先生。")
    return protect(name, mask_name(mask_id_numbers(name)))


def summary_for(category: str) -> Any:
    def summary(data: dict[str, Any]) -> str:
        text = written(data)
        excerpt = mask_id_numbers(text)  # before cutting: a cut number is not recognised
        if len(excerpt) > SUMMARY_CHARS:
            excerpt = excerpt[:SUMMARY_CHARS] + "…"
        if len(text) > MAX_TEXT:
            excerpt += f"（内容较长，只保存前{MAX_TEXT}字）"
        count = photo_count(data)
        pictures = f"{count}张" if count else "无"
        if count > MAX_PHOTOS:
            pictures += f"（最多保存{MAX_PHOTOS}张，多出的不会提交）"
        found = place(data)
        where = "无"
        if found:
            where = f"{found['label'] or '已发送'}（{found['lat']:.5f}, {found['lng']:.5f}）"
        reach = "匿名（不留联系方式）"
        if data.get("phone"):
            name = f"，{shown(data['name'], mask_name)}" if data.get("name") else ""
            reach = data["phone"]["masked"] + name
        return "\n".join(
            [
                f"类别：{category}",
                f"内容：{excerpt}",
                f"照片：{pictures}",
                f"位置：{where}",
                f"联系方式：{reach}",
            ]
        )

    return summary


def complaint_form(category: str, data: dict[str, Any]) -> ComplaintForm:
    found = place(data)
    phone = data.get("phone")
    return ComplaintForm(
        category=category,
        text=written(data)[:MAX_TEXT],
        photos=tuple(Photo(p["media_id"], p["pic_url"]) for p in photos(data)[:MAX_PHOTOS]),
        place=Place(found["lat"], found["lng"], found["label"]) if found else None,
        phone=Protected(phone["sealed"], phone["masked"]) if phone else None,
        name=opened(data["name"]) if phone and data.get("name") else None,
    )


def submit_for(category: str) -> Any:
    def submit(ctx: Context, data: dict[str, Any]) -> str:
        filed = intake.file_complaint(
            get_session(),
            ctx.openid,
            submission_id(ctx),
            complaint_form(category, data),
            limits.daily_limit(),
        )
        if filed.new:
            fetch_soon(filed.case)
        return texts.receipt(filed.case)

    return submit


def complaint_dialogue(category: str) -> Dialogue:
    secrecy = "举报人信息严格保密。" if category == "举报" else ""
    return Dialogue(
        name=NAMES[category],
        title=category,
        steps=(
            Step(
                "content",
                WHAT[category] + ATTACH,
                parse=content_item,
                kinds=frozenset({"text", "image", "location"}),
                many=True,
            ),
            Step(
                "description",
                "照片和位置已收到。请再用文字简单说明一下情况。",
                parse=description,
                ask_if=lambda data: "content" in data and not has_words(data),
            ),
            Step(
                "phone",
                f"需要工作人员联系您的，请留下手机号码。{secrecy}{ANONYMITY}",
                parse=contact_phone,
                optional=True,
            ),
            Step(
                "name",
                "怎么称呼您？（如 张先生）",
                parse=contact_name,
                optional=True,
                # Counted until the phone step is skipped, so the step count does not grow.
                ask_if=lambda data: data.get("phone", True) is not None,
            ),
        ),
        summary=summary_for(category),
        submit=submit_for(category),
        guard=limits.refusal,
    )


DIALOGUES = {category: complaint_dialogue(category) for category in COMPLAINT_CATEGORIES}
HELP = {"投诉": "投诉 / 举报 / 建议 — 反映问题、举报线索、提出建议"}

for _category, _dialogue in DIALOGUES.items():
    capability.dialogue(
        _dialogue, words=(_category,), help=HELP.get(_category), guard=limits.refusal
    )


@capability.menu("COMPLAIN")
def choose(ctx: Context) -> str:
    return (
        "请回复一个词开始填写：\n"
        "投诉 — 反映问题、表达不满\n"
        "举报 — 提供违法违纪线索（举报人信息严格保密）\n"
        "建议 — 提出意见和建议"
    )
