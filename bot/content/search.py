"""Chinese search over the published items, for the chat and the web catalogue.

Chinese has no spaces, residents type abbreviations (``低保`` for
``最低生活保障``) and the same search must run on SQLite and PostgreSQL on the
webhook's hot path. So each process keeps in-memory indexes of the published
items, one per body (``bot.content.indexes`` decides which answers a message and when
one is built):

* every title (with its document number) is indexed by its substrings of one
  to three characters, every category, publisher, summary and body by those of
  two and three, both by whole numbers; a longer query word is found by
  intersecting its pieces, then confirmed as a substring — substring search
  without a scan, and ``12号`` is not found in ``112号``;
* a query is cut into words: digits (``2017年`` also matches the publication
  year), Latin words, and runs of Chinese cut at filler words (``我想查一下``),
  at the abbreviations of ``vocabulary.SYNONYMS`` and, greedily, at the longest
  pieces the catalogue contains;
* a short word the catalogue does not contain matches titles holding its
  characters in order with at most two between (``危改`` → ``危房改造``);
* a word weighs its rarity (``log(1 + N / matches)``), times 0.5 for kinds of
  document (``通知``, ``名单``), times 1.5 for vocabulary topics (``低保``);
  an item must match words carrying half the query's weight — a topic the
  catalogue lacks counts as a word no item matched (``拆迁公告`` finds no
  ``招标公告`` when nothing is about ``拆迁``), and so does any other word of two
  Chinese characters or more that names something (no question word, pronoun or
  particle in it: ``火星移民计划`` finds no 计划 when nothing is about ``火星移民``);
* the score of an item sums, per word, its weight times where it matched:
  title 1, abbreviation in the title 0.8, text 0.5, publication year 0.4; a title
  containing the whole query scores extra. Ties go to the newer item.
"""

from __future__ import annotations

import logging
import math
import re
import struct
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from bot.content.vocabulary import (
    DOCUMENT_KINDS,
    EDGE_PARTICLES,
    FILLER_PHRASES,
    FUNCTION_CHARACTERS,
    SPLITTERS,
    SYNONYMS,
)

#: Fields are joined with this; it never survives ``normalise``, so no pair spans two fields.
SEP = "|"
#: What ``normalise`` leaves between two numbers or Latin words; no pair spans it either.
WORD_GAP = " "
MAX_QUERY_CHARS = 60
MAX_WORDS = 8
MAX_GAP = 2

TITLE, ABBREVIATION, TEXT, YEAR = 1.0, 0.8, 0.5, 0.4
#: An item must match words carrying at least this share of the query's weight.
COVERAGE = 0.5
#: Entries indexed between two calls of a build's ``pause``.
PAUSE_EVERY = 4
TOPIC_WEIGHT = 1.5
DOCUMENT_KIND_WEIGHT = 0.5

_POSITION = struct.Struct("=i")
_NOT_INDEXED = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_OR_DIGIT = re.compile(r"[0-9a-z]")
_DIGITS = re.compile(r"[0-9]+")
#: Prefix of whole-number keys in the index; ``normalise`` never leaves it in a text.
NUMBER = "#"
_TOKEN = re.compile(
    r"(?P<number>\d+)(?P<unit>年度|年|月|日|号|期|季度|批)?"
    r"|(?P<latin>[a-z]+)"
    r"|(?P<chinese>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)
log = logging.getLogger(__name__)

_FILLERS = sorted(FILLER_PHRASES, key=len, reverse=True)
_SYNONYM_KEYS = sorted(SYNONYMS, key=len, reverse=True)


def normalise(text: str | None) -> str:
    """Lower-case, full-width folded, only letters, digits and Chinese characters kept.

    What separated two numbers or Latin words becomes one space, so that
    ``〔2020〕178号`` does not read as ``2020178`` and match ``2017``.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _NOT_INDEXED.sub(_boundary, folded).strip()


def _boundary(gap: re.Match[str]) -> str:
    text, start, end = gap.string, gap.start(), gap.end()
    between_words = start > 0 and end < len(text)
    if (
        between_words
        and _LATIN_OR_DIGIT.match(text[start - 1])
        and _LATIN_OR_DIGIT.match(text[end])
    ):
        return WORD_GAP
    return ""


class Entry(NamedTuple):
    """What the index keeps of a published item: enough to show it without a query.

    An index keeps each as a plain tuple (``SearchIndex.entry`` makes one an ``Entry``
    again): the garbage collector stops tracking a plain tuple of plain values the first
    time it sees it, so a worker holding tens of thousands of entries does not walk them
    all at each full collection (``_packed`` says what that cost).
    """

    id: int
    title: str
    doc_number: str | None
    category: str
    published_on: date
    channel: str
    is_example: bool
    head: str
    text: str

    @classmethod
    def of(cls, item: Any) -> Entry:
        """From an ``Item`` or a row with the same attributes."""
        return cls(
            id=item.id,
            title=item.title,
            doc_number=item.doc_number,
            category=item.category,
            published_on=item.published_on,
            channel=item.channel,
            is_example=item.is_example,
            head=normalise(item.title) + SEP + normalise(item.doc_number),
            text=SEP.join(
                normalise(part) for part in (item.category, item.publisher, item.summary, item.body)
            ),
        )


#: Where an ``Entry``'s category is in the plain tuple an index keeps of it.
_CATEGORY = Entry._fields.index("category")


@dataclass(frozen=True)
class Word:
    """One word of a query and the forms that match it."""

    text: str
    forms: tuple[str, ...]
    abbreviation: bool = False
    year: int | None = None
    #: A vocabulary term: when nothing matches it, the query asks about something not held.
    topic: bool = False


@dataclass(frozen=True)
class Results:
    """Matching items, best first, as positions in the index.

    ``beyond``: matching items the index does not hold (the newest items of a catalogue
    searched in the database, ``bot.content.indexes``).
    """

    query: str
    words: tuple[Word, ...]
    positions: Sequence[int]
    index: SearchIndex
    beyond: int = 0

    @property
    def total(self) -> int:
        return len(self.positions) + self.beyond

    def page(self, offset: int, limit: int) -> list[Entry]:
        return [self.index.entry(p) for p in self.positions[offset : offset + limit]]

    def __iter__(self) -> Iterator[Entry]:
        return (self.index.entry(p) for p in self.positions)


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _grams(text: str, longest: int) -> set[str]:
    """The substrings of ``text`` of length ``longest`` (all of it when shorter)."""
    if not text:
        return set()
    size = min(len(text), longest)
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def _numbers(text: str) -> set[str]:
    """Whole numbers, as index keys: ``毛政发2017 8号`` holds 2017 and 8 (not 201 or 17)."""
    return {NUMBER + digits for digits in _DIGITS.findall(text)}


def _indexable(gram: str) -> bool:
    return SEP not in gram and WORD_GAP not in gram


def _packed(position: int) -> bytes:
    """A position as posting lists hold it: a native int of 4 bytes.

    A posting list is one ``bytes`` (a ``bytearray`` while it is built) of these, not a
    list or an ``array``: those are objects the garbage collector tracks, and a worker
    holding thirty towns' indexes held 1.5 million of them, plus those of the index being
    built, all walked by each full collection (up to 200 ms, every few seconds while
    indexes were built: bench/province.py). Bytes are never tracked, nor are the dicts
    holding only bytes.
    """
    return _POSITION.pack(position)


def _unpacked(packed: bytes | None) -> Sequence[int]:
    return memoryview(packed).cast("i") if packed else ()


def _positions(postings: Iterable[bytes | None]) -> set[int]:
    """Intersect posting lists, smallest first; empty if any is missing."""
    given = list(postings)
    lists = sorted((_unpacked(p) for p in given if p is not None), key=len)
    if not lists or len(lists) < len(given):
        return set()
    found = set(lists[0])
    for positions in lists[1:]:
        if not found:
            break
        found.intersection_update(positions)
    return found


def _number_pattern(form: str) -> re.Pattern[str] | None:
    """For a form that starts or ends with a digit: not part of a longer number.

    ``12号`` is not found in ``112号``; ``2017`` is not found in ``20170``.
    """
    if not (form[0].isdigit() or form[-1].isdigit()):
        return None
    return re.compile(
        ("(?<![0-9])" if form[0].isdigit() else "")
        + re.escape(form)
        + ("(?![0-9])" if form[-1].isdigit() else "")
    )


class SearchIndex:
    """Published items, newest first.

    Titles (with document numbers) are indexed by every substring of one to
    three characters, other texts by those of two and three, both by whole
    numbers; longer forms are found by intersecting those, then confirmed in the
    text.
    """

    TITLE_GRAM = 3
    TEXT_GRAM = 3

    def __init__(
        self,
        entries: Sequence[Entry],
        population: int | None = None,
        pause: Callable[[], None] | None = None,
    ) -> None:
        """``pause``: called every ``PAUSE_EVERY`` entries (a background build lets the
        thread answering a resident run)."""
        self._rows = tuple(tuple(entry) for entry in entries)
        #: How many items the catalogue holds, when this index holds only some of them
        #: (a database search's candidates): a word's rarity is measured against it.
        self.population = max(population or 0, len(self._rows))
        self._heads = tuple(entry.head for entry in entries)
        self._texts = tuple(entry.text for entry in entries)
        head: dict[str, bytearray] = defaultdict(bytearray)
        text: dict[str, bytearray] = defaultdict(bytearray)
        years: dict[int, bytearray] = defaultdict(bytearray)
        for position, entry in enumerate(entries):
            packed = _packed(position)
            head_grams = set(entry.head) | _pairs(entry.head) | _grams(entry.head, self.TITLE_GRAM)
            for gram in head_grams | _numbers(entry.head):
                head[gram] += packed
            for gram in (
                _pairs(entry.text) | _grams(entry.text, self.TEXT_GRAM) | _numbers(entry.text)
            ):
                text[gram] += packed
            years[entry.published_on.year] += packed
            if pause is not None and position % PAUSE_EVERY == PAUSE_EVERY - 1:
                pause()
        self._head = {g: bytes(found) for g, found in head.items() if _indexable(g)}
        self._text = {g: bytes(found) for g, found in text.items() if _indexable(g)}
        self._years = {year: bytes(found) for year, found in years.items()}
        #: What the catalogue page offers to narrow it by.
        self.categories = tuple(sorted({entry.category for entry in entries}))
        self.years = tuple(sorted(self._years, reverse=True))

    def __len__(self) -> int:
        return len(self._rows)

    def entry(self, position: int) -> Entry:
        return Entry._make(self._rows[position])

    def narrowed(self, positions: Iterable[int], category: str, year: int | None) -> list[int]:
        """Those of ``positions`` in ``category`` and published in ``year`` (each only when
        given), without making an ``Entry`` of every one."""
        in_year = self.published_in(year) if year else None
        return [
            p
            for p in positions
            if (not category or self._rows[p][_CATEGORY] == category)
            and (in_year is None or p in in_year)
        ]

    # -- finding one form ---------------------------------------------------------------------

    def in_titles(self, form: str) -> set[int]:
        return self._find(form, self._head, self.TITLE_GRAM, self._heads)

    def in_texts(self, form: str) -> set[int]:
        if len(form) < 2:
            return set()
        return self._find(form, self._text, self.TEXT_GRAM, self._texts)

    def _find(
        self, form: str, postings: dict[str, bytes], gram: int, fields: Sequence[str]
    ) -> set[int]:
        if form.isdigit():  # a whole number: its own key, nothing to confirm
            return set(_unpacked(postings.get(NUMBER + form)))
        number = _number_pattern(form)
        keys = _grams(form, gram)
        if number is not None:
            digits = _DIGITS.findall(form)
            keys |= {NUMBER + digits[0]} if form[0].isdigit() else set()
            keys |= {NUMBER + digits[-1]} if form[-1].isdigit() else set()
        found = _positions(postings.get(key) for key in keys)
        if number is not None:
            return {p for p in found if number.search(fields[p])}
        if len(form) > gram:  # the grams may occur apart
            return {p for p in found if form in fields[p]}
        return found

    def abbreviated_in_titles(self, word: str) -> set[int]:
        """Titles holding ``word``'s characters in order, at most ``MAX_GAP`` apart."""
        found = _positions(self._head.get(char) for char in set(word))
        pattern = re.compile(f"[^{SEP}]{{0,{MAX_GAP}}}".join(map(re.escape, word)))
        heads = self._heads
        return {p for p in found if pattern.search(heads[p])}

    def published_in(self, year: int) -> set[int]:
        return set(_unpacked(self._years.get(year)))

    def contains(self, piece: str) -> bool:
        """Whether some item probably holds ``piece`` (all its indexed pieces occur in one item)."""
        if len(piece) <= self.TEXT_GRAM:
            return piece in self._head or piece in self._text
        return bool(
            _positions(self._head.get(gram) for gram in _grams(piece, self.TITLE_GRAM))
            or _positions(self._text.get(gram) for gram in _grams(piece, self.TEXT_GRAM))
        )

    # -- queries ------------------------------------------------------------------------------

    def words(self, query: str) -> tuple[Word, ...]:
        """Cut ``query`` into the words to look for (see the module docstring)."""
        folded = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS]).lower()
        found: list[Word] = []
        for token in _TOKEN.finditer(folded):
            if token["number"]:
                number, unit = token["number"], token["unit"] or ""
                year = int(number) if len(number) == 4 and 1949 < int(number) < 2200 else None
                form = number if year else number + unit
                found.append(Word(form, (form,), year=year))
            elif token["latin"]:
                found.append(Word(token["latin"], (token["latin"],)))
            else:
                found.extend(self._chinese_words(token["chinese"]))
        if not found:
            whole = normalise(query[:MAX_QUERY_CHARS]).replace(WORD_GAP, "")
            found = [Word(whole, (whole,))] if whole else []
        unique = {word.text: word for word in found}
        return tuple(unique.values())[:MAX_WORDS]

    def _chinese_words(self, run: str) -> list[Word]:
        pieces = [run]
        for filler in _FILLERS:
            pieces = [part for piece in pieces for part in piece.split(filler)]
        words: list[Word] = []
        for piece in pieces:
            for part in _split_at_splitters(piece.strip("".join(EDGE_PARTICLES))):
                words.extend(self._known_words(part))
        if not words and len(run) == 1:
            words.append(Word(run, (run,)))
        return words

    def _known_words(self, piece: str) -> list[Word]:
        """Abbreviations from the vocabulary, then the longest pieces the catalogue contains."""
        words: list[Word] = []
        rest_start = 0
        i = 0
        while i < len(piece):
            key = next((k for k in _SYNONYM_KEYS if piece.startswith(k, i)), None)
            if key is None:
                i += 1
                continue
            words.extend(self._segment(piece[rest_start:i]))
            words.append(Word(key, tuple(dict.fromkeys((key, *SYNONYMS[key]))), topic=True))
            i += len(key)
            rest_start = i
        words.extend(self._segment(piece[rest_start:]))
        return words

    def _segment(self, piece: str) -> list[Word]:
        words: list[Word] = []
        unknown = ""
        i = 0
        while i < len(piece):
            end = i + 2
            while end <= len(piece) and self.contains(piece[i:end]):
                end += 1
            if end - 1 > i + 1:
                words.extend(_unknown_word(unknown))
                unknown = ""
                words.append(Word(piece[i : end - 1], (piece[i : end - 1],)))
                i = end - 1
            else:
                unknown += piece[i]
                i += 1
        words.extend(_unknown_word(unknown))
        return words

    def search(self, query: str) -> Results:
        """Every matching item that matches enough of the query, best first (then newest)."""
        words = self.words(query)
        matches: list[Match] = []
        missing = 0.0
        for word in words:
            levels = self._levels(word)
            if levels:
                found = sum(len(positions) for positions, _ in levels)
                matches.append(Match(self._weight(word, found), levels))
            elif word.topic or _names_something(word.text):
                missing += self._weight(word, 1)
        phrase = normalise(query[:MAX_QUERY_CHARS])
        if len(matches) > 1 and len(phrase) > 2:
            bonus = sum(match.weight for match in matches)
            matches.append(Match(bonus, [(self.in_titles(phrase), 1.0)], counts=False))
        required = COVERAGE * (sum(m.weight for m in matches if m.counts) + missing)
        return Results(query, words, _ranked(matches, required), self)

    def _weight(self, word: Word, found: int) -> float:
        """Rarer words weigh more; vocabulary topics more, kinds of document less."""
        rarity = math.log(1 + self.population / found)
        if word.topic:
            return rarity * TOPIC_WEIGHT
        return rarity * (DOCUMENT_KIND_WEIGHT if word.text in DOCUMENT_KINDS else 1.0)

    def _levels(self, word: Word) -> list[tuple[set[int], float]]:
        """Where ``word`` matched: disjoint, non-empty sets of positions, best level first."""
        titles: set[int] = set()
        texts: set[int] = set()
        for form in word.forms:
            titles |= self.in_titles(form)
            texts |= self.in_texts(form)
        levels = [(titles, TITLE)]
        seen = set(titles)
        if word.abbreviation:
            abbreviated = self.abbreviated_in_titles(word.text) - seen
            levels.append((abbreviated, ABBREVIATION))
            seen |= abbreviated
        levels.append((texts - seen, TEXT))
        if word.year:
            levels.append((self.published_in(word.year) - seen - texts, YEAR))
        return [(positions, level) for positions, level in levels if positions]

    def latest(self) -> Results:
        """Every item, newest first."""
        return Results("", (), range(len(self._rows)), self)


class ScannedIndex(SearchIndex):
    """A few items (a database search's candidates) searched by reading each of them.

    Same answers as a ``SearchIndex`` of the same entries, without building one: cutting
    a long text into its pieces costs far more than reading a few dozen texts once per
    query word, so a message searched in the database is ranked in about a millisecond.
    """

    def __init__(self, entries: Sequence[Entry], population: int | None = None) -> None:
        self._rows = tuple(tuple(entry) for entry in entries)
        self.population = max(population or 0, len(self._rows))
        self._heads = tuple(entry.head for entry in entries)
        self._texts = tuple(entry.text for entry in entries)

    def in_titles(self, form: str) -> set[int]:
        return _holding(form, self._heads)

    def in_texts(self, form: str) -> set[int]:
        if len(form) < 2:
            return set()
        return _holding(form, self._texts)

    def abbreviated_in_titles(self, word: str) -> set[int]:
        pattern = re.compile(f"[^{SEP}]{{0,{MAX_GAP}}}".join(map(re.escape, word)))
        return {p for p, head in enumerate(self._heads) if pattern.search(head)}

    def published_in(self, year: int) -> set[int]:
        return {p for p in range(len(self._rows)) if self.entry(p).published_on.year == year}

    def contains(self, piece: str) -> bool:
        if len(piece) <= self.TEXT_GRAM:
            return any(piece in field for field in (*self._heads, *self._texts))
        grams = _grams(piece, self.TEXT_GRAM)
        return any(all(g in field for g in grams) for field in (*self._heads, *self._texts))


def _holding(form: str, fields: Sequence[str]) -> set[int]:
    """The positions of the fields holding ``form`` (a number only as a whole number)."""
    number = _number_pattern(form)
    if number is not None:
        return {p for p, field in enumerate(fields) if number.search(field)}
    return {p for p, field in enumerate(fields) if form in field}


@dataclass(frozen=True)
class Match:
    """Where one query word matched, and how much it weighs (its rarity)."""

    weight: float
    levels: list[tuple[set[int], float]]
    #: Whether it counts towards ``COVERAGE`` (the whole-query bonus does not).
    counts: bool = True


def _ranked(matches: list[Match], required: float) -> list[int]:
    """Positions ordered by score, then newest first (lowest position).

    Items matched alike score alike, so instead of scoring item by item the
    matches are split into groups by how each word matched (set operations, in C),
    and each group is sorted once. Groups covering less than ``required`` of the
    query's weight are left out.
    """
    matched: set[int] = set()
    for match in matches:
        for positions, _ in match.levels:
            matched |= positions
    # (score, coverage, positions)
    groups: list[tuple[float, float, set[int]]] = [(0.0, 0.0, matched)] if matched else []
    for match in matches:
        covered = match.weight if match.counts else 0.0
        refined: list[tuple[float, float, set[int]]] = []
        for score, coverage, group in groups:
            rest = group
            for positions, level in match.levels:
                part = rest & positions
                if part:
                    refined.append((score + match.weight * level, coverage + covered, part))
                    rest = rest - part
            if rest:
                refined.append((score, coverage, rest))
        groups = refined
    by_score: dict[float, set[int]] = defaultdict(set)
    for score, coverage, group in groups:
        if coverage >= required - 1e-9:
            by_score[round(score, 9)] |= group
    ranked: list[int] = []
    for score in sorted(by_score, reverse=True):
        ranked.extend(sorted(by_score[score]))
    return ranked


def _split_at_splitters(piece: str) -> list[str]:
    """Split at ``的``/``和``/… only where both sides keep two characters or more."""
    parts: list[str] = []
    start = 0
    for i, char in enumerate(piece):
        if char in SPLITTERS and i - start >= 2 and len(piece) - i - 1 >= 2:
            parts.append(piece[start:i])
            start = i + 1
    parts.append(piece[start:])
    return [part for part in parts if part]


def _names_something(text: str) -> bool:
    """Whether a query word names a subject (``火星移民``) rather than asks (``开了啥``)."""
    return (
        len(text) >= 2
        and all("\u3400" <= char <= "\u9fff" for char in text)
        and not FUNCTION_CHARACTERS.intersection(text)
    )


def _unknown_word(text: str) -> list[Word]:
    """A piece the catalogue does not contain: short ones may still be abbreviations."""
    if len(text) < 2:
        return []
    return [Word(text, (text,), abbreviation=len(text) <= 4)]
