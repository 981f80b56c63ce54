"""Search in chat: what a resident types, what they get back, and how the index keeps up."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import delete, select

from bot import db
from bot.content import indexes
from bot.content.search import Entry, SearchIndex, normalise
from bot.models.content import CatalogueRevision, Item, catalogue_revision
from bot.staff import bodies
from bot.wechat.replies import TEXT_MAX_BYTES
from tests.support import PUBLIC_URL, Resident, town_id


def index_of(
    *titles: str, doc_numbers: tuple[str, ...] = (), summary: str | None = None
) -> SearchIndex:
    """An index of items with these titles (and document numbers), the first the newest."""
    rows = [
        SimpleNamespace(
            id=number,
            title=title,
            doc_number=doc_numbers[number] if doc_numbers else None,
            category="民生保障",
            publisher=None,
            summary=summary,
            body=None,
            published_on=date(2016, 12, 31 - number),
            channel="website",
            is_example=False,
        )
        for number, title in enumerate(titles)
    ]
    return SearchIndex([Entry.of(row) for row in rows])


def titles(index: SearchIndex, query: str) -> list[str]:
    return [entry.title for entry in index.search(query)]


def add_item(app: Flask, title: str, **fields: object) -> Item:
    with app.app_context():
        session = db.get_session()
        item = Item(
            body_id=fields.pop("body_id", None) or town_id(session),
            title=title,
            category=fields.pop("category", "民生保障"),
            published_on=fields.pop("published_on", date(2018, 1, 5)),
            channel=fields.pop("channel", "website"),
            attachments=[],
            **fields,
        )
        session.add(item)
        session.commit()
        return item


# -- the engine ---------------------------------------------------------------------------


def test_normalise_folds_width_and_case_and_keeps_numbers_apart() -> None:
    assert normalise("毛政发〔２０１７〕12号 ABC") == "毛政发2017 12号abc"
    assert normalise("城乡 低保，名单") == "城乡低保名单"


def test_an_abbreviation_finds_the_full_term() -> None:
    index = index_of("城乡最低生活保障资金发放情况", "2017年农村危房改造对象公示", "防汛值班安排")
    assert titles(index, "低保") == ["城乡最低生活保障资金发放情况"]
    assert titles(index, "危改") == ["2017年农村危房改造对象公示"]


def test_unknown_short_words_match_their_characters_in_order() -> None:
    index = index_of("城市建设档案管理办法", "建设城市公园")
    assert titles(index, "城建") == ["城市建设档案管理办法"]


def test_substrings_are_found_anywhere_and_longer_ones_confirmed() -> None:
    index = index_of("关于东兴村道路硬化工程的招标公告", "道路维修通知", "东兴村村务公开")
    assert titles(index, "兴村道路") == ["关于东兴村道路硬化工程的招标公告"]


def test_numbers_are_not_found_inside_longer_numbers() -> None:
    index = index_of(
        "甲文件",
        "乙文件",
        "丙文件",
        doc_numbers=("毛政发〔2017〕12号", "毛政发〔2017〕112号", "毛政发〔2020〕178号"),
    )
    assert titles(index, "12号") == ["甲文件"]
    assert titles(index, "2017") == ["甲文件", "乙文件"], "〔2020〕178 is not 2017"
    assert titles(index, "毛政发〔2017〕12号")[0] == "甲文件"
    assert titles(index, "毛政发2017 12号")[0] == "甲文件"


def test_titles_rank_above_summaries_and_newer_above_older() -> None:
    index = index_of("村务公开", "低保名单（旧）", "其他通知", summary="低保")
    # every item's summary mentions 低保; the one titled with it comes first
    assert titles(index, "低保")[0] == "低保名单（旧）"
    newer_first = index_of("2018年低保名单", "2017年低保名单")
    assert titles(newer_first, "低保名单") == ["2018年低保名单", "2017年低保名单"]


def test_filler_words_of_a_sentence_are_ignored() -> None:
    index = index_of("城乡最低生活保障资金发放情况", "秸秆禁烧通告")
    assert titles(index, "我想查一下低保怎么发放的") == ["城乡最低生活保障资金发放情况"]


def test_a_year_also_matches_the_publication_year() -> None:
    index = index_of("低保名单", "危房改造名单")
    assert len(titles(index, "2016年")) == 2


def test_nothing_found_for_names_and_phone_numbers() -> None:
    index = index_of("关于王建国同志任职的通知", "城乡最低生活保障资金发放情况")
    assert titles(index, "李四") == []
    assert titles(index, "13800138000") == []


# -- in chat ------------------------------------------------------------------------------


def test_any_text_is_searched_and_answers_with_numbered_links(resident: Resident) -> None:
    reply = resident.says("低保")
    assert "城乡最低生活保障资金发放情况" in reply
    assert reply.splitlines()[1].startswith("1. 【示例】"), "example items are marked"
    assert re.search(rf"{re.escape(PUBLIC_URL)}/items/\d+", reply)


def test_query_command_and_its_forms(resident: Resident) -> None:
    assert "城乡最低生活保障资金发放情况" in resident.says("查询 低保")
    assert "城乡最低生活保障资金发放情况" in resident.says("查询低保")
    assert "查询 低保" in resident.says("查询")


def test_nothing_found_says_so_and_shows_the_commands(resident: Resident) -> None:
    reply = resident.says("张三李四")
    assert "没有找到与“张三李四”相关" in reply
    assert "请回复下面的词" in reply and "年报" in reply and "帮助" in reply


def test_a_query_about_something_not_held_lists_nothing_sharing_a_word(
    resident: Resident,
) -> None:
    """The examples hold 计划 and 规划 in their texts, nothing about 火星移民."""
    reply = resident.says("查询 火星移民计划")
    assert "没有找到与“火星移民计划”相关" in reply
    assert not re.search(r"/items/\d+", reply) and "总体规划" not in reply
    assert "危房改造" in resident.says("查询 危房改造咋申请"), "question words do not count"


def test_next_page_continues_until_the_end(app: Flask) -> None:
    for number in range(12):
        add_item(app, f"第{number + 1}批危房改造对象公示", published_on=date(2019, 1, number + 1))
    resident = Resident(app)
    pages = [resident.says("危房改造")]
    assert "共14条" in pages[0] and "回复“下一页”看更多" in pages[0]
    while "已经全部列出" not in pages[-1]:
        pages.append(resident.says("下一页"))
    numbers = [int(n) for page in pages for n in re.findall(r"^(\d+)\. ", page, re.M)]
    assert numbers == list(range(1, 15))
    assert "没有更多了" in resident.says("下一页")


def test_next_page_without_a_search_explains(resident: Resident) -> None:
    assert "请先发送要找的内容" in resident.says("下一页")


def test_long_titles_still_fit_in_one_reply(app: Flask) -> None:
    for number in range(8):
        add_item(app, "关于" + "进一步加强和规范农村低保工作" * 6 + f"的通知{number}")
    reply = Resident(app).says("农村低保工作")
    assert len(reply.encode("utf-8")) <= TEXT_MAX_BYTES
    assert "……（内容较长" not in reply, "the page is cut by design, not by the renderer"
    assert "下一页" in reply


def test_latest_lists_newest_first_and_pages(app: Flask) -> None:
    add_item(app, "最近的一条防汛通知", published_on=date(2030, 6, 1))
    resident = Resident(app)
    for reply in (resident.says("最新"), resident.says("/click LATEST")):
        assert reply.splitlines()[1] == "1. 最近的一条防汛通知"
    assert "6. " in resident.says("下一页")


# -- keeping up with the catalogue --------------------------------------------------------


def test_a_new_item_is_found_by_the_next_search(app: Flask) -> None:
    resident = Resident(app)
    assert "没有找到" in resident.says("垃圾分类")
    add_item(app, "垃圾分类宣传活动通知")
    assert "垃圾分类宣传活动通知" in resident.says("垃圾分类")


def test_unpublished_items_are_not_found(app: Flask) -> None:
    add_item(app, "尚未审核的拆迁公告", status="draft")
    assert "没有找到" in Resident(app).says("拆迁公告")


def test_every_orm_change_to_items_counts_even_without_the_counter_row(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        session.execute(delete(CatalogueRevision))
        session.commit()
        town = town_id(session)
        assert catalogue_revision(session, town) == 0
        item = session.scalars(select(Item).limit(1)).one()
        item.title = "改过的标题"
        session.commit()
        assert catalogue_revision(session, town) == 1
        session.commit()
        assert catalogue_revision(session, town) == 1, "a flush without item changes does not count"
        assert [e.title for e in indexes.index_of(session, town).search("改过的标题")] == [
            "改过的标题"
        ]


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every catalogue counts as too large to index while a resident waits."""
    monkeypatch.setattr(indexes, "INLINE_BUILD_ITEMS", 0)


@pytest.mark.usefixtures("large")
def test_a_changed_large_catalogue_answers_from_its_previous_index_while_rebuilt(
    app: Flask,
) -> None:
    cache = app.extensions["sunshine.search"]
    with app.app_context():
        town = town_id(db.get_session())
        assert indexes.index_of(db.get_session(), town).search("垃圾分类").total == 0
    add_item(app, "垃圾分类宣传活动通知")
    with app.app_context():
        assert cache.searcher(db.get_session(), town).search("垃圾分类").total == 0  # the previous
        cache.wait_for_builds()
        assert cache.searcher(db.get_session(), town).search("垃圾分类").total == 1


@pytest.mark.usefixtures("large")
def test_a_large_catalogue_is_searched_in_the_database_until_asked_often(
    app: Flask, resident: Resident
) -> None:
    """The first searches after a worker starts wait for no index; asked again, it is built."""
    cache = app.extensions["sunshine.search"]
    add_item(app, "垃圾分类宣传活动通知")
    assert "垃圾分类宣传活动通知" in resident.says("垃圾分类")
    cache.wait_for_builds()
    assert cache.items_held == 0, "one search alone builds no index"
    assert "垃圾分类宣传活动通知" in resident.says("垃圾分类")
    cache.wait_for_builds()
    with app.app_context():
        held = cache.items_held
        assert held == len(indexes.index_of(db.get_session(), town_id(db.get_session()))) > 1


@pytest.mark.usefixtures("large")
def test_the_latest_items_from_the_database_say_how_many_there_are(
    app: Flask, resident: Resident, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes, "CANDIDATES", 3)
    monkeypatch.setattr(indexes, "BUILD_AFTER_ASKS", 100)
    with app.app_context():
        total = indexes.published_count(db.get_session(), town_id(db.get_session()))
    assert total > 3
    first = resident.says("最新")
    assert f"共{total}条" in first
    assert "还在整理" in resident.says("下一页")


def test_indexes_beyond_the_budget_drop_the_least_recently_used(app: Flask) -> None:
    """A worker serving many towns keeps the indexes of the towns asked most recently."""
    cache = app.extensions["sunshine.search"]
    with app.app_context():
        session = db.get_session()
        towns = [town_id(session)]
        for slug in ("east", "west"):
            towns.append(bodies.add(session, "cli", slug, f"{slug}镇人民政府").id)
        session.commit()
    for town in towns[1:]:
        add_item(app, "垃圾分类宣传活动通知", body_id=town)
    with app.app_context():
        session = db.get_session()
        first, east, west = towns
        cache.budget_items = len(cache.index_of(session, first)) + 1
        cache.index_of(session, east)
        assert cache.held_scopes() == [first, east]
        cache.index_of(session, first)  # asked again: now the most recent
        cache.index_of(session, west)
        assert cache.held_scopes() == [first, west]
        assert [e.title for e in cache.searcher(session, east).search("垃圾分类")] == [
            "垃圾分类宣传活动通知"
        ]


@pytest.mark.usefixtures("large")
def test_a_town_asked_less_does_not_push_out_a_busier_towns_index(app: Flask) -> None:
    cache = app.extensions["sunshine.search"]
    with app.app_context():
        session = db.get_session()
        busy = town_id(session)
        quiet = bodies.add(session, "cli", "quiet", "静镇人民政府").id
        session.commit()
    add_item(app, "静镇垃圾分类宣传活动通知", body_id=quiet)
    with app.app_context():
        session = db.get_session()
        cache.budget_items = len(indexes.index_of(session, busy))  # room for one town
        for _ in range(5):
            cache.searcher(session, busy).search("低保")
        for _ in range(3):
            found = cache.searcher(session, quiet).search("垃圾分类")
            assert [e.title for e in found] == ["静镇垃圾分类宣传活动通知"]  # from the database
        cache.wait_for_builds()
        assert cache.held_scopes() == [busy]
        for _ in range(4):
            cache.searcher(session, quiet).search("垃圾分类")
        cache.wait_for_builds()
        assert cache.held_scopes() == [quiet], "asked more often now: it takes the room"


@pytest.mark.parametrize("text", ["，。！", "a" * 500, "的" * 200, "〔〕", "😀", "2017", "查询   "])
def test_odd_input_never_fails(resident: Resident, text: str) -> None:
    reply = resident.says(text)
    assert "请稍后再发一次" not in reply and len(reply.encode("utf-8")) <= TEXT_MAX_BYTES
