"""Lists of items as chat text: numbered, with links, paged by ``下一页``, within WeChat's limit.

The page a resident is on is kept in their session (``ctx.session["listing"]``):
the query (``None`` for the latest items) and where the next page starts. A page
holds up to ``PAGE_SIZE`` items, fewer when long titles would pass the
2047-byte limit of a text reply; the next page starts after the last one shown.
"""

from __future__ import annotations

from typing import Any

from bot.content.search import Entry, Results, get_index
from bot.db import get_session
from bot.models import Body
from bot.staff.bodies import pages_path
from bot.urls import public_url
from bot.wechat.replies import TEXT_MAX_BYTES

PAGE_SIZE = 5
TITLE_MAX_CHARS = 40
SESSION_KEY = "listing"
EXAMPLE_MARK = "【示例】"
QUOTE_CHARS = 20


def first_page(session: dict[str, Any], body: Body, query: str | None) -> tuple[str, bool]:
    """The first page of ``query`` in a body's items (``None``: the latest items), and whether
    anything matched."""
    results = _results(body, query)
    if not results.total:
        session.pop(SESSION_KEY, None)
        return "", False
    return _page(session, body, results, 0), True


def next_page(session: dict[str, Any], body: Body) -> str:
    state = session.get(SESSION_KEY)
    if not state:
        return "请先发送要找的内容，例如“低保”，或发送“最新”，再回复“下一页”看更多。"
    results = _results(body, state["query"])
    offset = int(state["offset"])
    if offset >= results.total:
        return (
            f"没有更多了：{_what(results)}共{results.total}条，已经全部列出。"
            "发送其他关键词可以继续查找。"
        )
    return _page(session, body, results, offset)


def _results(body: Body, query: str | None) -> Results:
    index = get_index(get_session(), body.id)
    return index.latest() if query is None else index.search(query)


def _what(results: Results) -> str:
    if not results.query:
        return "最新公开的信息"
    quoted = results.query[:QUOTE_CHARS] + ("…" if len(results.query) > QUOTE_CHARS else "")
    return f"与“{quoted}”有关的信息"


def _page(session: dict[str, Any], body: Body, results: Results, offset: int) -> str:
    if offset == 0:
        heading = f"{_what(results)}，共{results.total}条："
    else:
        heading = f"{_what(results)}，第{offset + 1}条起（共{results.total}条）："
    more = "回复“下一页”看更多。"
    done = "已经全部列出。发送其他关键词可以继续查找。"
    room = TEXT_MAX_BYTES - _size(heading) - max(_size(more), _size(done)) - 2
    blocks: list[str] = []
    for number, entry in enumerate(results.page(offset, PAGE_SIZE), start=offset + 1):
        block = describe(body, number, entry)
        if blocks and _size("\n".join([*blocks, block])) > room:
            break
        blocks.append(block)
    shown_until = offset + len(blocks)
    session[SESSION_KEY] = {"query": results.query or None, "offset": shown_until}
    footer = more if shown_until < results.total else done
    return "\n".join([heading, *blocks, footer])


def best_match(body: Body, query: str) -> str | None:
    """The one item of a body most about ``query`` (its title and link), or None when none is."""
    results = _results(body, query)
    if not results.total:
        return None
    entry = results.page(0, 1)[0]
    mark = EXAMPLE_MARK if entry.is_example else ""
    return f"{mark}{entry.title}\n{item_url(body, entry.id)}"


def item_url(body: Body, item_id: int) -> str:
    return public_url(pages_path(get_session(), body, f"/items/{item_id}"))


def describe(body: Body, number: int, entry: Entry) -> str:
    """``1.【示例】标题`` / date and document number / link."""
    title = entry.title
    if len(title) > TITLE_MAX_CHARS:
        title = title[: TITLE_MAX_CHARS - 1] + "…"
    mark = EXAMPLE_MARK if entry.is_example else ""
    detail = f"{entry.published_on:%Y-%m-%d}｜{entry.doc_number or entry.category}"
    return f"{number}. {mark}{title}\n{detail}\n{item_url(body, entry.id)}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
