"""Plain sentences: what a resident means when they write (or say) one instead of a command.

Each capability declares on its ``Capability``, beside its commands, the ways a
sentence means it (``Sense``: words, patterns, or nothing but certain phrases) and,
for a dialogue, the verbs that ask for it (``Request``: ``投诉`` in ``我要投诉路灯坏了``).
The router reads a sentence that is no command in ``Stage`` order, the first stage
with a match wins, and only then searches the catalogue:

1. ``CASE``: the resident's own case — a tracking number, ``进度``, ``有回音没``. First,
   because ``我的投诉处理得咋样了`` names a complaint without asking to file one.
2. ``REQUEST``: asking to file something — ``我要投诉…``, ``想举报``, ``我想申请公开…``.
   The dialogue starts with the rest of the sentence carried in as the matter.
3. ``ANSWER``: a standing answer — the annual report, how to reach the office, help.
4. ``GRIEVANCE``: an account of something wrong, without asking for anything — offered
   as a complaint. After the answers, so ``座机老没人接`` asks for the phone number.
5. ``COURTESY``: nothing but a greeting or thanks. Last, so ``您好 我要投诉`` and
   ``…希望领导重视 谢谢`` are read for what they ask.

Within a stage the capabilities are tried in their ``order``; among requests, the
one asked earliest in the sentence wins. Matching runs on a folded copy of the text
(full-width forms and capitals folded one character for one, so positions hold) and,
for words, on that copy without spaces. Word lists of the language itself (fillers,
greetings at the edge of a matter, who asks whom) are here; what a capability means
is in its module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from bot.engine.dialogue import Context
from bot.wechat.replies import Reply

Handler = Callable[[Context], Reply | str]


class Stage(IntEnum):
    """The order in which a sentence is read (see the module docstring)."""

    CASE = 1
    REQUEST = 2
    ANSWER = 3
    GRIEVANCE = 4
    COURTESY = 5


#: How much of a sentence is read: WeChat's longest text message, with room to spare. A
#: longer (crafted) one is read by its beginning; a matter it carries is still all of it.
MAX_READ = 6000
#: Sign-offs are looked for in this many characters at the end of a matter.
SIGN_OFF_WINDOW = 40

#: Full-width forms to ASCII and capitals to lower case, one character for one.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_FOLD |= {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_SPACE = re.compile(r"\s+")
#: What is neither a word nor a number: punctuation, emoji, spaces.
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")

#: Sounds and small words that carry nothing on their own.
FILLERS = (
    "嗯",
    "啊",
    "呀",
    "吗",
    "么",
    "呢",
    "哈",
    "嘛",
    "吧",
    "哦",
    "噢",
    "呐",
    "啦",
    "了",
    "的",
    "呃",
    "额",
    "哎",
    "诶",
    "那个",
    "这个",
    "就是说",
    "就是",
    "那啥",
    "这会儿",
    "还",
    "也",
    "一下",
    "你们",
    "你",
    "您",
    "俺",
    "我",
    "给",
    "镇里",
    "请问",
    "同志",
    "领导",
    "大姐",
    "大哥",
    "闺女",
    "工作人员",
)

#: At the edges of a matter carried into a dialogue: what frames it rather than says it.
_GREETING = (
    r"尊敬的(?:各位)?领导(?:你们?好|您好)?|(?:领导|同志|大姐|大哥)?(?:你们?好|您好)|(?:领导|同志)好"
    r"|(?:早上|上午|中午|下午|晚上)好|打扰(?:一下|了)|(?:领导|同志)(?=[\s,，:：!！])"
)
_SELF = r"(?:我|俺|本人)(?:是|系)[^\s,.!?，。！？、]{1,16}"
_LEAD_IN = (
    r"嗯+|啊|呃|那个|就是说?|那就|那啥|是这样的?|有(?:个|件|一个|一件)(?:事儿?|情况|问题)"
    r"|(?:网上|这里|这上面)?(?:没找到|没查到|找不到|查不到|查不着|找不着)"
    r"|(?:投诉|举报|反映|建议|申请)的(?:是|内容是)|(?:内容|事情|情况|问题)(?:是|如下)|请提供|以下"
)
_SIGN_OFF = (
    r"谢谢(?:了|你们|领导)?|麻烦(?:你们|领导)?了|辛苦(?:你们|领导)?了|拜托(?:你们)?了"
    r"|(?:以上)?(?:几点|意见|建议)?仅供参考|(?:此致)?敬礼"
)
_PUNCTUATION = " \t\r\n,.:;!?~、，。：；！？…—-"
_EDGE = r"[\s,.:;!?~、，。：；！？…—\-]*"
_HEAD = re.compile(rf"^{_EDGE}(?:(?:{_GREETING}|{_LEAD_IN}){_EDGE})+")
#: Before a request, a self-introduction is preamble too (``领导好 俺是永安村的 想提个建议``).
#: ``那`` too, left of a ``那就`` whose ``就`` the request took (``查不着 那就申请公开吧``).
_PREAMBLE = re.compile(rf"^{_EDGE}(?:(?:{_GREETING}|{_SELF}|{_LEAD_IN}|那$){_EDGE})+$")
_TAIL = re.compile(rf"(?:{_EDGE}(?:{_SIGN_OFF}))+{_EDGE}$")
#: Right after the request: asking how, not telling what (``投诉怎么投``, ``举报能行不``).
_HOW = re.compile(r"^(?:咋|怎么|怎样|如何|能行|行不|可以吗|可以不|管用|有用吗|找谁)")

#: Who asks, how, what for, and of whom, before a request verb (``我想给镇里提个``).
_LEAD = (
    r"(?P<lead>(?:我们?|俺们?|本人|咱们?)?(?:也|就|还|必须|一定)?(?:实名|匿名|偷摸|偷偷)?"
    r"(?:要|想要|想|需|准备|打算|得)?"
    r"(?:(?:给|向|跟|找|和)(?:你们领导|镇上领导|镇领导|你们|咱们?镇|镇里|镇上|镇政府|政府|上级|领导)?)?"
    r"(?:实名|匿名)?(?:提|有|说)?(?:个|点|一个|一点|一些|几点|几条|条)?小?)"
)
#: What a lead must hold to say the resident wants something (``跟村里反映好几回了`` does not).
_WANTING = re.compile(r"要|想|需|准备|打算|得|给|向|跟|找|提|有|实名|匿名|偷")
#: After a request verb: its object words, and words that make it a noun (``投诉电话``).
_AFTER = (
    r"(?!电话|方式|途径|渠道|信箱|邮箱|热线|中心|平台)"
    r"(?P<tail>(?:一下子?|下|(?:一|这)?(?:个|件|点)(?:事儿?|问题|情况)|问题|(?:一些)?情况|他(?!们)|她(?!们)"
    r"|(?:想|要)?(?:跟|和|给|对)(?:你们|镇里|领导)说(?:说|一下)?|[哈啊吧呀])?)"
)


def fold(text: str) -> str:
    """Full-width forms and capitals folded, one character for one (positions hold)."""
    return text.translate(_FOLD)


def compact(text: str) -> str:
    """``fold``, without spaces: what word lists are matched against."""
    return _SPACE.sub("", fold(text))


def tidy(text: str) -> str:
    """A matter without the greeting and lead-in before it, the thanks after it, and the
    punctuation around it (``您好 就是说俺们屯…谢谢`` → ``俺们屯…``)."""
    text = _HEAD.sub("", text.strip())
    cut = max(len(text) - SIGN_OFF_WINDOW, 0)  # sign-offs are short: look at the end only
    return (text[:cut] + _TAIL.sub("", text[cut:])).strip(_PUNCTUATION)


def _alternatives(sources: Sequence[str]) -> str:
    return "|".join(sorted(sources, key=len, reverse=True))


@dataclass(frozen=True)
class Sense:
    """One way a plain sentence means ``handler``.

    It matches when any of ``words`` occurs (spaces ignored), any of ``patterns``
    (regular expressions) matches, or the sentence is nothing but ``only`` phrases and
    fillers; never when one of ``unless`` occurs or the sentence is longer than
    ``max_chars``. ``longer_than``: any sentence longer than this matches, ``unless`` or not.
    """

    stage: Stage
    handler: Handler
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    max_chars: int | None = None
    longer_than: int | None = None
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False)
    _only: re.Pattern[str] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_patterns", tuple(re.compile(p) for p in self.patterns))
        phrases = [re.escape(p) for p in self.only]
        only = re.compile(_alternatives(phrases)) if phrases else None
        object.__setattr__(self, "_only", only)

    def matches(self, folded: str) -> bool:
        squeezed = _SPACE.sub("", folded)
        if self.max_chars is not None and len(squeezed) > self.max_chars:
            return False
        if self.longer_than is not None and len(squeezed) > self.longer_than:
            return True
        if any(word in squeezed for word in self.unless):
            return False
        if any(word in squeezed for word in self.words):
            return True
        if any(pattern.search(folded) for pattern in self._patterns):
            return True
        return self._only is not None and _nothing_but(self._only, squeezed)


_FILLER = re.compile(_alternatives([re.escape(f) for f in FILLERS]))


def _nothing_but(phrases: re.Pattern[str], squeezed: str) -> bool:
    """Whether ``squeezed`` holds one of ``phrases`` and nothing else but fillers."""
    rest, found = phrases.subn(" ", squeezed)
    return found > 0 and not _NOT_WORD.sub("", _FILLER.sub("", rest))


@dataclass(frozen=True)
class Request:
    """Asking to file something, for ``handler``'s dialogue.

    ``verbs`` (regular expressions: ``投诉``, ``反映``) ask for it when the resident wants it
    (``我要投诉…``, ``想跟领导反映…``), opens with it (``投诉：…``) or ends with it
    (``…我要投诉``); ``explicit`` ones (``申请公开``) wherever they stand. ``patterns`` name
    the matter in a group ``matter`` (``能把(?P<matter>…)给我看看``).
    """

    handler: Handler
    verbs: tuple[str, ...]
    explicit: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    _asking: re.Pattern[str] = field(init=False, repr=False)
    _explicit: re.Pattern[str] = field(init=False, repr=False)
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        verbs = _alternatives((*self.verbs, *self.explicit))
        asking = re.compile(rf"{_LEAD}\s*(?P<verb>{verbs}){_AFTER}")
        object.__setattr__(self, "_asking", asking)
        object.__setattr__(self, "_explicit", re.compile(_alternatives(self.explicit) or "(?!)"))
        object.__setattr__(self, "_patterns", tuple(re.compile(p) for p in self.patterns))

    def find(self, text: str, folded: str) -> tuple[int, str] | None:
        """Where the request is asked in ``text`` and the matter it carries, or None."""
        for pattern in self._patterns:
            found = pattern.search(folded)
            if found and "matter" in pattern.groupindex:
                return found.start(), tidy(text[found.start("matter") : found.end("matter")])
        start = 0
        while (found := self._asking.search(folded, start)) is not None:
            wanted = self._explicit.fullmatch(found["verb"]) or _WANTING.search(found["lead"])
            matter = _matter(text, found, wanted=bool(wanted))
            if matter is not None:
                return found.start(), matter
            start = found.start() + 1
        return None


def _matter(text: str, found: re.Match[str], *, wanted: bool) -> str | None:
    """The matter around an accepted request phrase; None when the phrase asks for nothing
    (``跟村里反映好几回了``: no one wants anything, it is part of an account)."""
    before, after = text[: found.start()], text[found.end() :]
    opening = not before.strip() or bool(_PREAMBLE.match(before))
    closing = not tidy(after)
    if not (opening or closing or wanted):
        return None
    after = tidy(after)
    if _HOW.match(after):
        return ""  # 投诉怎么投: a question about the request itself
    if opening:
        return after
    if not after:
        return tidy(before)
    return tidy(text)  # asked in the middle of an account: all of it is the matter


@dataclass(frozen=True)
class Reading:
    """What a sentence was read as: the handler, and the matter a request carries."""

    handler: Handler
    stage: Stage
    matter: str = ""


class Understanding:
    """The senses and requests of every capability, applied in ``Stage`` order."""

    def __init__(self, senses: Sequence[Sense], requests: Sequence[Request]) -> None:
        self.senses = sorted(senses, key=lambda sense: sense.stage)
        self.requests = list(requests)

    def read(self, text: str) -> Reading | None:
        text = text.strip()
        folded = fold(text[:MAX_READ])
        if not folded:
            return None
        for stage in Stage:
            if stage is Stage.REQUEST:
                asked = self._request(text, folded)
                if asked is not None:
                    return asked
                continue
            for sense in self.senses:
                if sense.stage is stage and sense.matches(folded):
                    return Reading(sense.handler, stage)
        return None

    def _request(self, text: str, folded: str) -> Reading | None:
        earliest: tuple[int, Reading] | None = None
        for request in self.requests:
            found = request.find(text, folded)
            if found is not None and (earliest is None or found[0] < earliest[0]):
                earliest = found[0], Reading(request.handler, Stage.REQUEST, found[1])
        return earliest[1] if earliest else None


#: Sounds a transcript of a voice note starts or ends with, and its closing punctuation.
_SPOKEN_HEAD = re.compile(r"^(?:(?:嗯+|啊+|呃+|额+|哎|那个|就是说|就是)[\s,，。、]*)+")
_SPOKEN_TAIL = re.compile(r"(?:[\s,，、]*(?:嗯+|啊+|呃+|额+))*[\s。.！!？?，,]*$")
_SPOKEN_INNER = re.compile(r"(?<=[，,。、\s])(?:嗯+|啊+|呃+|额+)[，,、\s]*")


def transcript(recognition: str) -> str:
    """What a voice note says, as if typed: WeChat's recognition without the sounds around
    the words (``嗯，那个，我要投诉路灯坏了。`` → ``我要投诉路灯坏了``)."""
    text = _SPOKEN_HEAD.sub("", recognition.strip())
    text = _SPOKEN_INNER.sub("", text)
    return _SPOKEN_TAIL.sub("", text).strip()
