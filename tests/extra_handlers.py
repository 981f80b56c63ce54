"""Capabilities used only by the tests of the framework: a visible side effect and a dialogue."""

from __future__ import annotations

import time

from bot.engine.dialogue import Answer, Dialogue, Invalid, Line, Step
from bot.engine.router import Capability, Context
from bot.store import KEY_PREFIX, get_redis

capability = Capability("测试", order=50)

EFFECTS = f"{KEY_PREFIX}test:effects"


@capability.command("计数", help="计数 — 测试用")
def count(ctx: Context) -> str:
    """Read-modify-write of the session, slowly: without the per-resident lock it loses updates."""
    seen = ctx.session.get("count", 0)
    time.sleep(0.3)
    ctx.session["count"] = seen + 1
    effects = get_redis().incr(EFFECTS)
    return f"第{seen + 1}次（副作用{effects}）"


def phone(answer: Answer) -> str:
    digits = answer.text.replace(" ", "")
    if not (digits.isdigit() and len(digits) == 11 and digits.startswith("1")):
        raise Invalid("手机号应为 1 开头的 11 位数字，请重新输入。")
    return digits


def photo(answer: Answer) -> dict[str, str]:
    return {"media_id": answer.message.media_id, "url": answer.message.image}


def survey_summary(data: dict) -> list[Line]:
    return [
        Line("姓名", data["name"], ("name",)),
        Line("电话", data["phone"], ("phone",), ("手机",)),
        Line("备注", data.get("note") or "无", ("note",)),
        Line("照片", f"{len(data['photos'])}张", ("photos",)),
    ]


def submit(ctx: Context, data: dict) -> str:
    get_redis().incr(f"{KEY_PREFIX}test:submitted")
    return f"已提交，{data['name']}。"


survey = Dialogue(
    name="survey",
    title="测试登记",
    steps=(
        Step("name", "请输入您的姓名。"),
        Step("phone", "请输入手机号。", parse=phone),
        Step("note", "有什么要补充的？", optional=True),
        Step(
            "photos",
            "请发送照片。",
            parse=photo,
            kinds=frozenset({"image"}),
            many=True,
            optional=True,
        ),
    ),
    summary=survey_summary,
    submit=submit,
)
capability.dialogue(survey, words=("登记",), menu=("SURVEY",), help="登记 — 测试用对话")
