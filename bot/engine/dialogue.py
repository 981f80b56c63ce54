"""Guided dialogues declared as data, and the one engine that runs them.

A dialogue is a list of steps (prompt, what kinds of message it takes, how to
read the answer, whether it may be skipped or collect several messages), a
summary and a submit function. The engine keeps its state in the resident's
session, which the delivery layer loads from and saves to the store once per
message with a TTL. ``取消``, ``跳过``, ``确认``, ``好了`` and ``帮助`` mean the
same in every dialogue.

A dialogue may start with a matter the resident already said (``我要投诉路灯坏了``:
``Dialogue.carry`` puts it in). At the summary, the resident changes one answer by its
line (``改 2``, ``改 电话``, ``电话写错了``): the steps behind that line are asked again,
then the summary comes back. Each prompt says where the resident is: ``第N步，共M步``
when the steps ahead are fixed, ``最多M步`` while a later step depends on an answer not
given yet (a step's condition assumes the longer branch until then, so M never grows),
``最后一步`` on the last one.
"""

from __future__ import annotations

import re
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
from bot.models import Body, DialogueMark
from bot.privacy import Resident
from bot.staff import bodies
from bot.wechat.replies import Reply, Text

if TYPE_CHECKING:
    from wechatpy.messages import BaseMessage

CANCEL = "取消"
SKIP = "跳过"
CONFIRM = "确认"
DONE = "好了"
DONE_WORDS = frozenset({DONE, "完成", "发完了"})
HELP_WORDS = frozenset({"帮助", "?", "help"})
DIALOGUE_WORDS = frozenset({CANCEL, SKIP, CONFIRM}) | DONE_WORDS

KIND_NAMES = {"text": "文字", "image": "图片", "location": "位置", "voice": "语音"}

STATE_KEY = "dialogue"
#: Where a handler leaves an offer to start a dialogue (``Context.offer``); it lasts one message.
OFFER_KEY = "offer"
CONFIRM_STAGE = "__confirm__"
#: A mark older than this is forgotten rather than reported as an interruption.
MARK_MEMORY = timedelta(hours=6)


class Invalid(ValueError):
    """The answer cannot be used; the message says what to send instead."""


@dataclass(frozen=True)
class Answer:
    """One message sent as the answer to a step; ``kind`` is ``text`` for a voice note with
    a transcript (``text`` is the transcript)."""

    text: str
    message: BaseMessage
    kind: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", self.message.type)


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
    #: Whether the step is asked, from the answers so far. Before the answer it depends on
    #: is given, it assumes the branch with more steps, so that step counts never grow.
    ask_if: Callable[[dict[str, Any]], bool] | None = None
    #: For a step taking several messages: what to say one arrived (``已收到照片。``).
    received: Callable[[Any], str] | None = None

    def applies(self, data: dict[str, Any]) -> bool:
        return self.ask_if is None or self.ask_if(data)


@dataclass(frozen=True)
class Line:
    """One line of the summary, and the steps asked again to change it (none: it cannot be).

    ``words`` are other names a resident uses for it (``电话`` for ``联系方式``); ``clear``
    removes the old answer, when that is not simply removing ``fields`` (the photos of a
    complaint are part of its content).
    """

    label: str
    value: str
    fields: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    clear: Callable[[dict[str, Any]], None] | None = None


@dataclass(frozen=True)
class Dialogue:
    name: str
    title: str
    steps: tuple[Step, ...]
    summary: Callable[[dict[str, Any]], list[Line]]
    submit: Callable[[Context, dict[str, Any]], Reply | str]
    intro: str = ""
    timeout: int | None = None
    #: Checked before each answer is read: a reason to refuse it for now (e.g. a rate limit).
    guard: Callable[[Context], str | None] | None = None
    #: Puts a matter said before the dialogue began into the answers (``我要投诉路灯坏了``) and
    #: says so; an empty string when it could not be used (the step then asks for it). It is
    #: given the message that began the dialogue too (a voice note is kept with its words).
    carry: Callable[[Context, str, dict[str, Any]], str] | None = None
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", frozenset(s.field for s in self.steps))

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.field == name), None)

    def next_step(self, after: str | None, data: dict[str, Any]) -> Step | None:
        """The next step that applies and is not answered yet (a correction skips the rest)."""
        names = [s.field for s in self.steps]
        start = 0 if after is None else names.index(after) + 1
        return next(
            (s for s in self.steps[start:] if s.applies(data) and s.field not in data), None
        )


class Registry(Protocol):
    """What a handler may ask of the router that runs it (``bot.engine.router.Router``)."""

    dialogues: dict[str, Dialogue]
    #: The word that starts each dialogue, by name.
    dialogue_words: dict[str, str]

    def help_text(self) -> str: ...


@dataclass
class Context:
    """One message on its way through a handler, with the resident's session.

    ``kind`` is the message's type, ``text`` for a voice note with a transcript (``text``
    is then the transcript). ``offer``: what the resident's previous reply offered to start
    (``OFFER_KEY``), taken from the session as this message arrived. ``body_id``: the body
    (town) the resident is served by, set from the account they wrote to and their choice
    of town; None means the default body (the single-town ``/wechat``). Handlers read it as
    ``ctx.body``.
    ``account``: the slug of the account the message came to (``""``: the
    ``SUNSHINE_WECHAT_*`` one).
    """

    message: BaseMessage
    session: dict[str, Any]
    router: Registry
    text: str = ""
    argument: str = ""
    kind: str = ""
    offer: dict[str, Any] | None = None
    body_id: int | None = None
    account: str = ""
    #: What the help text ends with here (on a county account: the town, and how to change it).
    help_note: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = self.message.type

    @property
    def openid(self) -> str:
        return self.message.source

    @property
    def body(self) -> Body:
        """The body this message is answered for, read on first use (one primary-key read,
        or the default body's), then kept by the session's identity map."""
        session = get_session()
        body = bodies.default(session) if self.body_id is None else session.get(Body, self.body_id)
        if body is None:
            raise LookupError("no body to answer for: run `sunshine seed` or `sunshine body add`")
        self.body_id = body.id
        return body

    @property
    def resident(self) -> Resident:
        """Who wrote: their openid on this account (another account's is another resident)."""
        return Resident(self.message.source, self.account)

    def start(self, name: str) -> Text:
        return start(self, self.router.dialogues[name])

    def help_text(self) -> str:
        """The router's help text, with this resident's note (``help_note``)."""
        text = self.router.help_text()
        return f"{text}\n{self.help_note}" if self.help_note else text


def normalise(text: str) -> str:
    """Fold full-width forms and case so that ``？`` is ``?`` and ``ＳＱ`` is ``sq``."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def active_state(session: dict[str, Any]) -> dict[str, Any] | None:
    return session.get(STATE_KEY)


def timed_out(state: dict[str, Any], dialogue: Dialogue, default_timeout: int) -> bool:
    limit = dialogue.timeout or default_timeout
    return time.time() - state.get("at", 0) > limit


def start(ctx: Context, dialogue: Dialogue, carried: str = "") -> Text:
    """Begin ``dialogue``; ``carried``: the matter the resident already said, if any."""
    previous = active_state(ctx.session)
    lead = ""
    if previous and previous.get("name") != dialogue.name:
        old = ctx.router.dialogues.get(previous.get("name", ""))
        if old:
            lead = f"已退出之前填写的“{old.title}”。\n"
            DIALOGUES.labels(dialogue=old.name, outcome="replaced").inc()
    data: dict[str, Any] = {}
    said = dialogue.carry(ctx, carried, data) if carried and dialogue.carry else ""
    # Answered by the carried matter and never asked (a step taking several messages is).
    given = [step.field for step in dialogue.steps if step.field in data and not step.many]
    # A step taking several messages stays open after a carried one: more may follow.
    first = next(
        (s for s in dialogue.steps if s.applies(data) and (s.many or s.field not in data)), None
    )
    if first is None:
        raise ValueError(f"dialogue {dialogue.name} has no step left to ask")
    ctx.session.pop(STATE_KEY, None)
    _save(ctx, dialogue, first.field, data, given=given)
    _mark(ctx.resident, dialogue.name)
    DIALOGUES.labels(dialogue=dialogue.name, outcome="started").inc()
    intro = f"{dialogue.intro}\n" if dialogue.intro else ""
    if said and first.many and first.field in data:  # what was said opens this step: more?
        prompt = _position(dialogue, first, data, given) + f"说完请回复“{DONE}”。"
    else:
        prompt = _prompt(dialogue, first, data, given=given)
    said = f"{said}\n" if said else ""
    # What the resident said is echoed: the reply is kept sealed for WeChat's retries.
    return Text(
        lead + intro + said + prompt + f"\n（随时回复“{CANCEL}”可退出）", private=bool(said)
    )


def handle(ctx: Context, dialogue: Dialogue, state: dict[str, Any]) -> Reply:
    """Take one message as the answer to the current step of ``dialogue``."""
    data: dict[str, Any] = state.get("data", {})
    stage: str = state.get("step", "")
    given: list[str] = state.get("given", [])
    editing: bool = state.get("editing", False)
    word = normalise(ctx.text) if ctx.kind == "text" else ""

    if word == CANCEL:
        end(ctx)
        DIALOGUES.labels(dialogue=dialogue.name, outcome="cancelled").inc()
        again = ctx.router.dialogue_words.get(dialogue.name, "")
        restart = f"需要时发送“{again}”重新开始，" if again else ""
        return Text(
            f"已取消“{dialogue.title}”，没有提交任何内容。{restart}发送“帮助”可查看其他功能。"
        )

    if stage == CONFIRM_STAGE:
        if word == CONFIRM:
            reply = dialogue.submit(ctx, data)
            end(ctx)
            DIALOGUES.labels(dialogue=dialogue.name, outcome="completed").inc()
            return Text(reply) if isinstance(reply, str) else reply
        return _correct(ctx, dialogue, data, given, ctx.text if ctx.kind == "text" else "")

    step = dialogue.step(stage)
    if step is None:  # a release changed the steps under a dialogue in progress
        end(ctx)
        return Text(f"“{dialogue.title}”的填写步骤已更新，请重新开始。")

    def prompt() -> str:
        return _prompt(dialogue, step, data, given=given, editing=editing)

    def save() -> None:
        _save(ctx, dialogue, step.field, data, given=given, editing=editing)

    if word in HELP_WORDS:
        return Text(prompt() + f"\n（回复“{CANCEL}”可退出）")
    if word == CONFIRM:
        return Text("还有内容没有填完。\n" + prompt())
    if word == SKIP:
        if not step.optional and not (step.many and data.get(step.field)):
            return Text("这一步不能跳过。\n" + prompt())
        data.setdefault(step.field, [] if step.many else None)
        return _advance(ctx, dialogue, step, data, given, editing)
    if step.many and word in DONE_WORDS:
        if not data.get(step.field) and not step.optional:
            return Text("还没有收到内容。\n" + prompt())
        data.setdefault(step.field, [])
        return _advance(ctx, dialogue, step, data, given, editing)

    if ctx.kind not in step.kinds:
        if ctx.kind == "voice":  # WeChat gave no transcript
            return Text("这条语音没能转成文字，这一步请打字发送。\n" + prompt())
        wanted = "或".join(KIND_NAMES.get(k, k) for k in sorted(step.kinds))
        return Text(f"这一步请发送{wanted}。\n" + prompt())
    refusal = dialogue.guard(ctx) if dialogue.guard else None
    if refusal:
        save()
        return Text(refusal)
    try:
        value = step.parse(Answer(ctx.text, ctx.message, ctx.kind))
    except Invalid as problem:
        save()
        return Text(str(problem))

    if step.many:
        data.setdefault(step.field, []).append(value)
        save()
        arrived = step.received(value) if step.received else "已收到。"
        return Text(f"{arrived}还可以继续发送；发完请回复“{DONE}”。")
    data[step.field] = value
    return _advance(ctx, dialogue, step, data, given, editing)


def end(ctx: Context) -> None:
    if ctx.session.pop(STATE_KEY, None) is not None:
        _unmark(ctx.resident)


def interrupted(ctx: Context) -> str | None:
    """The name of a dialogue whose state vanished (Redis lost it), forgetting the mark."""
    session = get_session()
    mark = session.get(DialogueMark, ctx.resident.pseudonym)
    if mark is None:
        return None
    session.delete(mark)
    session.commit()
    return mark.dialogue if clock.now() - mark.started_at < MARK_MEMORY else None


def _mark(resident: Resident, name: str) -> None:
    session = get_session()
    session.merge(
        DialogueMark(openid_hash=resident.pseudonym, dialogue=name, started_at=clock.now())
    )
    session.commit()


def _unmark(resident: Resident) -> None:
    session = get_session()
    mark = session.get(DialogueMark, resident.pseudonym)
    if mark is not None:
        session.delete(mark)
        session.commit()


def _advance(
    ctx: Context,
    dialogue: Dialogue,
    step: Step,
    data: dict[str, Any],
    given: list[str],
    editing: bool,
) -> Text:
    following = dialogue.next_step(step.field, data)
    if following is None:
        return _summary(ctx, dialogue, data, given)
    _save(ctx, dialogue, following.field, data, given=given, editing=editing)
    return Text(_prompt(dialogue, following, data, given=given, editing=editing))


def _summary(ctx: Context, dialogue: Dialogue, data: dict[str, Any], given: list[str]) -> Text:
    """The answers to check before ``确认``, numbered for a correction.

    They are shown as typed (ID numbers masked, as they are checked when typed), so the
    reply is marked private: it is kept sealed for WeChat's retries.
    """
    for step in dialogue.steps:  # answers a correction made moot (a phone, then skipped)
        if step.field in data and not step.applies(data):
            del data[step.field]
    _save(ctx, dialogue, CONFIRM_STAGE, data, given=given)
    lines = dialogue.summary(data)
    listed = "\n".join(f"{n}. {line.label}：{line.value}" for n, line in enumerate(lines, 1))
    return Text(f"请核对您填写的“{dialogue.title}”：\n{listed}\n{CONFIRM_HINT}", private=True)


CONFIRM_HINT = (
    f"无误请回复“{CONFIRM}”提交；要改哪一项，回复“改”加序号，如“改 2”；回复“{CANCEL}”放弃。"
)
#: ``改 2``, ``修改电话``, ``重填第3项``; ``电话写错了``, ``第2行不对``; a bare ``2``.
_CHANGE = re.compile(
    r"^(?:我)?(?:要|想)?(?:改|修改|更改|更正|重填|重新填|重写|重新写)(?:一下)?"
    r"\s*第?\s*(?P<what>.*?)\s*[项行条]?$"
)
_WRONG = re.compile(
    r"^把?\s*第?\s*(?P<what>.*?)\s*[项行条]?\s*"
    r"(?:写错了|填错了|打错了|输错了|弄错了|搞错了|错了|不对|有误|要改|需要改|改一下|改改)$"
)
_BARE_NUMBER = re.compile(r"^\d{1,2}$")


def _correct(
    ctx: Context, dialogue: Dialogue, data: dict[str, Any], given: list[str], text: str
) -> Text:
    """At the summary: ask again the steps behind the line the resident wants to change."""
    lines = dialogue.summary(data)
    folded = normalise(text)
    found = _CHANGE.match(folded) or _WRONG.match(folded) or _BARE_NUMBER.match(folded)
    if found is None:
        return Text(CONFIRM_HINT)
    what = found.groupdict().get("what", found.group())
    how = "请回复“改”加序号，如“改 2”（序号见核对内容每行的开头）。"
    if not what:
        return Text(f"要改哪一项？{how}")
    line = _line(lines, what)
    if line is None:
        return Text(f"没有找到“{what}”这一项。{how}")
    if not line.fields:
        return Text(f"“{line.label}”不能在这里改；要改它，请回复“{CANCEL}”后重新开始。")
    if line.clear is not None:
        line.clear(data)
    else:
        for name in line.fields:
            data.pop(name, None)
    given = [name for name in given if name not in line.fields]
    step = next((s for s in dialogue.steps if s.field in line.fields and s.applies(data)), None)
    if step is None:
        return _summary(ctx, dialogue, data, given)
    _save(ctx, dialogue, step.field, data, given=given, editing=True)
    prompt = _prompt(dialogue, step, data, given=given, editing=True)
    return Text(f"好的，请重新填写“{line.label}”。\n{prompt}\n（改完会再请您核对）")


def _line(lines: list[Line], what: str) -> Line | None:
    """The line ``what`` names: its number, or (the longest match of) its label or words."""
    if what.isdigit():
        number = int(what)
        return lines[number - 1] if 1 <= number <= len(lines) else None
    named = [
        (len(name), line)
        for line in lines
        for name in (line.label, *line.words)
        if name and (name in what or what in name)
    ]
    return max(named, key=lambda found: found[0])[1] if named else None


def _prompt(
    dialogue: Dialogue,
    step: Step,
    data: dict[str, Any],
    *,
    given: list[str] | None = None,
    editing: bool = False,
) -> str:
    head = "（修改）" if editing else _position(dialogue, step, data, given or [])
    text = head + step.prompt
    if step.many:
        text += f"\n可发送多条，发完请回复“{DONE}”。"
    if step.optional:
        text += f"\n不需要可回复“{SKIP}”。"
    return text


def _position(dialogue: Dialogue, step: Step, data: dict[str, Any], given: list[str]) -> str:
    """``（第N步，共M步）``, ``（第N步，最多M步）`` or ``（第N步，最后一步）``."""
    skipped = set(given) - {step.field}  # answered by a carried matter: never asked
    asked = [s for s in dialogue.steps if s.applies(data) and s.field not in skipped]
    position = next((i for i, s in enumerate(asked, 1) if s.field == step.field), 1)
    later = dialogue.steps[dialogue.steps.index(step) + 1 :]
    if position == len(asked):
        return f"（第{position}步，最后一步）"
    if any(s.ask_if is not None for s in later):
        return f"（第{position}步，最多{len(asked)}步）"
    return f"（第{position}步，共{len(asked)}步）"


def submission_id(ctx: Context) -> str:
    """A random id of the dialogue in progress, the same for every step of it.

    ``submit`` functions store it with what they write, under a unique constraint,
    so that one dialogue can never be submitted twice.
    """
    return ctx.session[STATE_KEY]["id"]


def _save(
    ctx: Context,
    dialogue: Dialogue,
    stage: str,
    data: dict[str, Any],
    *,
    given: list[str] | None = None,
    editing: bool = False,
) -> None:
    """Keep the dialogue's state; ``given``: fields a carried matter answered (never asked),
    ``editing``: a correction is under way (the summary comes back after it)."""
    previous = ctx.session.get(STATE_KEY) or {}
    state = {
        "name": dialogue.name,
        "id": previous.get("id") or secrets.token_hex(8),
        "step": stage,
        "data": data,
        "at": int(time.time()),
    }
    if given:
        state["given"] = given
    if editing:
        state["editing"] = True
    ctx.session[STATE_KEY] = state
