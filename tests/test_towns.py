"""A county account serving several towns: residents pick their town once (by number or by
name), change it with 切换, and every answer is that town's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from bot import clock, db
from bot.cases import inbox
from bot.engine.dialogue import normalise
from bot.engine.towns import Town, picked, short_name
from bot.models import Body
from bot.models.cases import Case
from bot.models.content import Item, ItemStatus, bump_catalogue_revision
from bot.models.wechat import TownChoice
from bot.store import EXTENSION as STORE
from bot.wechat.protocol import Keys
from tests.support import PUBLIC_URL, Resident, cli, file_complaint

COUNTY_TOKEN = "countyToken2026"
DALIN_TOKEN = "dalinToken2026"


@dataclass
class County:
    app: Flask
    bodies: dict[str, int]

    def resident(self, openid: str = "o-villager", account: str = "county") -> Resident:
        token = COUNTY_TOKEN if account == "county" else DALIN_TOKEN
        return Resident(self.app, openid=openid, account=account, keys=Keys(token))


@pytest.fixture
def county(app: Flask) -> County:
    """The seeded town (毛城子镇), 怀德镇 and 大岭镇; a county account serving the first two,
    and 大岭镇's own account."""
    for slug, name in (("huaide", "公主岭市怀德镇人民政府"), ("dalin", "公主岭市大岭镇人民政府")):
        assert cli(app, "body", "add", slug, "--name", name).exit_code == 0
    with app.app_context():
        session = db.get_session()
        ids = {body.slug: body.id for body in session.scalars(select(Body))}
        huaide = session.get(Body, ids["huaide"])
        huaide.phone, huaide.address = "0434-6200000", "怀德镇政府院内"
        session.commit()
    for slug, token, served in (
        ("county", COUNTY_TOKEN, ["town", "huaide"]),
        ("dalin", DALIN_TOKEN, ["dalin"]),
    ):
        bodies = [arg for slug_ in served for arg in ("--body", slug_)]
        added = cli(
            app, "account", "add", slug, *bodies, "--appid", f"wx{slug}", input=f"{token}\n\n\n"
        )
        assert added.exit_code == 0, added.output
    return County(app, ids)


def test_a_resident_picks_their_town_by_number_and_is_answered_for_it(county: County) -> None:
    resident = county.resident()

    asked = resident.says("联系")

    assert "请先选择您所在的乡镇" in asked
    assert "1. 毛城子镇" in asked and "2. 怀德镇" in asked
    assert "好的，您选择了怀德镇" in resident.says("2")
    contact = resident.says("联系")
    assert "公主岭市怀德镇人民政府" in contact and "0434-6200000" in contact
    assert "毛城子镇" not in contact


def test_a_town_is_picked_by_name_and_changed_with_switch(county: County) -> None:
    resident = county.resident()
    resident.says("你好")

    assert "没有找到这个乡镇" in resident.says("长春")
    assert "好的，您选择了毛城子镇" in resident.says("毛城子")
    assert "毛城子镇" in resident.says("联系")

    switching = resident.says("切换")
    assert "现在是毛城子镇" in switching and "2. 怀德镇" in switching
    assert "好的，还是毛城子镇" in resident.says("取消")
    resident.says("切换")
    assert "已换成怀德镇" in resident.says("怀德镇")
    assert "0434-6200000" in resident.says("联系")


def test_help_on_a_county_account_says_the_town_and_how_to_switch(county: County) -> None:
    resident = county.resident()
    resident.says("帮助")
    resident.says("1")

    help_text = resident.says("帮助")

    assert "现在是毛城子镇，发送“切换”可以更换乡镇" in help_text
    assert "切换" not in county.resident(account="dalin").says("帮助")


def test_a_complaint_goes_to_the_inbox_of_the_town_picked(county: County) -> None:
    resident = county.resident()
    resident.says("投诉")
    resident.says("2")

    number = file_complaint(resident, "怀德镇十字路口的路灯坏了")

    with county.app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert (case.body_id, case.account) == (county.bodies["huaide"], "county")
        today = clock.today()
        huaide = inbox.page(session, county.bodies["huaide"], inbox.Filters(), 0, today, 1)
        town = inbox.page(session, county.bodies["town"], inbox.Filters(), 0, today, 1)
    assert [row.case.number for row in huaide.rows] == [number]
    assert number not in [row.case.number for row in town.rows]
    assert number in resident.says("我的")
    resident.says("切换")
    resident.says("1")
    assert number not in resident.says("我的")  # 毛城子镇's cases only


def test_the_town_survives_a_redis_restart_and_is_asked_again_only_when_lost(
    county: County,
) -> None:
    resident = county.resident()
    resident.says("帮助")
    resident.says("2")
    store = county.app.extensions[STORE]

    store.flushdb()  # Redis restarted: the session is gone
    assert "0434-6200000" in resident.says("联系")  # the choice kept in the database

    store.flushdb()
    with county.app.app_context():
        session = db.get_session()
        session.query(TownChoice).delete()
        session.commit()
    assert "请先选择您所在的乡镇" in resident.says("联系")  # asked, never guessed


def test_the_same_openid_picks_its_town_on_each_account_apart(county: County) -> None:
    county.resident().says("帮助")
    county.resident().says("2")
    assert "请先选择您所在的乡镇" in county.resident(openid="o-neighbour").says("帮助")
    dalin = county.resident(account="dalin").says("联系")
    assert "公主岭市大岭镇人民政府" in dalin and "请先选择" not in dalin


def test_search_shows_the_towns_own_matches_first_then_other_towns_labelled(
    county: County,
) -> None:
    with county.app.app_context():
        session = db.get_session()
        session.add(
            Item(
                body_id=county.bodies["huaide"],
                title="怀德镇2026年第四季度低保名单公示",
                category="社会救助",
                published_on=date(2026, 11, 20),
                status=ItemStatus.PUBLISHED,
                attachments=[],
            )
        )
        bump_catalogue_revision(session, county.bodies["huaide"])
        session.commit()
    resident = county.resident()
    resident.says("帮助")
    resident.says("毛城子镇")

    found = resident.says("低保")

    own, _, others = found.partition("其他乡镇的相关信息：")
    assert "低保" in own and "怀德镇2026年第四季度低保名单公示" not in own
    assert "【怀德镇】怀德镇2026年第四季度低保名单公示" in others
    resident.says("切换")
    resident.says("怀德")
    assert "怀德镇2026年第四季度低保名单公示" in resident.says("低保").split("其他乡镇")[0]


def test_a_subscription_on_a_county_account_welcomes_and_asks_for_the_town(
    county: County,
) -> None:
    welcome = county.resident().chat.subscribe()
    assert "欢迎关注" in welcome and "1. 毛城子镇" in welcome


@pytest.mark.parametrize(
    ("said", "town"),
    [
        ("1", "毛城子镇"),
        ("第2个", "怀德镇"),
        ("２", "怀德镇"),
        ("怀德", "怀德镇"),
        ("毛城子镇的", "毛城子镇"),
    ],
)
def test_a_town_is_read_from_its_number_or_name(said: str, town: str) -> None:
    towns = (Town(1, "毛城子镇"), Town(2, "怀德镇"))
    found = picked(normalise(said), towns)
    assert found is not None and found.name == town


def test_what_is_not_one_town_picks_none() -> None:
    towns = (Town(1, "东风镇"), Town(2, "东升乡"), Town(3, "怀德镇"))
    for said in ("3 4", "0", "9", "东", "长春市", "我要投诉"):
        assert picked(said, towns) is None


def test_a_towns_name_is_what_residents_call_it() -> None:
    assert short_name("公主岭市毛城子镇政府政务公开办公室") == "毛城子镇"
    assert short_name("公主岭市怀德镇人民政府") == "怀德镇"
    assert short_name("范家屯街道办事处") == "范家屯街道"
    assert short_name("公主岭市教育局") == "公主岭市教育局"


def test_an_account_names_its_bodies_when_the_deployment_has_several(county: County) -> None:
    unnamed = cli(county.app, "account", "add", "xin", "--appid", "wxxin", input="xinToken\n\n\n")
    assert unnamed.exit_code != 0 and "sunshine body list" in unnamed.output
    unknown = cli(
        county.app, "account", "add", "xin", "--body", "nowhere", "--appid", "wxxin", input="x\n"
    )
    assert unknown.exit_code != 0 and "no body 'nowhere'" in unknown.output
    twice = cli(
        county.app,
        *("account", "add", "xin", "--body", "dalin", "--body", "dalin", "--appid", "wxxin"),
        input="xinToken\n\n\n",
    )
    assert twice.exit_code != 0 and "named twice" in twice.output

    listed = cli(county.app, "account", "list").output
    assert "county" in listed and "town,huaide" in listed and "dalin" in listed


def test_a_county_accounts_menu_opens_the_catalogue_of_one_of_its_towns(county: County) -> None:
    first = cli(county.app, "menu", "show", "--account", "county")
    chosen = cli(county.app, "menu", "show", "--account", "county", "--body", "huaide")
    own = cli(county.app, "menu", "show", "--account", "dalin")
    foreign = cli(county.app, "menu", "show", "--account", "county", "--body", "dalin")

    assert first.exit_code == 0 and f"{PUBLIC_URL}/items" in first.output
    assert chosen.exit_code == 0 and f"{PUBLIC_URL}/b/huaide/items" in chosen.output
    assert own.exit_code == 0 and f"{PUBLIC_URL}/b/dalin/items" in own.output
    assert foreign.exit_code != 0 and "does not serve body 'dalin'" in foreign.output
