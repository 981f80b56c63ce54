"""The catalogue on the web (/items): the chat's search, filters, item pages, examples marked."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask

from bot import db
from bot.models.content import Item
from bot.wechat.menu import build_menu, menu_problems
from tests.support import PUBLIC_URL, Resident, town_id


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/items/\d+">([^<]+)</a>', html)


def test_the_catalogue_lists_newest_first_with_examples_marked(client) -> None:
    page = client.get("/items").get_data(as_text=True)
    listed = titles(page)
    assert len(listed) == 14 and listed[0] == "2017年第三季度城乡最低生活保障资金发放情况"
    assert page.count('<span class="badge">示例</span>') == 14


def test_web_search_is_the_chat_search(app: Flask) -> None:
    page = app.test_client().get("/items", query_string={"q": "低保"}).get_data(as_text=True)
    chat = Resident(app).says("低保")
    found = titles(page)
    assert found and found[0] in chat
    assert "找到 2 条与“低保”有关的信息" in page
    assert all(title in chat for title in found)


def test_filters_by_category_and_year(client) -> None:
    by_category = titles(client.get("/items?category=财政预决算").get_data(as_text=True))
    assert by_category == ["2016年度部门决算公开", "2017年财政预算公开"]
    by_year = titles(client.get("/items?year=2015").get_data(as_text=True))
    assert by_year == ["城乡居民养老保险待遇领取资格认证的通知", "精准扶贫建档立卡贫困户名单公示"]
    both = client.get("/items?q=危房&year=2016").get_data(as_text=True)
    assert titles(both) == ["2016年农村危房改造补助资金发放情况"]
    assert "没有找到符合条件的信息" in client.get("/items?q=低保&year=2014").get_data(as_text=True)


def test_pages_of_twenty(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        for day in range(1, 30):
            session.add(
                Item(
                    body_id=town_id(session),
                    title=f"第{day}号防汛值班表",
                    category="应急管理",
                    published_on=date(2019, 7, day),
                    channel="wechat",
                    attachments=[],
                )
            )
        session.commit()
    client = app.test_client()
    first = client.get("/items?q=防汛").get_data(as_text=True)
    assert len(titles(first)) == 20 and "第 1 / 2 页" in first
    assert 'href="/items?q=%E9%98%B2%E6%B1%9B&amp;page=2"' in first
    second = client.get("/items?q=防汛&page=2").get_data(as_text=True)
    assert len(titles(second)) == 10 and "‹ 上一页" in second
    assert len(titles(client.get("/items?q=防汛&page=99").get_data(as_text=True))) == 10


def test_an_item_page_shows_its_fields_and_says_it_is_an_example(client) -> None:
    page = client.get("/items/1").get_data(as_text=True)
    assert "<h1>2017年第三季度城乡最低生活保障资金发放情况</h1>" in page
    assert "示例〔2017〕21号" in page and "2017-10-12" in page and "网站" in page
    assert "这是演示用的示例信息，不是真实公开的政府信息。" in page
    assert "共发放保障资金约58万元" in page


def test_unpublished_and_unknown_items_are_friendly_404s(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        draft = Item(
            body_id=town_id(session),
            title="草稿",
            category="公示公告",
            published_on=date(2018, 1, 1),
            channel="website",
            status="reviewed",
            attachments=[],
        )
        session.add(draft)
        session.commit()
        draft_id = draft.id
    client = app.test_client()
    for url in (f"/items/{draft_id}", "/items/99999"):
        response = client.get(url)
        assert response.status_code == 404
        assert "没有找到这条信息" in response.get_data(as_text=True)


def test_odd_parameters_do_not_break_the_page(client) -> None:
    for query in ("q=%00%FF", "year=abc", "page=-3", "category=不存在", "q=" + "低" * 500):
        assert client.get(f"/items?{query}").status_code == 200
    for query in (f"year={2**64}", f"page={2**64}", "year=-" + "9" * 40):
        assert client.get(f"/items?{query}").status_code == 200


OUT_OF_RANGE = (str(2**31), str(2**63), str(2**64), "9" * 40, "-1", "１２")


def test_ids_no_database_column_holds_are_friendly_404s(client) -> None:
    for number in OUT_OF_RANGE:
        for path in (f"/items/{number}", f"/report/{number}", f"/report/{number}.pdf"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "没有找到" in response.get_data(as_text=True), path


def test_every_menu_button_is_answered(app: Flask) -> None:
    menu = build_menu(PUBLIC_URL)
    keys = set(app.extensions["sunshine.router"].menu_keys)
    problems = menu_problems(menu, keys)
    assert not [p for p in problems if "REPORT" in p or "LATEST" in p], problems
    views = [b["url"] for top in menu["button"] for b in top["sub_button"] if b["type"] == "view"]
    assert views == [f"{PUBLIC_URL}/items"]
    assert app.test_client().get("/items").status_code == 200
