"""Which handler answers a message.

Each module in ``handlers/`` creates a ``Capability`` and declares on it, beside
the code, the words, menu keys, events, message types and dialogues it answers,
and the plain sentences that mean it (``bot.engine.sentences``). ``create_app``
builds the router from ``handlers.CAPABILITIES`` once at start-up; the help text is
built from what was declared, so a new capability is one new module (and its line in
``handlers/__init__.py``).

Text outside a dialogue goes to the first of: a command word (``年报``), a command
prefix (``年报 2017``), a plain sentence read in ``Stage`` order (``去年的年报``), the
search. A voice note with a transcript is that text, in and out of dialogues.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, g

from bot.engine import dialogue as dialogues
from bot.engine import towns
from bot.engine.dialogue import DIALOGUE_WORDS, OFFER_KEY, Context, Dialogue, normalise
from bot.engine.sentences import Handler, Request, Sense, Stage, Understanding, transcript
from bot.metrics import DIALOGUES
from bot.wechat.messages import Inbound
from bot.wechat.replies import SILENCE, Reply, Text

#: A handler as declared, its type kept by the decorators that register it.
Declared = TypeVar("Declared", bound=Handler)
ANY_MESSAGE = "*"


@dataclass(frozen=True)
class Command:
    word: str
    handler: Handler
    prefix: bool
    help: str | None


@dataclass
class Capability:
    """What one handler module answers. ``order`` places it in the help text."""

    name: str
    order: int = 100
    commands: list[Command] = field(default_factory=list)
    menu_keys: dict[str, Handler] = field(default_factory=dict)
    events: dict[str, Handler] = field(default_factory=dict)
    message_types: dict[str, Handler] = field(default_factory=dict)
    fallbacks: list[Handler] = field(default_factory=list)
    dialogues: list[tuple[Dialogue, str]] = field(default_factory=list)
    stateless: set[Handler] = field(default_factory=set)
    senses: list[Sense] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def command(
        self,
        *words: str,
        prefix: bool = False,
        help: str | None = None,
        stateless: bool = False,
    ) -> Callable[[Declared], Declared]:
        """Answer text equal to one of ``words`` (or starting with one, when ``prefix``).

        ``stateless``: the answer depends on the text alone — the handler neither reads
        nor changes the session and has no effect — so outside a dialogue it is given
        in one round trip to the store (its menu keys too).
        """

        def register(handler: Declared) -> Declared:
            for index, word in enumerate(words):
                shown = help if index == 0 else None
                self.commands.append(Command(normalise(word), handler, prefix, shown))
            if stateless:
                self.stateless.add(handler)
            return handler

        return register

    def menu(self, *keys: str) -> Callable[[Declared], Declared]:
        """Answer a click on the menu buttons with these event keys."""

        def register(handler: Declared) -> Declared:
            for key in keys:
                self.menu_keys[key] = handler
            return handler

        return register

    def event(self, *names: str) -> Callable[[Declared], Declared]:
        """Answer these events (``subscribe``, ...), by wechatpy's lower-case name."""

        def register(handler: Declared) -> Declared:
            for name in names:
                self.events[name] = handler
            return handler

        return register

    def message(self, *types: str) -> Callable[[Declared], Declared]:
        """Answer non-text messages of these types outside a dialogue (``*``: any)."""

        def register(handler: Declared) -> Declared:
            for kind in types:
                self.message_types[kind] = handler
            return handler

        return register

    def fallback(self, handler: Declared) -> Declared:
        """Answer any other text outside a dialogue."""
        self.fallbacks.append(handler)
        return handler

    def sense(
        self,
        stage: Stage,
        *,
        words: tuple[str, ...] = (),
        patterns: tuple[str, ...] = (),
        only: tuple[str, ...] = (),
        unless: tuple[str, ...] = (),
        max_chars: int | None = None,
        longer_than: int | None = None,
    ) -> Callable[[Handler], Handler]:
        """Answer plain sentences that mean this handler (see ``sentences.Sense``)."""

        def register(handler: Handler) -> Handler:
            self.senses.append(
                Sense(stage, handler, words, patterns, only, unless, max_chars, longer_than)
            )
            return handler

        return register

    def dialogue(
        self,
        dialogue: Dialogue,
        *,
        words: tuple[str, ...] = (),
        menu: tuple[str, ...] = (),
        help: str | None = None,
        guard: Callable[[Context], str | None] | None = None,
        verbs: tuple[str, ...] = (),
        explicit: tuple[str, ...] = (),
        patterns: tuple[str, ...] = (),
        offered: Callable[[Context], str] | None = None,
    ) -> None:
        """Start ``dialogue`` on these words and menu keys, unless ``guard`` refuses (a reason).

        ``verbs``, ``explicit`` and ``patterns``: how a plain sentence asks for it
        (``sentences.Request``); the rest of the sentence is carried in as its matter.
        ``offered``: the matter the resident's previous reply offered to file (``Context.offer``),
        carried in when the resident accepts by sending the dialogue's word.
        """

        def begin(ctx: Context) -> Reply | str:
            refusal = guard(ctx) if guard else None
            if refusal:
                return refusal
            if ctx.argument:  # the sentence carries its own matter: an earlier offer is moot
                ctx.offer = None
                return dialogues.start(ctx, dialogue, ctx.argument)
            return dialogues.start(ctx, dialogue, offered(ctx) if offered else "")

        begin.__name__ = f"start_{dialogue.name}"
        self.dialogues.append((dialogue, words[0] if words else ""))
        self.command(*words, help=help)(begin)
        self.menu(*menu)(begin)
        if verbs or explicit or patterns:
            self.requests.append(Request(begin, verbs, explicit, patterns))


class Router:
    def __init__(self, capabilities: Iterable[Capability]) -> None:
        self.capabilities = sorted(capabilities, key=lambda c: (c.order, c.name))
        self.words: dict[str, Command] = {}
        self.menu_keys: dict[str, Handler] = {}
        self.events: dict[str, Handler] = {}
        self.message_types: dict[str, Handler] = {}
        self.dialogues: dict[str, Dialogue] = {}
        self.dialogue_words: dict[str, str] = {}
        self.stateless: set[Handler] = set()
        fallbacks: list[Handler] = []
        for cap in self.capabilities:
            for command in cap.commands:
                _add(self.words, command.word, command, cap.name)
            for key, handler in cap.menu_keys.items():
                _add(self.menu_keys, key, handler, cap.name)
            for name, handler in cap.events.items():
                _add(self.events, name, handler, cap.name)
            for kind, handler in cap.message_types.items():
                _add(self.message_types, kind, handler, cap.name)
            for dialogue, word in cap.dialogues:
                _add(self.dialogues, dialogue.name, dialogue, cap.name)
                self.dialogue_words[dialogue.name] = word
            fallbacks.extend(cap.fallbacks)
            self.stateless |= cap.stateless
        self.understanding = Understanding(
            [sense for cap in self.capabilities for sense in cap.senses],
            [request for cap in self.capabilities for request in cap.requests],
        )
        if len(fallbacks) != 1:
            raise ValueError(
                f"exactly one text fallback must be registered, found {len(fallbacks)}"
            )
        self.fallback = fallbacks[0]
        self.prefixes = sorted(
            (c for c in self.words.values() if c.prefix), key=lambda c: -len(c.word)
        )
        self.help_lines = [
            c.help for cap in self.capabilities for c in cap.commands if c.help is not None
        ]
        lines = "\n".join(f"· {line}" for line in self.help_lines)
        #: Built once: what was registered does not change while the app runs.
        self._help_text = f"请回复下面的词：\n{lines}\n也可以直接用一句话说要办的事，或者发语音。"

    def help_text(self) -> str:
        return self._help_text

    def respond(self, inbound: Inbound, session: dict[str, Any]) -> Reply:
        """Answer ``inbound``; ``session`` is changed in place and saved by the caller."""
        message = inbound.message
        text, kind = _words_of(message)
        ctx = Context(message, session, self, text=text, kind=kind, account=inbound.account)
        state = dialogues.active_state(session)
        dialogue = self.dialogues.get(state.get("name", "")) if state else None
        if state and dialogue is None:
            dialogues.end(ctx)
        elif state and dialogue is not None:
            timeout = current_app.config["DIALOGUE_TIMEOUT"]
            if dialogues.timed_out(state, dialogue, timeout):
                dialogues.end(ctx)
                DIALOGUES.labels(dialogue=dialogue.name, outcome="timed_out").inc()
                if not inbound.is_event:
                    word = self.dialogue_words.get(dialogue.name, "")
                    minutes = (dialogue.timeout or timeout) // 60
                    return Text(
                        f"您填写的“{dialogue.title}”超过{minutes}分钟没有操作，已自动取消，"
                        f"刚才的消息没有提交。需要时请发送“{word}”重新开始。"
                    )
                dialogue = None
        served = towns.served(inbound.account)
        if len(served) == 1:
            ctx.body_id = served[0].body_id
        elif served:
            g.handler = "towns.settle"
            reply = towns.settle(ctx, served, in_dialogue=dialogue is not None)
            if reply is not None:
                return reply
        if inbound.is_event:
            # wechatpy parses events it does not know (subscribe_msg_popup_event) as unknown.
            return self._event(ctx, dialogue) if message.type == "event" else SILENCE
        if dialogue is not None:
            g.handler = f"dialogue.{dialogue.name}"
            return dialogues.handle(ctx, dialogue, dialogues.active_state(session) or {})
        ctx.offer = session.pop(OFFER_KEY, None)  # an offer lasts one message
        if ctx.kind == "text":
            return self._text(ctx)
        notice = self._interruption(ctx)
        if notice:
            return notice
        handler = self.message_types.get(ctx.kind) or self.message_types.get(ANY_MESSAGE)
        return _call(handler, ctx) if handler else SILENCE

    def _interruption(self, ctx: Context) -> Text | None:
        """Tell a resident whose dialogue state was lost that their last message was not taken."""
        name = dialogues.interrupted(ctx)
        dialogue = self.dialogues.get(name or "")
        if dialogue is None:
            return None
        DIALOGUES.labels(dialogue=dialogue.name, outcome="lost").inc()
        word = self.dialogue_words.get(dialogue.name, "")
        return Text(
            f"抱歉，系统刚才中断过，您填写的“{dialogue.title}”没有保存下来，刚才的消息也没有提交。"
            f"请发送“{word}”重新开始。"
        )

    def respond_statelessly(self, inbound: Inbound) -> Reply | None:
        """The answer to a stateless command or menu click, given outside a dialogue without
        the session; None when the message needs the session (the caller then uses ``respond``).
        """
        message = inbound.message
        ctx = Context(message, {}, self, account=inbound.account)
        served = towns.served(inbound.account)
        if len(served) > 1:
            return None  # the answer is the town's the resident picked, kept in the session
        if served:
            ctx.body_id = served[0].body_id
        if message.type == "text":
            ctx.text = (message.content or "").strip()
            handler = self._command_for(ctx)
        elif message.type == "event" and (message.event or "").lower() == "click":
            handler = self.menu_keys.get(message.key or "")
        else:
            return None
        if handler not in self.stateless:
            return None
        reply = _call(handler, ctx)
        if ctx.session:
            raise RuntimeError(f"{handler.__name__} is declared stateless but wrote the session")
        return reply

    def _command_for(self, ctx: Context) -> Handler | None:
        """The handler of the command ``ctx.text`` is, with its argument put in ``ctx``."""
        folded = unicodedata.normalize("NFKC", ctx.text).strip()
        word = folded.lower()
        command = self.words.get(word)
        if command is None:
            command = next((c for c in self.prefixes if word.startswith(c.word)), None)
        if command is None:
            return None
        ctx.argument = folded[len(command.word) :].strip()
        return command.handler

    def route(self, ctx: Context) -> Handler:
        """The handler of text outside a dialogue: a command's, a sentence's, or the search."""
        return self._command_for(ctx) or self._understood(ctx)

    def _understood(self, ctx: Context) -> Handler:
        """The handler a sentence that is no command means, with the matter it carries (a
        request) or the sentence itself as ``ctx.argument``; the text fallback when none."""
        reading = self.understanding.read(ctx.text)
        if reading is None:
            return self.fallback
        ctx.argument = reading.matter if reading.stage is Stage.REQUEST else ctx.text
        return reading.handler

    def _text(self, ctx: Context) -> Reply:
        handler = self._command_for(ctx)
        if handler is not None:
            return _call(handler, ctx)
        word = unicodedata.normalize("NFKC", ctx.text).strip().lower()
        notice = self._interruption(ctx)
        if notice:
            return notice
        if word in DIALOGUE_WORDS:
            return Text("现在没有正在填写的内容（可能已经提交、取消或超时）。\n" + ctx.help_text())
        return _call(self._understood(ctx), ctx)

    def _event(self, ctx: Context, dialogue: Dialogue | None) -> Reply:
        event = (ctx.message.event or "").lower()
        if event == "click":
            handler = self.menu_keys.get(ctx.message.key or "")
            if handler is None:
                return Text(ctx.help_text())
            before = dialogues.active_state(ctx.session)
            reply = _call(handler, ctx)
            after = dialogues.active_state(ctx.session)
            if dialogue is not None and after is before and isinstance(reply, Text):
                reply = Text(
                    f"{reply.content}\n\n（您正在填写的“{dialogue.title}”还在，"
                    f"发送“帮助”可查看当前这一步）"
                )
            return reply
        handler = self.events.get(event)
        return _call(handler, ctx) if handler else SILENCE


def _words_of(message: Any) -> tuple[str, str]:
    """The text of a message and the kind it counts as: a voice note WeChat transcribed
    counts as that text (``嗯`` and the closing ``。`` removed), one without as a voice."""
    if message.type == "text":
        return (message.content or "").strip(), "text"
    if message.type == "voice":
        said = transcript(message.recognition or "")
        return (said, "text") if said else ("", "voice")
    return "", message.type


def _call(handler: Handler, ctx: Context) -> Reply:
    g.handler = _name_of(handler)
    reply = handler(ctx)
    return Text(reply) if isinstance(reply, str) else reply


@functools.cache
def _name_of(handler: Handler) -> str:
    """How logs and metrics name ``handler``: ``module.function``."""
    return f"{handler.__module__.rpartition('.')[2]}.{handler.__name__}"


def _add(table: dict[str, Any], key: str, value: Any, owner: str) -> None:
    if key in table:
        raise ValueError(f"{key!r} is registered twice (second time by {owner!r})")
    table[key] = value
