"""Which search index answers a message: built in the background, never while a resident waits.

A process keeps the indexes of the catalogues it searches (``SearchIndex``, one per
catalogue), the least recently used dropped once they hold more than
``SUNSHINE_SEARCH_CACHE_ITEMS`` items, so that a worker of a deployment with hundreds
of towns stays within its memory. A message never waits for a large index:

* a catalogue's index in memory and current answers (a few milliseconds);
* after a change, an index of at most ``INLINE_BUILD_ITEMS`` items is rebuilt at
  once (tens of milliseconds); a larger one keeps answering while a background
  thread rebuilds it;
* with no index in memory, a catalogue of at most ``INLINE_BUILD_ITEMS`` items is
  indexed at once; a larger one is searched in the database: the items holding
  the query's pieces, the best ``CANDIDATES`` by how many they hold (a title
  counting double), ranked by the same scorer reading those alone (``ScannedIndex``,
  no index built for them). Its own index is built in the background once it has
  been asked ``BUILD_AFTER_ASKS`` times, and only if it fits or is asked more than
  the index it would push out (how often each catalogue is asked is counted, the
  counts halved every ``AGE_AFTER_ASKS`` searches): a search in a town nobody else
  asks about costs one query, not an index that would push a busier town's out. A
  build stands aside every ``PAUSE_EVERY`` items, so a message answered meanwhile
  waits for it hardly at all.

Web pages (``/items``) and tools ask for the whole index with ``index_of`` and
may wait for it.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    String,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.content.search import PAUSE_EVERY, SEP, Entry, Results, ScannedIndex, SearchIndex
from bot.db import get_session
from bot.models.content import Item, ItemStatus, catalogue_revision

log = logging.getLogger(__name__)

#: A catalogue of at most this many items is indexed before answering (about 40 ms).
INLINE_BUILD_ITEMS = 500
#: Without an index, the database search ranks at most this many items.
CANDIDATES = 60
#: Query pieces looked up in the database, at most.
MAX_TERMS = 12
#: Searches of a catalogue (counted as below) before its index is built.
BUILD_AFTER_ASKS = 2
#: Searches of all catalogues after which every catalogue's count is halved.
AGE_AFTER_ASKS = 10_000
#: How long a background build stands aside every ``PAUSE_EVERY`` items it indexes.
BUILD_PAUSE_S = 0.0005

#: A catalogue: the published items of one body, by its id.
Scope = int

INDEXED_COLUMNS = (
    Item.id,
    Item.title,
    Item.doc_number,
    Item.category,
    Item.publisher,
    Item.summary,
    Item.body,
    Item.published_on,
    Item.channel,
    Item.is_example,
)
_HEAD_COLUMNS = (Item.title, Item.doc_number)
_TEXT_COLUMNS = (Item.category, Item.publisher, Item.summary, Item.body)


class Searcher(Protocol):
    """What answers a search: an index, or the database while none is held."""

    def search(self, query: str) -> Results: ...

    def latest(self) -> Results: ...


def published(scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions selecting the published items of ``scope``."""
    return [Item.body_id == scope, Item.status == ItemStatus.PUBLISHED]


def published_count(session: Session, scope: Scope) -> int:
    return session.scalar(select(func.count()).select_from(Item).where(*published(scope))) or 0


def build_index(
    session: Session, scope: Scope, pause: Callable[[], None] | None = None
) -> SearchIndex:
    """The index of ``scope``'s published items; ``pause`` is called now and then (see
    ``SearchIndex``)."""
    rows = session.execute(
        select(*INDEXED_COLUMNS)
        .where(*published(scope))
        .order_by(Item.published_on.desc(), Item.id.desc())
    ).all()
    entries = []
    for number, row in enumerate(rows, start=1):
        entries.append(Entry.of(row))
        if pause is not None and number % PAUSE_EVERY == 0:
            pause()
    return SearchIndex(entries, pause=pause)


def _let_residents_first() -> None:
    """A background build's pause: give up the interpreter for a moment, so that a thread
    answering a message is not kept waiting for it (Python runs one thread at a time)."""
    time.sleep(BUILD_PAUSE_S)


def terms(query: str) -> list[str]:
    """The pieces of ``query`` to look for in the database: its words as an index with no
    items would cut them (numbers, Latin words, vocabulary topics with their synonyms,
    Chinese runs), a run longer than three characters as its pairs."""
    found: dict[str, None] = {}
    for word in SearchIndex(()).words(query):
        for form in word.forms:
            pieces = [form] if len(form) <= 3 else [form[i : i + 2] for i in range(len(form) - 1)]
            found.update(dict.fromkeys(pieces))
    return list(found)[:MAX_TERMS]


class position_in(FunctionElement[int]):
    """Where ``piece`` starts in ``text`` (1-based), 0 when it does not occur: ``strpos`` on
    PostgreSQL, ``instr`` elsewhere (SQLite)."""

    type = Integer()
    inherit_cache = True


@compiles(position_in)
def _instr(element: position_in, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position_in, "postgresql")
def _strpos(element: position_in, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _joined(*columns: Any) -> ColumnElement[str]:
    """``columns`` as one text, ``SEP`` between them: a piece (letters, digits, Chinese)
    found in it is found in one of them, never across two."""
    joined: ColumnElement[str] = func.coalesce(columns[0], "")
    for column in columns[1:]:
        joined = joined + SEP + func.coalesce(column, "")
    return joined


@functools.lru_cache(maxsize=MAX_TERMS)
def candidates_query(pieces: int) -> Executable:
    """The best ``CANDIDATES`` published items of catalogue ``:scope`` holding some of
    ``pieces`` pieces (bound as ``:piece_0``, ``:piece_1``…): each piece counts 2 when the
    title or document number holds it, 1 when another field does; ties go to the newer
    item. Built once per number of pieces, so that a message only binds its values. Each
    item's fields are joined once (a materialised CTE: PostgreSQL would otherwise join
    them again for every piece) and searched with ``position_in``, not ``LIKE``, which
    PostgreSQL matches character by character in UTF-8: about a third less time."""
    texts = (
        select(
            Item.id,
            Item.published_on,
            _joined(*_HEAD_COLUMNS).label("head"),
            _joined(*_TEXT_COLUMNS).label("text"),
        )
        .where(Item.body_id == bindparam("scope", type_=Integer))
        .where(Item.status == ItemStatus.PUBLISHED)
        .cte("texts")
        .prefix_with("MATERIALIZED")
    )
    score: ColumnElement[int] = literal(0)
    for number in range(pieces):
        piece = bindparam(f"piece_{number}", type_=String)
        score = (
            score
            + case((position_in(texts.c.head, piece) > 0, 2), else_=0)
            + case((position_in(texts.c.text, piece) > 0, 1), else_=0)
        )
    scored = (
        select(texts.c.id, texts.c.published_on, score.label("score"))
        .cte("scored")
        .prefix_with("MATERIALIZED")
    )
    best = (
        select(scored.c.id, scored.c.score)
        .where(scored.c.score > 0)
        .order_by(scored.c.score.desc(), scored.c.published_on.desc(), scored.c.id.desc())
        .limit(CANDIDATES)
        .subquery("best")
    )
    return (
        select(*INDEXED_COLUMNS)
        .join(best, best.c.id == Item.id)
        .order_by(best.c.score.desc(), Item.published_on.desc(), Item.id.desc())
    )


@dataclass
class DatabaseSearch:
    """A catalogue searched in the database, for a message that must not wait for its index."""

    session: Session
    scope: Scope
    #: How many published items the catalogue holds (counted when None).
    size: int | None = None

    def search(self, query: str) -> Results:
        pieces = terms(query)
        if not pieces:
            return SearchIndex(()).search(query)
        values = {f"piece_{number}": piece for number, piece in enumerate(pieces)}
        rows = self.session.execute(
            candidates_query(len(pieces)), {"scope": self.scope, **values}
        ).all()
        return ScannedIndex([Entry.of(row) for row in rows], self._size()).search(query)

    def latest(self) -> Results:
        rows = self.session.execute(
            select(*INDEXED_COLUMNS)
            .where(*published(self.scope))
            .order_by(Item.published_on.desc(), Item.id.desc())
            .limit(CANDIDATES)
        ).all()
        newest = ScannedIndex([Entry.of(row) for row in rows]).latest()
        beyond = self._size() - len(rows)
        return Results(newest.query, newest.words, newest.positions, newest.index, beyond)

    def _size(self) -> int:
        if self.size is None:
            self.size = published_count(self.session, self.scope)
        return self.size


@dataclass(frozen=True)
class _Held:
    revision: int
    index: SearchIndex


class IndexCache:
    """The process's indexes, least recently used first, and the thread that builds them."""

    def __init__(self, app: Flask, budget_items: int) -> None:
        self._app = app
        self.budget_items = budget_items
        self._held: OrderedDict[Scope, _Held] = OrderedDict()
        self._lock = threading.Lock()
        self._asked: dict[Scope, int] = {}
        self._asks = 0
        self._sizes: dict[Scope, tuple[int, int]] = {}
        self._wanted: queue.SimpleQueue[Scope] = queue.SimpleQueue()
        self._queued: set[Scope] = set()
        self._builder: threading.Thread | None = None

    @property
    def items_held(self) -> int:
        return sum(len(held.index) for held in list(self._held.values()))

    def held_scopes(self) -> list[Scope]:
        """The catalogues whose indexes are in memory, least recently used first."""
        with self._lock:
            return list(self._held)

    def searcher(self, session: Session, scope: Scope) -> Searcher:
        """What answers a message now: see the module docstring."""
        self._count_ask(scope)
        revision = catalogue_revision(session, scope)
        held = self._take(scope)
        if held is not None:
            if held.revision == revision:
                return held.index
            if len(held.index) <= INLINE_BUILD_ITEMS:
                return self._keep(scope, revision, build_index(session, scope))
            self.build_soon(scope)
            return held.index
        size = self._size(session, scope, revision)
        if size <= INLINE_BUILD_ITEMS:
            return self._keep(scope, revision, build_index(session, scope))
        if self._worth_building(scope, size):
            self.build_soon(scope)
        return DatabaseSearch(session, scope, size)

    def index_of(self, session: Session, scope: Scope) -> SearchIndex:
        """The whole current index of ``scope``, built first if need be (for pages, not messages)."""
        revision = catalogue_revision(session, scope)
        held = self._take(scope)
        if held is not None and held.revision == revision:
            return held.index
        return self._keep(scope, revision, build_index(session, scope))

    def build_soon(self, scope: Scope) -> None:
        """Have the background thread (re)build ``scope``'s index, unless it is queued already."""
        with self._lock:
            if scope in self._queued:
                return
            self._queued.add(scope)
            if self._builder is None or not self._builder.is_alive():  # none yet, or forked
                self._builder = threading.Thread(
                    target=self._build_wanted, name="search-index", daemon=True
                )
                self._builder.start()
        self._wanted.put(scope)

    def wait_for_builds(self, timeout: float = 30.0) -> None:
        """Return once nothing is queued or being built (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while self._queued and time.monotonic() < deadline:
            time.sleep(0.005)

    def _size(self, session: Session, scope: Scope, revision: int) -> int:
        """How many items ``scope`` publishes, counted once per revision of its catalogue."""
        known = self._sizes.get(scope)
        if known is not None and known[0] == revision:
            return known[1]
        size = published_count(session, scope)
        self._sizes[scope] = (revision, size)
        return size

    def _take(self, scope: Scope) -> _Held | None:
        with self._lock:
            held = self._held.get(scope)
            if held is not None:
                self._held.move_to_end(scope)
            return held

    def _keep(self, scope: Scope, revision: int, index: SearchIndex) -> SearchIndex:
        with self._lock:
            self._held[scope] = _Held(revision, index)
            self._held.move_to_end(scope)
            held_items = sum(len(held.index) for held in self._held.values())
            while held_items > self.budget_items and len(self._held) > 1:
                _, dropped = self._held.popitem(last=False)
                held_items -= len(dropped.index)
        return index

    def _count_ask(self, scope: Scope) -> None:
        with self._lock:
            self._asked[scope] = self._asked.get(scope, 0) + 1
            self._asks += 1
            if self._asks >= AGE_AFTER_ASKS:
                self._asks = 0
                self._asked = {s: n // 2 for s, n in self._asked.items() if n > 1}

    def _worth_building(self, scope: Scope, size: int) -> bool:
        """Whether ``scope`` is asked often enough to hold its index: it fits within the
        budget, or it is asked more than every index it would push out."""
        with self._lock:
            asked = self._asked.get(scope, 0)
            if asked < BUILD_AFTER_ASKS:
                return False
            room = self.budget_items - sum(len(held.index) for held in self._held.values())
            for victim, held in self._held.items():  # least recently used first
                if room >= size:
                    break
                if self._asked.get(victim, 0) >= asked:
                    return False
                room += len(held.index)
            return True

    def _build_wanted(self) -> None:
        while True:
            scope = self._wanted.get()
            started = time.perf_counter()
            try:
                with self._app.app_context():
                    session = get_session()
                    revision = catalogue_revision(session, scope)
                    index = build_index(session, scope, _let_residents_first)
                self._keep(scope, revision, index)
                log.info(
                    "search index of body %d built in the background: %d items in %.2f s",
                    scope,
                    len(index),
                    time.perf_counter() - started,
                )
            except Exception:
                log.exception("search index of body %d could not be built", scope)
            finally:
                with self._lock:
                    self._queued.discard(scope)


def init_app(app: Flask) -> None:
    app.extensions["sunshine.search"] = IndexCache(app, int(app.config["SEARCH_CACHE_ITEMS"]))


def cache() -> IndexCache:
    found: Any = current_app.extensions["sunshine.search"]
    return found


def searcher(session: Session, scope: Scope) -> Searcher:
    """What answers a resident's search now, without waiting for a large index."""
    return cache().searcher(session, scope)


def index_of(session: Session, scope: Scope) -> SearchIndex:
    """The whole current index of published items (built first if the catalogue changed)."""
    return cache().index_of(session, scope)
