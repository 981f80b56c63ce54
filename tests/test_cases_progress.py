"""进度 编号, 我的 and the PROGRESS button: only the submitter's own cases, nothing about others'."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import db
from bot.cases import links
from bot.cases.texts import NOT_FOUND
from bot.models.cases import Case, CaseReply
from bot.privacy import openid_hash
from tests.support import PUBLIC_URL, Resident, file_anonymous_complaint


def add_replies(app, number: str, *bodies: str) -> None:
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
        for n, body in enumerate(bodies):
            session.add(
                CaseReply(
                    case=case,
                    body=body,
                    author="镇政务公开办",
                    created_at=start + timedelta(hours=n),
                )
            )
        session.commit()


def test_progress_shows_status_deadlines_and_replies(app, resident):
    number = file_anonymous_complaint(resident)
    shown = resident.says(f"进度 {number}")
    assert f"编号：{number}（投诉）" in shown
    assert "状态：已收到，等待办理" in shown and "是否受理：15个自然日内" in shown
    assert "暂时还没有答复" in shown
    add_replies(app, number, "已转交村委会处理。", "路灯已于今日修复。")
    shown = resident.says(f"进度 {number}")
    assert "工作人员答复（共2条）：" in shown
    assert "2026年11月28日 09:00：已转交村委会处理。" in shown
    assert "2026年11月28日 10:00：路灯已于今日修复。" in shown


def test_only_the_latest_replies_are_shown_and_long_ones_are_cut(app, resident):
    number = file_anonymous_complaint(resident)
    add_replies(app, number, "第一条", "第二条", "第三条", "长" * 400)
    shown = resident.says(f"进度 {number}")
    assert "共4条" in shown and "第一条" not in shown and "第二条" in shown
    assert "长" * 300 + "…" in shown and "长" * 301 not in shown


def test_a_number_is_read_however_it_is_typed(resident):
    number = file_anonymous_complaint(resident)
    sloppy = "ｔｓ" + number[2:10] + " " + number[11:]
    assert f"编号：{number}" in resident.says(f"进度{sloppy}")
    assert f"编号：{number}" in resident.says(f"查询进度 {number.lower()}")


def test_someone_elses_case_is_exactly_as_unknown_as_a_wrong_number(app, resident):
    number = file_anonymous_complaint(resident)
    stranger = Resident(app, openid="o-stranger")
    others = stranger.says(f"进度 {number}")
    wrong = stranger.says(f"进度 {number[:-4]}9999")
    assert others == wrong == NOT_FOUND
    assert number not in others
    words = stranger.says("进度 我家的那件事")
    assert "您还没有提交过申请或投诉" in words, "no number: the resident's own list"


def test_mine_lists_only_my_cases_newest_first(app, resident):
    first = file_anonymous_complaint(resident, "路灯坏了")
    second = file_anonymous_complaint(resident, "垃圾没人收")
    file_anonymous_complaint(Resident(app, openid="o-neighbour"), "邻居的事")
    listed = resident.says("我的")
    assert "您提交的事项（共2件）：" in listed
    assert listed.index(second) < listed.index(first)
    assert "发送“进度 编号”查看详情和答复" in listed
    assert resident.says("/click PROGRESS") == listed
    assert resident.says("进度") == listed


def test_mine_without_cases_says_how_to_start(app):
    reply = Resident(app, openid="o-new").says("我的")
    assert "您还没有提交过申请或投诉" in reply and "申请" in reply and "投诉" in reply


def test_a_closed_case_shows_no_deadline(app, resident):
    number = file_anonymous_complaint(resident)
    with app.app_context():
        session = db.get_session()
        session.scalars(select(Case).where(Case.number == number)).one().status = "closed"
        session.commit()
    shown = resident.says(f"进度 {number}")
    assert "状态：已办结" in shown and "办结期限" not in shown
    assert "期限" not in resident.says("我的")


# ---- long replies in full, by a link for the resident only (docs/security.md) ----

LONG = "经核查，" + "村口路灯的线路老化，已列入本月维修计划。" * 30
LINK = re.compile(r"全部答复的全文请点：(https://\S+)")


def full_text_link(resident: Resident, number: str) -> str:
    summary = resident.says(f"进度 {number}")
    assert len(summary.encode()) <= 2047
    found = LINK.search(summary)
    assert found, summary
    return found.group(1).removeprefix(PUBLIC_URL)


def test_a_cut_reply_links_to_every_reply_in_full(app, resident):
    number = file_anonymous_complaint(resident)
    add_replies(app, number, "第一条", "第二条", "第三条", LONG)
    path = full_text_link(resident, number)

    page = app.test_client().get(path)

    assert page.status_code == 200
    shown = html.unescape(page.get_data(as_text=True))
    assert all(body in shown for body in ("第一条", "第二条", "第三条", LONG))
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert resident.chat.openid not in path and openid_hash(resident.chat.openid) not in path


def test_a_summary_with_nothing_cut_has_no_link(app, resident):
    number = file_anonymous_complaint(resident)
    add_replies(app, number, "路灯已于今日修复。")
    assert "全文" not in resident.says(f"进度 {number}")


def test_a_link_changed_or_made_for_another_case_shows_nothing(app, resident):
    number = file_anonymous_complaint(resident)
    add_replies(app, number, LONG)
    path = full_text_link(resident, number)
    neighbour = Resident(app, openid="o-neighbour")
    theirs = file_anonymous_complaint(neighbour, "垃圾没人清")
    add_replies(app, theirs, "邻居的答复")
    client = app.test_client()
    with app.test_request_context():
        mine = db.get_session().scalars(select(Case).where(Case.number == number)).one()
        other = db.get_session().scalars(select(Case).where(Case.number == theirs)).one()
        # What someone holding the key could sign: the neighbour's case with my name on it.
        crossed = "/replies/" + links._signer(links.Page.ALL_REPLIES).dumps(
            [other.id, links._resident(mine)]
        )

    for forged in (path[:-2] + ("A" if path[-2] != "A" else "B") + path[-1], crossed):
        response = client.get(forged)
        assert response.status_code == 404
        text = response.get_data(as_text=True)
        assert "没有找到这些答复" in text and LONG not in text and "邻居的答复" not in text


def test_an_expired_link_says_how_to_get_a_new_one(app, resident, monkeypatch):
    number = file_anonymous_complaint(resident)
    add_replies(app, number, LONG)
    path = full_text_link(resident, number)
    later = time.time() + links.LINK_DAYS * 24 * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = app.test_client().get(path)
    assert response.status_code == 410
    text = response.get_data(as_text=True)
    assert "链接已过期" in text and "进度" in text and LONG not in text
