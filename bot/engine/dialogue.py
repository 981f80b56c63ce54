"""Guided dialogues declared as data, and the one engine that runs them.

A dialogue is a list of steps (prompt, what kinds of message it takes, how to
read the answer, whether it may be skipped or collect several messages), a
summary and a submit function. The engine keeps its state in the resident's
session, which the delivery layer loads from and saves to the store once per
message with a TTL. ``取消``, ``跳过``, ``确认``, ``好了`` and ``帮助`` mean the
same in every dialogue.
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot import clock
from bot.db import get_session
from bot.metrics import DIALOGUES
from bot.models import DialogueMark
from bot.privacy import openid_hash
from bot.wechat.replies import Reply, Text

if TYPE_CHECKING:
    from wechatpy.messages import BaseMessage

CANCEL = "取消"
SKIP = "跳过"
CONFIRM = "确认"
DONE_WORDS = frozenset({"好了", "完成", "发完了"})
HELP_WORDS = frozenset({"帮助", "?", "help"})
DIALOGUE_WORDS = frozenset({CANCEL, SKIP, CONFIRM}) | DONE_WORDS

KIND_NAMES = {"text": "文字", "image": "图片", "location": "位置", "voice": "语音"}

STATE_KEY = "dialogue"
CONFIRM_STAGE = "__confirm__"
#: A mark older than this is forgotten rather than reported as an interruption.
MARK_MEMORY = timedelta(hours=6)


class Invalid(ValueError):
    """The answer cannot be used; the message says what to send instead."""


@dataclass(frozen=True)
class Answer:
    """One message sent as the answer to a step."""

    text: str
    message: BaseMessage

    @property
    def kind(self) -> str:
        return self.message.type


def as_text(answer: Answer) -> str:
    if not answer.text:
        raise Invalid("内容不能为空，请重新输入。")
    return answer.text


@dataclass(frozen=True)
class Step:
    field: str
    prompt: str
    parse: Callable[[Answer], Any] = as_text
    optional: bool = False
    kinds: frozenset[str] = frozenset({"text"})
    many: bool = False
    ask_if: Callable[[dict[str, Any]], bool] | None = None

    def applies(self, data: dict[str, Any]) -> bool:
        return self.ask_if is None or self.ask_if(data)


@dataclass(frozen=True)
class Dialogue:
    name: str
    title: str
    steps: tuple[Step, ...]
    summary: Callable[[dict[str, Any]], str]
    submit: Callable[[Context, dict[str, Any]], Reply | str]
    intro: str = ""
    timeout: int | None = None
    #: Checked before each answer is read: a reason to refuse it for now (e.g. a rate limit).
    guard: Callable[[Context], str | None] | None = None
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", frozenset(s.field for s in self.steps))

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.field == name), None)

    def next_step(self, after: str | None, data: dict[str, Any]) -> Step | None:
        names = [s.field for s in self.steps]
        start = 0 if after is None else names.index(after) + 1
        return next((s for s in self.steps[start:] if s.applies(data)), None)


class Registry(Protocol):
    """What a handler may ask of the router that runs it (``bot.engine.router.Router``)."""

    dialogues: dict[str, Dialogue]

    def help_text(self) -> str: ...


@dataclass
class Context:
    """One message on its way through a handler, with the resident's session."""

    message: BaseMessage
    session: dict[str, Any]
    router: Registry
    text: str = ""
    argument: str = ""

    @property
    def openid(self) -> str:
        return self.message.source

    def start(self, name: str) -> Text:
        return start(self, self.router.dialogues[name])


def normalise(text: str) -> str:
    """Fold full-width forms and case so that ``？`` is ``?`` and ``ＳＱ`` is ``sq``."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def active_state(session: dict[str, Any]) -> dict[str, Any] | None:
    return session.get(STATE_KEY)


def timed_out(state: dict[str, Any], dialogue: Dialogue, default_timeout: int) -> bool:
    limit = dialogue.timeout or default_timeout
    return time.time() - state.get("at", 0) > limit


def start(ctx: Context, dialogue: Dialogue) -> Text:
    previous = active_state(ctx.session)
    lead = ""
    if previous and previous.get("name") != dialogue.name:
        old = ctx.router.dialogues.get(previous.get("name", ""))
        if old:
            lead = f"已退出之前填写的“{old.title}”。\n"
            DIALOGUES.labels(dialogue=old.name, outcome="replaced").inc()
    data: dict[str, Any] = {}
    first = dialogue.next_step(None, data)
    if first is None:
        raise ValueError(f"dialogue {dialogue.name} has no step")
    ctx.session.pop(STATE_KEY, None)
    _save(ctx, dialogue, first.field, data)
    _mark(ctx.openid, dialogue.name)
    DIALOGUES.labels(dialogue=dialogue.name, outcome="started").inc()
    intro = f"{dialogue.intro}\n" if dialogue.intro else ""
    return Text(lead + intro + _prompt(dialogue, first, data) + f"\n（随时回复“{CANCEL}”可退出）")


def handle(ctx: Context, dialogue: Dialogue, state: dict[str, Any]) -> Reply:
    """Take one message as the answer to the current step of ``dialogue``."""
    data: dict[str, Any] = state.get("data", {})
    stage: str = state.get("step", "")
    word = normalise(ctx.text) if ctx.message.type == "text" else ""

    if word == CANCEL:
        end(ctx)
        DIALOGUES.labels(dialogue=dialogue.name, outcome="cancelled").inc()
        return Text(f"已取消“{dialogue.title}”，没有提交任何内容。需要时可重新开始。")

    if stage == CONFIRM_STAGE:
        if word == CONFIRM:
            reply = dialogue.submit(ctx, data)
            end(ctx)
            DIALOGUES.labels(dialogue=dialogue.name, outcome="completed").inc()
            return Text(reply) if isinstance(reply, str) else reply
        return Text(f"请回复“{CONFIRM}”提交，或回复“{CANCEL}”放弃。")

    step = dialogue.step(stage)
    if step is None:  # a release changed the steps under a dialogue in progress
        end(ctx)
        return Text(f"“{dialogue.title}”的填写步骤已更新，请重新开始。")

    if word in HELP_WORDS:
        return Text(_prompt(dialogue, step, data) + f"\n（回复“{CANCEL}”可退出）")
    if word == CONFIRM:
        return Text("还有内容没有填完。\n" + _prompt(dialogue, step, data))
    if word == SKIP:
        if not step.optional and not (step.many and data.get(step.field)):
            return Text("这一步不能跳过。\n" + _prompt(dialogue, step, data))
        data.setdefault(step.field, [] if step.many else None)
        return _advance(ctx, dialogue, step, data)
    if step.many and word in DONE_WORDS:
        if not data.get(step.field) and not step.optional:
            return Text("还没有收到内容。\n" + _prompt(dialogue, step, data))
        data.setdefault(step.field, [])
        return _advance(ctx, dialogue, step, data)

    if ctx.message.type not in step.kinds:
        wanted = "或".join(KIND_NAMES.get(k, k) for k in sorted(step.kinds))
        return Text(f"这一步请发送{wanted}。\n" + _prompt(dialogue, step, data))
    refusal = dialogue.guard(ctx) if dialogue.guard else None
    if refusal:
        _save(ctx, dialogue, step.field, data)
        return Text(refusal)
    try:
        value = step.parse(Answer(ctx.text, ctx.message))
    except Invalid as problem:
        _save(ctx, dialogue, step.field, data)
        return Text(str(problem))

    if step.many:
        data.setdefault(step.field, []).append(value)
        _save(ctx, dialogue, step.field, data)
        return Text("已收到。还可以继续发送；发完请回复“好了”。")
    data[step.field] = value
    return _advance(ctx, dialogue, step, data)


def end(ctx: Context) -> None:
    if ctx.session.pop(STATE_KEY, None) is not None:
        _unmark(ctx.openid)


def interrupted(ctx: Context) -> str | None:
    """The name of a dialogue whose state vanished (Redis lost it), forgetting the mark."""
    session = get_session()
    mark = session.get(DialogueMark, openid_hash(ctx.openid))
    if mark is None:
        return None
    session.delete(mark)
    session.commit()
    return mark.dialogue if clock.now() - mark.started_at < MARK_MEMORY else None


def _mark(openid: str, name: str) -> None:
    session = get_session()
    session.merge(
        DialogueMark(openid_hash=openid_hash(openid), dialogue=name, started_at=clock.now())
    )
    session.commit()


def _unmark(openid: str) -> None:
    session = get_session()
    mark = session.get(DialogueMark, openid_hash(openid))
    if mark is not None:
        session.delete(mark)
        session.commit()


def _advance(ctx: Context, dialogue: Dialogue, step: Step, data: dict[str, Any]) -> Text:
    following = dialogue.next_step(step.field, data)
    if following is None:
        _save(ctx, dialogue, CONFIRM_STAGE, data)
        return Text(
            f"请核对您填写的“{dialogue.title}”：\n{dialogue.summary(data)}\n"
            f"无误请回复“{CONFIRM}”提交；回复“{CANCEL}”放弃。"
        )
    _save(ctx, dialogue, following.field, data)
    return Text(_prompt(dialogue, following, data))


def _prompt(dialogue: Dialogue, step: Step, data: dict[str, Any]) -> str:
    applicable = [s for s in dialogue.steps if s.applies(data)]
    position = next((i for i, s in enumerate(applicable, 1) if s.field == step.field), 1)
    text = f"（第{position}步，共{len(applicable)}步）{step.prompt}"
    if step.many:
        text += "\n可发送多条，发完请回复“好了”。"
    if step.optional:
        text += f"\n不需要可回复“{SKIP}”。"
    return text


def submission_id(ctx: Context) -> str:
    """A random id of the dialogue in progress, the same for every step of it.

    ``submit`` functions store it with what they write, under a unique constraint,
    so that one dialogue can never be submitted twice.
    """
    return ctx.session[STATE_KEY]["id"]


def _save(ctx: Context, dialogue: Dialogue, stage: str, data: dict[str, Any]) -> None:
    previous = ctx.session.get(STATE_KEY) or {}
    ctx.session[STATE_KEY] = {
        "name": dialogue.name,
        "id": previous.get("id") or secrets.token_hex(8),
        "step": stage,
        "data": data,
        "at": int(time.time()),
    }
