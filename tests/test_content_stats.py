"""统计 and the catalogue's chart: counts by year and channel, percentages computed from counts."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from bot import db
from bot.content import stats
from bot.models.content import Item
from tests.support import Resident, scripts_not_our_own, town_id


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (91, 256, "35.5%"),
        (111, 256, "43.4%"),
        (54, 256, "21.1%"),
        (1, 8, "12.5%"),
        (1, 3, "33.3%"),
        (2, 3, "66.7%"),
        (0, 5, "0.0%"),
        (3, 0, "0.0%"),
    ],
)
def test_percentages_have_one_decimal_rounded_half_up(part: int, whole: int, shown: str) -> None:
    assert stats.percent(part, whole) == shown


def test_statistics_in_chat_show_the_report_history_and_the_held_items(resident: Resident) -> None:
    reply = resident.says("统计")
    assert "【2017年度报告】2014—2017年共256条" in reply
    assert "网站111（43.4%），微信54（21.1%），其他91（35.5%）" in reply
    assert "34%" not in reply
    assert "【本系统收录】共14条，其中示例14条" in reply
    assert "2017年8条：网站5（62.5%），微信2（25.0%），其他1（12.5%），其中示例8条" in reply
    assert "/items#stats" in reply


def test_held_counts_follow_the_items(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        for channel in ("wechat", "wechat", "other"):
            session.add(
                Item(
                    body_id=town_id(session),
                    title="春耕备耕通知",
                    category="农业农村",
                    published_on=date(2018, 3, 1),
                    channel=channel,
                    attachments=[],
                )
            )
        session.add(
            Item(
                body_id=town_id(session),
                title="草稿",
                category="农业农村",
                published_on=date(2018, 3, 2),
                channel="website",
                status="draft",
                attachments=[],
            )
        )
        session.commit()
        by_year = {year.first_year: year for year in stats.held_by_year(session, town_id(session))}
    assert by_year[2018].total == 3, "drafts are not counted"
    assert [(s.label, s.count, s.percent) for s in by_year[2018].shares] == [
        ("网站", 0, "0.0%"),
        ("微信", 2, "66.7%"),
        ("其他", 1, "33.3%"),
    ]
    assert by_year[2018].examples == 0
    assert "2018年3条：网站0（0.0%），微信2（66.7%），其他1（33.3%）" in Resident(app).says("统计")


def test_the_catalogue_shows_the_same_figures_as_a_chart(client) -> None:
    page = client.get("/items").get_data(as_text=True)
    assert 'id="stats"' in page
    assert 'class="bar-fill c-website" style="width: 43.4%"' in page
    assert 'class="bar-fill c-other" style="width: 35.5%"' in page
    assert "62.5%" in page and "示例8" in page
    head = page.split("<main>")[0].split("</title>")[1]
    assert scripts_not_our_own(page) == [] and "http" not in head, (
        "no scripts, fonts or styles from elsewhere: the page works offline"
    )
