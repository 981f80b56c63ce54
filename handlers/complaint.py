"""投诉 / 举报 / 建议: a complaint, report or suggestion, with photos and a location.

Each word starts its own dialogue, so the category is what the resident chose;
the menu button asks which. The resident describes the matter in as many
messages as they like, photos and a location included; contact details are
optional (anonymous is allowed, and the resident is told what that means).

Residents rarely type the word alone: ``我要投诉村主任…``, ``想举报``, ``…俺要投诉`` start
the dialogue with the matter carried in (``Request``), and an account of something
wrong that asks for nothing (``路灯坏了没人管``) is offered as a complaint: ``投诉``
accepts, with that text (``Stage.GRIEVANCE``). A voice note is its transcript, and its
file is kept too; one WeChat could not transcribe is kept as evidence.

Everything the resident sends is sealed as soon as it is read: the dialogue state
in Redis holds each text, photo and voice reference and location sealed, and the name
and phone sealed beside their masked forms; so is a matter offered for filing. The
summary shows what was typed, ID numbers masked (the reply is kept sealed).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from bot.cases import intake, limits, texts, validation
from bot.cases.intake import ComplaintForm, Photo, Place, Protected
from bot.cases.media import fetch_soon
from bot.cases.privacy import mask_id_numbers, mask_name, mask_phone, opened, protect
from bot.content.listing import best_match
from bot.db import get_session
from bot.engine.dialogue import OFFER_KEY, Answer, Dialogue, Invalid, Line, Step, submission_id
from bot.engine.router import Capability, Context
from bot.engine.sentences import Stage, tidy
from bot.models.cases import COMPLAINT_CATEGORIES

capability = Capability("投诉举报", order=310)

#: What is kept of one dialogue: WeChat lets a resident pick 9 photos at once.
MAX_PHOTOS = 9
MAX_TEXT = 5000
MESSAGE_MAX = 2000
SUMMARY_CHARS = 120
#: How much of a carried matter the first reply quotes back.
QUOTE_CHARS = 60
#: An offer to file a grievance is accepted within this time (and by the next message only).
OFFER_SECONDS = 30 * 60
#: An account this long that asks for nothing is a grievance, whatever its words.
LONG_ACCOUNT = 80

NAMES = {"投诉": "complaint", "举报": "report", "建议": "suggestion"}
WHAT = {
    "投诉": "请说明您要投诉的事情：发生了什么、在哪里、什么时候。",
    "举报": "请说明您要举报的事情：什么人、什么事、在哪里、什么时候。",
    "建议": "请写下您的意见或建议。",
}
ATTACH = "可以分几条发送，也可以发照片和位置（点输入框旁的“＋”，选“照片”或“位置”）。"
ANONYMITY = "匿名也可以：匿名提交的，工作人员不会单独联系您，您只能凭编号查询办理进度。"

#: How a sentence asks for each (``sentences.Request``): ``我要投诉…``, ``想举报``, ``提个建议``.
VERBS = {
    "投诉": ("投诉", "投述", "tousu", "告状", "反映", r"(?<=[要想])告(?![诉知示状])"),
    "举报": ("举报", "举抱", "jubao", "检举揭发", "检举", "揭发"),
    "建议": ("建议", "建意", "jianyi", "意见建议", r"(?<=提)意见", r"(?<=提个|提点|提些)意见"),
}
#: An account of something wrong (``路灯坏了没人管``, ``补贴钱到现在没发``).
TROUBLE = (
    "没人管",
    "没人理",
    "没人问",
    "没人拉",
    "没人清",
    "没人修",
    "没人来",
    "没人接",
    "没人通知",
    "也没人",
    "没给",
    "没发",
    "没到账",
    "没到卡",
    "不到账",
    "没下来",
    "没批",
    "没修",
    "没影",
    "没信",
    "没录上",
    "没投上",
    "没通知",
    "不给",
    "停了",
    "停水",
    "停电",
    "坏了",
    "不亮",
    "不热",
    "漏雨",
    "漏水",
    "堵了",
    "要塌",
    "裂了",
    "淹",
    "冻得",
    "咬了",
    "咬人",
    "摔",
    "罚了",
    "少了",
    "少给",
    "乱收",
    "不公平",
    "不讲理",
    "凭啥",
    "凭什么",
    "憋屈",
    "没法",
    "没招",
    "埋汰",
    "推诿",
    "踢皮球",
    "欺负",
    "骂人",
    "打人",
    "刷不了",
    "录错",
    "到现在还",
    "到现在也",
    "好几年没",
    "谁也不",
    "闹肚子",
    "陷里",
    "好几天了",
    "好几个月",
    "一直没",
    "一直不",
    "吵得",
    "睡不着",
    "不敢",
    "黑灯瞎火",
    "取消了",
    "涨了这么多",
    "扣了",
    "占了",
    "不说为啥",
    "怪味",
    "味儿",
    "臭",
    "态度",
    "难听",
    "少发",
)
#: Something done to the resident (``俺家的地被人占了``, ``补贴被村里扣了一半``).
SUFFERED = (r"被\S{1,8}?[了走掉]",)


def _media_id(answer: Answer, problem: str) -> str:
    media_id = answer.message.media_id
    if not media_id or len(media_id) > 200:
        raise Invalid(problem)
    return media_id


def _read(answer: Answer) -> dict[str, Any]:
    """One message of the complaint: a text (a voice note's transcript, its file kept too),
    a photo's references, a location, or a voice note WeChat could not transcribe."""
    message = answer.message
    if answer.kind == "voice":
        return {"type": "voice", "media_id": _media_id(answer, "没有收到这条语音，请重新发送。")}
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
    if message.type == "voice":
        return {"type": "text", "text": text, "voice": _media_id(answer, "没有收到这条语音。")}
    return {"type": "text", "text": text}


def _kept(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the dialogue state keeps it: its kind in clear (and whether it was spoken),
    the rest sealed."""
    spoken = {"spoken": True} if "voice" in item else {}
    return {"type": item["type"], **spoken, **protect(json.dumps(item, ensure_ascii=False))}


def content_item(answer: Answer) -> dict[str, Any]:
    return _kept(_read(answer))


def received(item: dict[str, Any]) -> str:
    """What arrived, read from the kind kept in clear (``已收到照片。``)."""
    if item["type"] == "text":
        return "已收到语音，已转成文字。" if item.get("spoken") else "已收到文字。"
    if item["type"] == "voice":
        return "已收到语音（没能转成文字，会作为证据保存）。"
    return {"image": "已收到照片。", "location": "已收到位置。"}.get(item["type"], "已收到。")


def carry(ctx: Context, matter: str, data: dict[str, Any]) -> str:
    """A matter said before the dialogue began, kept as its first message (whole: a pasted
    account may pass ``MESSAGE_MAX``), with the voice note that said it, if one did (the
    message itself, or the account offered for filing)."""
    matter = matter[:MAX_TEXT]
    item: dict[str, Any] = {"type": "text", "text": matter}
    voice = _offer(ctx).get("voice") if ctx.offer else _spoken_by(ctx.message)
    if voice:
        item["voice"] = voice
    data["content"] = [_kept(item)]
    quoted = mask_id_numbers(matter)
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[:QUOTE_CHARS] + "…"
    return (
        f"已记下您说的：“{quoted}”\n可以接着补充时间、地点，也可以发照片和位置"
        "（点输入框旁的“＋”）。"
    )


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


def has_text_messages(data: dict[str, Any]) -> bool:
    """Whether a text (or a transcribed voice note) was among the messages (read from the
    kinds, without unsealing)."""
    return any(i["type"] == "text" for i in data.get("content", []))


def photo_count(data: dict[str, Any]) -> int:
    return sum(i["type"] == "image" for i in data.get("content", []))


def photos(data: dict[str, Any]) -> list[dict[str, Any]]:
    return _items(data, "image")


def voices(data: dict[str, Any]) -> list[str]:
    """The media ids of the voice notes, transcribed or not (kept as attachments)."""
    spoken = [item["voice"] for item in _items(data, "text") if "voice" in item]
    return [item["media_id"] for item in _items(data, "voice")] + spoken


def voice_count(data: dict[str, Any]) -> int:
    return sum(i["type"] == "voice" or bool(i.get("spoken")) for i in data.get("content", []))


def _clearing(kind: str) -> Callable[[dict[str, Any]], None]:
    """Removes the messages of one kind (to send them again at the summary). The words of a
    voice note go with the texts; its recording stays, as evidence."""

    def clear(data: dict[str, Any]) -> None:
        kept = []
        for item in data.get("content", []):
            if item["type"] != kind:
                kept.append(item)
            elif item.get("spoken"):
                kept.append(_kept({"type": "voice", "media_id": json.loads(opened(item))["voice"]}))
        data["content"] = kept
        if kind == "text":
            data.pop("description", None)
        if not data["content"]:
            del data["content"]

    return clear


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


def summary_for(category: str) -> Callable[[dict[str, Any]], list[Line]]:
    def summary(data: dict[str, Any]) -> list[Line]:
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
        content = ("content",)
        lines = [
            Line("类别", category),
            Line("内容", excerpt, content, ("文字", "描述", "情况", "事情"), _clearing("text")),
            Line("照片", pictures, content, ("图片", "相片"), _clearing("image")),
            Line("位置", where, content, ("地点", "定位"), _clearing("location")),
        ]
        spoken = voice_count(data)
        if spoken:
            lines.append(Line("语音", f"{spoken}条", content, (), _clearing("voice")))
        phone = data.get("phone")
        reach = opened(phone) if phone else "不留（匿名）"
        lines.append(Line("电话", reach, ("phone",), ("手机", "手机号", "联系方式", "号码")))
        if phone:
            name = opened(data["name"]) if data.get("name") else "未填"
            lines.append(Line("称呼", name, ("name",), ("名字", "姓名")))
        return lines

    return summary


def complaint_form(category: str, data: dict[str, Any]) -> ComplaintForm:
    found = place(data)
    phone = data.get("phone")
    return ComplaintForm(
        category=category,
        text=written(data)[:MAX_TEXT],
        photos=tuple(Photo(p["media_id"], p["pic_url"]) for p in photos(data)[:MAX_PHOTOS]),
        voices=tuple(voices(data)),
        place=Place(found["lat"], found["lng"], found["label"]) if found else None,
        phone=Protected(phone["sealed"], phone["masked"]) if phone else None,
        name=opened(data["name"]) if phone and data.get("name") else None,
    )


def submit_for(category: str) -> Any:
    def submit(ctx: Context, data: dict[str, Any]) -> str:
        filed = intake.file_complaint(
            get_session(),
            ctx.body,
            ctx.resident,
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
                kinds=frozenset({"text", "image", "location", "voice"}),
                many=True,
                received=received,
            ),
            Step(
                "description",
                "还没有文字说明。请用文字简单说明一下情况：发生了什么、在哪里。",
                parse=description,
                # Counted until a text message arrives, so the step count does not grow.
                ask_if=lambda data: not has_text_messages(data),
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
        carry=carry,
    )


def _spoken_by(message: Any) -> str | None:
    """The media id of a voice note (its words are the matter), else None."""
    media_id = getattr(message, "media_id", None) if message.type == "voice" else None
    return media_id if media_id and len(media_id) <= 200 else None


def _offer(ctx: Context) -> dict[str, Any]:
    """The account the previous reply offered to file (``offer``), if still fresh: its text
    and the voice note that said it."""
    offer = ctx.offer
    if not offer or offer.get("dialogue") != "complaint":
        return {}
    if time.time() - offer.get("at", 0) > OFFER_SECONDS:
        return {}
    return json.loads(opened(offer))


def offered(ctx: Context) -> str:
    return _offer(ctx).get("text", "")


DIALOGUES = {category: complaint_dialogue(category) for category in COMPLAINT_CATEGORIES}
HELP = {"投诉": "投诉 / 举报 / 建议 — 反映问题、举报线索、提出建议"}

for _category, _dialogue in DIALOGUES.items():
    capability.dialogue(
        _dialogue,
        words=(_category,),
        help=HELP.get(_category),
        guard=limits.refusal,
        verbs=VERBS[_category],
        offered=offered,
    )


@capability.sense(
    Stage.GRIEVANCE,
    words=TROUBLE,
    patterns=SUFFERED,
    unless=("多少",),  # 养老金涨了多少: a question about the rule, not a grievance
    longer_than=LONG_ACCOUNT,
)
def offer(ctx: Context) -> str:
    """An account of something wrong: offered as a complaint, with the best catalogue match."""
    matter = tidy(ctx.text)[:MAX_TEXT]
    kept = json.dumps({"text": matter, "voice": _spoken_by(ctx.message)}, ensure_ascii=False)
    ctx.session[OFFER_KEY] = {"dialogue": "complaint", "at": int(time.time()), **protect(kept)}
    reply = (
        "这件事可以作为投诉交给镇里办理：回复“投诉”，您刚才说的就作为投诉内容，"
        "还可以补充照片和位置。"
    )
    related = best_match(ctx.body, matter)
    return f"{reply}\n也许有用的公开信息：{related}" if related else reply


@capability.menu("COMPLAIN")
def choose(ctx: Context) -> str:
    return (
        "请回复一个词开始填写：\n"
        "投诉 — 反映问题、表达不满\n"
        "举报 — 提供违法违纪线索（举报人信息严格保密）\n"
        "建议 — 提出意见和建议"
    )
