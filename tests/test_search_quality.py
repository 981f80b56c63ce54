"""Search quality over a realistic town catalogue of 320 items, through the database.

Each pair is a query a resident would type and the item they are after (an
anchor of ``tests/data/town_catalogue.py``, named by title); it must be on the
first page the chat shows (top 5). Queries about things the catalogue does not
hold must find nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import delete, insert

from bot import db
from bot.content.indexes import DatabaseSearch, index_of
from bot.content.listing import PAGE_SIZE
from bot.content.search import Results, ScannedIndex, SearchIndex
from bot.models.content import Item, bump_catalogue_revision
from tests.data import town_catalogue
from tests.support import town_id

CATALOGUE_SIZE = 320

PAIRS: tuple[tuple[str, str], ...] = (
    ("第三季度低保资金发放情况", "2017年第三季度城乡最低生活保障资金发放情况"),
    ("最低生活保障资金", "2017年第三季度城乡最低生活保障资金发放情况"),
    ("2017年第三季度低保", "2017年第三季度城乡最低生活保障资金发放情况"),
    ("低保标准", "关于调整城乡居民最低生活保障标准的通知"),
    ("请问今年低保标准是多少", "关于调整城乡居民最低生活保障标准的通知"),
    ("毛政发[2017]8号", "关于调整城乡居民最低生活保障标准的通知"),
    ("2017年危房改造第三批", "2017年农村危房改造对象公示（第三批）"),
    ("毛政发〔2017〕35号", "2017年农村危房改造对象公示（第三批）"),
    ("怎么申请危房改造", "2017年农村危房改造对象公示（第三批）"),
    ("危改补助资金", "2016年农村危房改造补助资金发放情况"),
    ("2017 地力补贴发放", "2017年耕地地力保护补贴发放情况公示"),
    ("一卡通", "惠民惠农财政补贴资金“一卡通”发放情况"),
    ("惠农补贴一卡通", "惠民惠农财政补贴资金“一卡通”发放情况"),
    ("2017年预算", "毛城子镇2017年财政预算公开"),
    ("决算", "毛城子镇2016年度部门决算公开"),
    ("三公经费", "2017年“三公”经费预算情况说明"),
    ("东兴村修路招标", "东兴村道路硬化工程招标公告"),
    ("东兴村道路中标", "东兴村道路硬化工程中标结果公示"),
    ("王建国职务任免", "关于王建国等同志职务任免的通知"),
    ("社区工作者招聘", "2017年公开招聘社区工作者拟聘用人员公示"),
    ("总体规划", "毛城子镇总体规划（2016—2030年）批前公示"),
    ("新发村规划", "新发村村庄规划公示"),
    ("太平村征地", "关于太平村集体土地征收的公告"),
    ("征地补偿安置", "太平村征地补偿安置方案公告"),
    ("防汛预案", "毛城子镇2017年防汛抗旱应急预案"),
    ("汛期安全", "关于做好2017年汛期安全工作的通知"),
    ("新冠疫情防控", "毛城子镇新冠肺炎疫情防控工作方案"),
    ("打疫苗", "关于开展新冠病毒疫苗接种工作的通告"),
    ("医保缴费", "2017年城乡居民基本医疗保险缴费的通知"),
    ("新农合", "2017年城乡居民基本医疗保险缴费的通知"),
    ("养老金认证", "城乡居民养老保险待遇领取资格认证的通知"),
    ("五保", "2017年特困人员救助供养名单公示"),
    ("2017年临时救助审批", "2017年临时救助审批情况公示"),
    ("贫困户名单", "毛城子镇精准扶贫建档立卡贫困户名单"),
    ("秸秆禁烧通告", "关于做好秸秆禁烧工作的通告"),
    ("信息公开指南", "毛城子镇政府信息公开指南"),
    ("农机补贴", "2017年农机购置补贴资金兑付情况公示"),
    ("上半年财政收支", "2017年上半年财政收支情况的报告"),
    ("抚恤", "优抚对象抚恤补助标准调整的通知"),
    ("土地确权", "双龙村土地承包经营权确权登记颁证公示"),
)

NOTHING_HELD = ("李四", "13800138000", "火车票", "高考成绩", "驾照考试", "火星移民计划", "高龄补贴")


@pytest.fixture
def catalogue_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose catalogue is the generated town catalogue (the examples removed)."""
    app = make_app()
    with app.app_context():
        session = db.get_session()
        session.execute(delete(Item))
        town = town_id(session)
        session.execute(insert(Item), list(town_catalogue.rows(CATALOGUE_SIZE, body_id=town)))
        bump_catalogue_revision(session, town)  # a bulk insert bypasses the ORM's flush hook
        session.commit()
    return app


def rank(index: SearchIndex, query: str, title: str) -> int | None:
    return rank_in(index.search(query), title)


def rank_in(results: Results, title: str) -> int | None:
    for position, entry in enumerate(results, start=1):
        if entry.title == title:
            return position
    return None


def test_the_test_set_is_large_enough() -> None:
    assert len(PAIRS) >= 30
    assert len(town_catalogue.catalogue(CATALOGUE_SIZE)) >= 300
    anchors = {anchor["title"] for anchor in town_catalogue.ANCHORS}
    assert {title for _, title in PAIRS} <= anchors


def test_each_query_finds_its_item_on_the_first_page(catalogue_app: Flask) -> None:
    with catalogue_app.app_context():
        index = index_of(db.get_session(), town_id(db.get_session()))
        assert len(index) == CATALOGUE_SIZE
        ranks = {query: rank(index, query, title) for query, title in PAIRS}
    missed = {q: r for q, r in ranks.items() if r is None or r > PAGE_SIZE}
    assert not missed, f"not on the first page (rank or None): {missed}"
    first = sum(1 for r in ranks.values() if r == 1)
    assert first / len(PAIRS) >= 0.8, f"only {first} of {len(PAIRS)} ranked first: {ranks}"


def test_the_first_page_of_a_topic_is_all_about_it(catalogue_app: Flask) -> None:
    with catalogue_app.app_context():
        index = index_of(db.get_session(), town_id(db.get_session()))
        for query, forms in (
            ("低保", ("低保", "最低生活保障")),
            ("危改", ("危房改造",)),
            ("招投标", ("招标", "中标")),
            ("防汛", ("防汛", "汛期")),
        ):
            first_page = [entry.title for entry in index.search(query).page(0, PAGE_SIZE)]
            assert len(first_page) == PAGE_SIZE
            for title in first_page:
                assert any(form in title for form in forms), (query, title)


def test_things_not_held_find_nothing(catalogue_app: Flask) -> None:
    with catalogue_app.app_context():
        index = index_of(db.get_session(), town_id(db.get_session()))
        for query in NOTHING_HELD:
            assert index.search(query).total == 0, query


def test_without_its_index_the_database_search_finds_the_same_items(catalogue_app: Flask) -> None:
    """A large catalogue searched before its index is built (bot.content.indexes)."""
    with catalogue_app.app_context():
        found = DatabaseSearch(db.get_session(), town_id(db.get_session()))
        ranks = {query: rank_in(found.search(query), title) for query, title in PAIRS}
        missed = {q: r for q, r in ranks.items() if r is None or r > PAGE_SIZE}
        assert not missed, f"not on the first page (rank or None): {missed}"
        for query in NOTHING_HELD:
            assert found.search(query).total == 0, query


def test_reading_the_items_ranks_them_as_their_index_does(catalogue_app: Flask) -> None:
    """The database search's candidates are ranked without building an index of them: the
    same items in the same order as an index of the same items would give."""
    with catalogue_app.app_context():
        entries = list(index_of(db.get_session(), town_id(db.get_session())).latest())
        queries = [query for query, _ in PAIRS] + list(NOTHING_HELD) + ["12号", "2017", "危改"]
        for size in (60, len(entries)):
            built, scanned = SearchIndex(entries[:size], 2000), ScannedIndex(entries[:size], 2000)
            for query in queries:
                assert list(scanned.search(query).positions) == list(
                    built.search(query).positions
                ), (size, query)
