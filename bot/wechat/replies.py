"""What a handler answers, and how it becomes passive-reply XML.

wechatpy's reply classes paste text into ``<![CDATA[...]]>`` unescaped, so a
resident's ``]]>`` would close the section and inject elements. Every string is
made safe here before wechatpy renders it: ``]]>`` is split across two CDATA
sections and characters XML 1.0 forbids are dropped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from wechatpy.messages import BaseMessage
from wechatpy.replies import ArticlesReply, TextReply

#: WeChat cuts passive text replies at about 2047-2048 UTF-8 bytes (docs/wechat.md).
TEXT_MAX_BYTES = 2047
TRUNCATION_MARK = "\n……（内容较长，余下部分已省略）"

SILENCE_BODY = "success"

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SENTENCE_END = "。！？；\n"


@dataclass(frozen=True)
class Text:
    """A text reply. ``private``: it shows what the resident typed (their name, phone,
    address), so the copy kept for WeChat's retries is sealed (``bot.wechat.delivery``)."""

    content: str
    private: bool = False


@dataclass(frozen=True)
class Article:
    title: str
    description: str
    url: str
    image: str = ""


@dataclass(frozen=True)
class News:
    """A news (图文) reply. A passive reply to a resident's message may carry one article only."""

    article: Article


@dataclass(frozen=True)
class Silence:
    """Nothing to say: WeChat is answered ``success``."""


SILENCE = Silence()
Reply = Text | News | Silence


def cdata_safe(value: str) -> str:
    """Make ``value`` safe to place inside ``<![CDATA[...]]>``."""
    value = _XML_FORBIDDEN.sub("", value)
    return value.replace("]]>", "]]]]><![CDATA[>")


def trim_text(content: str, limit: int = TEXT_MAX_BYTES) -> str:
    """Cut ``content`` to ``limit`` UTF-8 bytes, at a line or sentence end where one is near."""
    if len(content.encode("utf-8")) <= limit:
        return content
    room = limit - len(TRUNCATION_MARK.encode("utf-8"))
    head = content.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    cut = max(head.rfind(mark) for mark in _SENTENCE_END)
    if cut >= len(head) * 2 // 3:
        head = head[: cut + 1]
    return head.rstrip() + TRUNCATION_MARK


@functools.lru_cache(maxsize=256)
def _safe_text(content: str) -> str:
    """A text reply's content, trimmed and made safe: kept, since most answers are the same
    few texts (help, contact, the report) given again and again."""
    return cdata_safe(trim_text(content))


def render(reply: Reply, message: BaseMessage) -> str:
    """Render ``reply`` as the XML body answering ``message`` (or ``success`` for silence)."""
    if isinstance(reply, Silence):
        return SILENCE_BODY
    addressing = {
        "source": cdata_safe(message.target or ""),
        "target": cdata_safe(message.source or ""),
    }
    if isinstance(reply, Text):
        return TextReply(content=_safe_text(reply.content), **addressing).render()
    article = reply.article
    return ArticlesReply(
        articles=[
            {
                "title": cdata_safe(article.title),
                "description": cdata_safe(article.description),
                "image": cdata_safe(article.image),
                "url": cdata_safe(article.url),
            }
        ],
        **addressing,
    ).render()
