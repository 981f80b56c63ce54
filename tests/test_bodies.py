"""Two bodies (行政机关) on one deployment: each its own items, search, reports, contact
details, cases and tracking numbers; ``sunshine body`` and the ``--body`` rules of commands.

The town the tests' app is seeded with (毛城子镇, slug ``town``) is the default body,
served at ``/wechat``, ``/items`` and ``/report``; 怀德镇 (``huaide``) is added beside it.
What a resident writing to 怀德镇's account would get is its handlers called with
``Context.body_id`` set, as an account serving that town sets it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.cases import export, intake
from bot.cases.intake import ComplaintForm
from bot.content.indexes import index_of
from bot.engine.dialogue import Context
from bot.models import Body
from bot.models.content import Item
from bot.privacy import Resident as ResidentId
from bot.staff import bodies
from tests.support import (
    Resident,
    audit_entries,
    cli,
    file_anonymous_complaint,
    logged_in,
    town_id,
)

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def county(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The seeded town and 怀德镇, each with an item of its own."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    result = cli(app, "body", "add", "huaide", "--name", "公主岭市怀德镇人民政府")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.get_session()
        huaide = huaide_of(session)
        huaide.phone, huaide.address = "0434-6200000", "怀德镇政府院内"
        session.add_all(
            [
                item(town_id(session), "毛城子镇秸秆禁烧通告"),
                item(huaide.id, "怀德镇秸秆禁烧通告"),
                item(huaide.id, "怀德镇春耕备耕通知"),
            ]
        )
        session.commit()
    return app


def huaide_of(session: db.Session) -> Body:
    found = bodies.by_slug(session, "huaide")
    assert found is not None
    return found


def item(body_id: int, title: str) -> Item:
    return Item(
        body_id=body_id,
        title=title,
        category="公示公告",
        published_on=date(2026, 11, 20),
        channel="wechat",
        attachments=[],
    )


def huaide_says(app: Flask, text: str, openid: str = "o-huaide-1") -> str:
    """What a resident of 怀德镇 is answered (outside a dialogue)."""
    with app.test_request_context():
        session = db.get_session()
        router = app.extensions["sunshine.router"]
        message = SimpleNamespace(type="text", source=openid, content=text)
        ctx = Context(message, {}, router, text=text, body_id=huaide_of(session).id)
        reply = router.route(ctx)(ctx)
        return reply if isinstance(reply, str) else str(reply.articles)


def file_in_huaide(app: Flask, text: str, openid: str = "o-huaide-1") -> str:
    """A report (举报) filed with 怀德镇 (the town's cases here are complaints, 投诉)."""
    with app.app_context():
        session = db.get_session()
        form = ComplaintForm(category="举报", text=text)
        filed = intake.file_complaint(
            session, huaide_of(session), ResidentId(openid), f"h-{text}", form, 10
        )
        return filed.case.number


# ---- residents ----


def test_the_same_tracking_number_is_each_bodys_own(county: Flask) -> None:
    theirs = file_in_huaide(county, "怀德镇的路灯坏了", openid="o-resident-1")
    ours = file_anonymous_complaint(Resident(county), "毛城子镇的路灯坏了")

    assert ours == theirs == "TS20261203-0001", "each body numbers its own cases"
    assert f"编号：{ours}（投诉）" in Resident(county).says(f"进度 {ours}")
    their_progress = huaide_says(county, f"进度 {theirs}", openid="o-resident-1")
    assert f"编号：{theirs}（举报）" in their_progress
    mine_here = Resident(county).says("我的")
    assert "您提交的事项（共1件）：\nTS20261203-0001 投诉" in mine_here, "the same resident's"


def test_each_bodys_search_contact_and_reports_are_its_own(county: Flask) -> None:
    ours = Resident(county).says("秸秆禁烧")
    theirs = huaide_says(county, "秸秆禁烧")
    assert "毛城子镇秸秆禁烧通告" in ours and "怀德镇" not in ours
    assert "怀德镇秸秆禁烧通告" in theirs and "毛城子镇" not in theirs
    assert "/b/huaide/items/" in theirs, "its links open its own pages"

    contact = huaide_says(county, "联系")
    assert "公主岭市怀德镇人民政府" in contact and "0434-6200000" in contact
    assert "0434-6100000" not in contact
    assert huaide_says(county, "年报").startswith("还没有发布年度报告。")
    assert "2017" in Resident(county).says("年报")


def test_each_body_has_its_pages_and_an_unknown_one_is_not_found(county: Flask) -> None:
    client = county.test_client()
    ours = client.get("/items?q=秸秆").get_data(as_text=True)
    theirs = client.get("/b/huaide/items?q=秸秆").get_data(as_text=True)
    assert "毛城子镇秸秆禁烧通告" in ours and "怀德镇秸秆禁烧通告" not in ours
    assert "怀德镇秸秆禁烧通告" in theirs and "毛城子镇秸秆禁烧通告" not in theirs
    assert 'href="/b/huaide/items' in theirs, "its links stay on its path"
    assert client.get("/b/town/items?q=秸秆").status_code == 200

    with county.app_context():
        session = db.get_session()
        their_item = session.scalars(select(Item).where(Item.title == "怀德镇春耕备耕通知")).one()
    assert client.get(f"/b/huaide/items/{their_item.id}").status_code == 200
    assert client.get(f"/items/{their_item.id}").status_code == 404, "not the town's item"
    assert client.get("/report/2017").status_code == 200
    assert client.get("/b/huaide/report/2017").status_code == 404, "the report is the town's"
    missing = client.get("/b/nosuch/items")
    assert missing.status_code == 404 and "没有找到" in missing.get_data(as_text=True)
    for crafted in ("%00", "a%00b", "%E6%80%80", "UPPER", "x" * 300):  # PostgreSQL refuses a NUL
        assert client.get(f"/b/{crafted}/items").status_code == 404, crafted


def test_search_indexes_are_kept_per_body(county: Flask) -> None:
    with county.app_context():
        session = db.get_session()
        town, huaide = town_id(session), huaide_of(session).id
        assert index_of(session, huaide).search("春耕").total == 1
        assert index_of(session, town).search("春耕").total == 0
        session.add(item(town, "毛城子镇春耕生产安排"))
        session.commit()
        assert index_of(session, town).search("春耕").total == 1
        assert index_of(session, huaide).search("春耕").total == 1


# ---- staff ----


def test_the_console_and_exports_show_the_staff_members_body_only(county: Flask) -> None:
    theirs = file_in_huaide(county, "怀德镇的垃圾没人清")
    ours = file_anonymous_complaint(Resident(county), "毛城子镇的垃圾没人清")
    assert ours == theirs
    console = logged_in(county, "wang", "approver", member_of=["town"])

    inbox = console.page("/admin/cases?status=all")
    assert "共 1 件" in inbox and f">{ours}</a>" in inbox
    page = console.page(f"/admin/cases/{ours}")
    assert "毛城子镇的垃圾没人清" in page and "怀德镇的垃圾没人清" not in page
    items = console.page("/admin/items")
    assert "毛城子镇秸秆禁烧通告" in items and "怀德镇" not in items

    with county.app_context():
        session = db.get_session()
        exported = export.records(session, huaide_of(session).id, with_contact=False)
    assert [row["text"] for row in exported] == ["怀德镇的垃圾没人清"]


# ---- commands ----


def test_body_add_and_list(county: Flask) -> None:
    assert cli(county, "body", "list").output.splitlines() == [
        "town    公主岭市毛城子镇政府政务公开办公室  (default)",
        "huaide  公主岭市怀德镇人民政府",
    ]

    taken = cli(county, "body", "add", "huaide", "--name", "别的镇")
    assert taken.exit_code == 1 and "a body 'huaide' exists already" in taken.output
    wrong = cli(county, "body", "add", "Huai De", "--name", "怀德镇")
    assert wrong.exit_code == 1 and "is not a slug" in wrong.output
    with county.app_context():
        huaide = huaide_of(db.get_session())
    assert huaide.authority == "公主岭市怀德镇人民政府"
    assert huaide.reconsideration_body == "公主岭市人民政府", "a town's is its county's"
    assert [e.details["name"] for e in audit_entries(county, "body.add")] == [huaide.authority]


def test_a_command_on_one_body_needs_it_named_once_there_are_several(app: Flask) -> None:
    alone = cli(app, "report", "stats", "2025")
    assert alone.exit_code == 0, "the only body is the one meant"
    assert cli(app, "body", "add", "huaide", "--name", "公主岭市怀德镇人民政府").exit_code == 0

    for command in (
        ["report", "stats", "2025"],
        ["cases", "export"],
        ["seed"],
        ["items", "remove-examples"],
    ):
        refused = cli(app, *command)
        assert refused.exit_code == 2, (command, refused.output)
        assert "name one with --body SLUG" in refused.output
        assert "sunshine body list" in refused.output

    unknown = cli(app, "report", "stats", "2025", "--body", "nosuch")
    assert unknown.exit_code == 2 and "no body 'nosuch'" in unknown.output
    named = cli(app, "cases", "export", "--body", "huaide")
    assert named.exit_code == 0 and named.output.strip() == "[]"
    assert cli(app, "calendar", "list").exit_code == 0, "the calendar is shared"


def test_the_daily_digest_covers_every_body_unless_one_is_named(app: Flask) -> None:
    """The digest timer runs ``sunshine digest`` with no body: on a county deployment it
    must print each town's digest, not stop at "name one"."""
    assert cli(app, "body", "add", "huaide", "--name", "公主岭市怀德镇人民政府").exit_code == 0
    every = cli(app, "digest")
    assert every.exit_code == 0, every.output
    assert every.output.count("每日督办单") == 2
    assert every.output.index("毛城子镇") < every.output.index("公主岭市怀德镇人民政府")
    one = cli(app, "digest", "--body", "huaide")
    assert one.exit_code == 0 and one.output.count("每日督办单") == 1
    assert "公主岭市怀德镇人民政府 每日督办单" in one.output
    unknown = cli(app, "digest", "--body", "nosuch")
    assert unknown.exit_code == 2 and "no body 'nosuch'" in unknown.output
