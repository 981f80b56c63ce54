"""Plain sentences: where residents' messages go, measured on labelled corpora.

``tests/data/resident_messages.tsv`` (409 messages, written by someone else as an exam)
and ``tests/data/resident_messages_extra.tsv`` (written while building the phrase data,
see docs/residents.md) are routed the way ``/wechat`` routes text outside a dialogue:
command words, then sentences in ``Stage`` order, then the search. Each corpus must
reach 95% overall and 90% in every class; a request must carry exactly the matter the
corpus names, and a question about progress the tracking number. The accuracy table is
printed (``pytest -s``) and recorded in docs/residents.md.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

import handlers
from bot.cases.numbers import find_number
from bot.engine.dialogue import Context
from bot.engine.router import Router
from bot.engine.sentences import Stage, tidy, transcript

DATA = Path(__file__).parent / "data"
CORPORA = ("resident_messages.tsv", "resident_messages_extra.tsv")
OVERALL, PER_CLASS = 0.95, 0.90
#: The corpus's labels, by the name of the handler a message reaches.
LABELS = {
    "greet": "greeting",
    "thank": "thanks",
    "show_help": "help",
    "start_complaint": "complain",
    "start_report": "report",
    "start_suggestion": "suggest",
    "start_application": "apply",
    "offer": "grievance",
    "annual_report": "annual_report",
    "contact": "contact",
    "progress": "progress",
    "mine": "progress",
    "search_text": "search",
    "search_command": "search",
}
REQUESTS = {"complain", "report", "suggest", "apply"}


@dataclass(frozen=True)
class Routed:
    label: str
    message: str
    carried: str
    went: str
    matter: str


def route(router: Router, message: str) -> tuple[str, str]:
    """Where ``message`` goes outside a dialogue, and the matter it carries."""
    ctx = Context(SimpleNamespace(type="text", source="o-corpus"), {}, router, text=message)
    handler = router.route(ctx)
    return LABELS.get(handler.__name__, handler.__name__), ctx.argument


def routed(name: str) -> list[Routed]:
    router = Router(list(handlers.CAPABILITIES))
    with open(DATA / name, encoding="utf-8", newline="") as corpus:
        rows = list(csv.DictReader(corpus, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [
        Routed(row["label"], row["message"], row["carried"] or "", *route(router, row["message"]))
        for row in rows
    ]


def table(results: list[Routed]) -> str:
    total, right = (
        Counter(r.label for r in results),
        Counter(r.label for r in results if r.went == r.label),
    )
    lines = ["| class | messages | routed right | accuracy |", "| --- | ---: | ---: | ---: |"]
    for label in sorted(total):
        lines.append(
            f"| {label} | {total[label]} | {right[label]} | {right[label] / total[label]:.1%} |"
        )
    overall = sum(right.values()) / len(results)
    lines.append(f"| **overall** | {len(results)} | {sum(right.values())} | {overall:.1%} |")
    return "\n".join(lines)


@pytest.mark.parametrize("name", CORPORA)
def test_messages_reach_what_residents_mean(name: str) -> None:
    results = routed(name)
    print(f"\n{name}\n{table(results)}")
    misses = [f"{r.label} → {r.went}: {r.message}" for r in results if r.went != r.label]
    print("\n".join(misses))
    total = Counter(r.label for r in results)
    right = Counter(r.label for r in results if r.went == r.label)
    assert sum(right.values()) / len(results) >= OVERALL, misses
    weak = {label: right[label] / total[label] for label in total}
    assert all(share >= PER_CLASS for share in weak.values()), weak


@pytest.mark.parametrize("name", CORPORA)
def test_a_request_carries_its_matter_and_a_follow_up_its_number(name: str) -> None:
    results = [r for r in routed(name) if r.went == r.label]
    wrong = [
        (r.message, r.carried, r.matter)
        for r in results
        if r.label in REQUESTS and r.matter != r.carried
    ]
    numbers = [
        (r.message, r.carried, find_number(r.message))
        for r in results
        if r.label == "progress" and r.carried and find_number(r.message) != r.carried
    ]
    assert not wrong, wrong
    assert not numbers, numbers


def test_the_corpus_is_large_and_every_class_is_there() -> None:
    results = routed("resident_messages.tsv")
    assert len(results) >= 300
    assert {r.label for r in results} == set(LABELS.values())


def test_a_request_is_one_only_when_someone_asks() -> None:
    router = Router(list(handlers.CAPABILITIES))
    assert route(router, "我想给镇里提个意见 路灯晚上早点开") == ("suggest", "路灯晚上早点开")
    assert route(router, "跟村里反映好几回了 也没人管")[0] == "grievance", "telling, not asking"
    assert route(router, "投诉电话多少")[0] == "contact", "a noun, not a request"
    assert route(router, "2017上半年财政收支报告")[0] == "search", "报告 is not 告"
    assert route(router, "投诉怎么投") == ("complain", ""), "asking how carries nothing"


def test_the_edges_of_a_matter_are_trimmed_but_not_its_words() -> None:
    assert tidy("您好 就是说俺们屯的桥坏了 谢谢") == "俺们屯的桥坏了"
    assert tidy("：1.公众号字太小 2.能不能加个语音") == "1.公众号字太小 2.能不能加个语音"
    assert tidy("俺是红光村的 桥坏了") == "俺是红光村的 桥坏了", "who they are is kept"
    assert tidy("多开几个窗口吧") == "多开几个窗口吧"


def test_a_transcript_loses_the_sounds_around_the_words() -> None:
    assert transcript("嗯，那个，我要投诉路灯坏了。") == "我要投诉路灯坏了"
    assert transcript("路灯，嗯，坏了三天了！") == "路灯，坏了三天了"
    assert transcript("啊") == ""
    assert transcript("那个文件在哪看？") == "文件在哪看"


def test_stages_are_read_in_their_documented_order() -> None:
    assert [stage.name for stage in Stage] == [
        "CASE",
        "REQUEST",
        "ANSWER",
        "GRIEVANCE",
        "COURTESY",
    ]
