"""Items in the console: a clerk drafts, a second person with the approver role reviews
(预先审查, then 保密审查) and publishes; only then do residents find it, in the chat and on
``/items``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from bot import db
from bot.admin import accounts
from bot.content.review import Stage, records_of
from bot.models.content import Item, ItemStatus, ReviewRecordsAreAppendOnly
from tests.support import (
    FORM,
    TITLE,
    Desk,
    Resident,
    add_staff,
    at,
    audit_actions,
    item_row,
    stage_of,
    visible_text,
)


def resident_finds(app: Flask, words: str = "秸秆禁烧专项巡查") -> bool:
    return TITLE in Resident(app, openid="o-resident-items").says(words)


def on_the_web(app: Flask, item_id: int) -> bool:
    client = app.test_client()
    listed = TITLE in client.get("/items", query_string={"q": "秸秆"}).get_data(as_text=True)
    page = client.get(f"/items/{item_id}")
    assert listed == (page.status_code == 200)
    return listed


@pytest.fixture
def office(app: Flask) -> Flask:
    """The app with a clerk (wang), two approvers (li, zhao) and a handler (chen)."""
    add_staff(app, "wang", "clerk", name="王芳")
    add_staff(app, "li", "approver", name="李明")
    add_staff(app, "zhao", "approver", name="赵强")
    add_staff(app, "chen", "handler", name="陈静")
    return app


# ---- the whole way ----


def test_a_clerks_draft_reaches_residents_only_after_both_reviews_and_publishing(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()

    stored = item_row(office, item_id)
    assert stored.status == ItemStatus.DRAFT and stored.doc_number == "毛政发〔2026〕31号"
    assert stored.attachments == [
        {"name": "巡查安排.xlsx", "url": "https://example.gov.cn/files/xuncha.xlsx"}
    ]
    assert not resident_finds(office) and not on_the_web(office, item_id)
    assert "待预先审查" in clerk.page(f"/admin/items/{item_id}")

    answer = approver.review(at(item_id), "pre", comment="同意在微信公众号公开")
    assert "预先审查已通过，下一步：保密审查" in answer and "待保密审查" in answer
    assert not resident_finds(office) and not on_the_web(office, item_id)

    answer = approver.review(at(item_id), "secrecy")
    assert "保密审查已通过，可以发布了" in answer and "已审核，待发布" in answer
    assert item_row(office, item_id).status == ItemStatus.REVIEWED
    assert not resident_finds(office) and not on_the_web(office, item_id)

    answer = approver.act(at(item_id), "publish")
    assert "已发布：居民现在可以在微信和公开目录中看到" in answer
    assert resident_finds(office) and on_the_web(office, item_id)
    assert TITLE in Resident(office).says("最新")

    history = clerk.page(f"/admin/items/{item_id}")
    for line in ("王芳（wang） · 起草", "李明（li） · 预先审查：通过", "同意在微信公众号公开"):
        assert line in history
    assert "李明（li） · 保密审查：通过" in history and "李明（li） · 发布" in history


def test_the_author_cannot_review_their_own_item(office):
    author, other = Desk(office, "li"), Desk(office, "zhao")
    item_id = author.create_item()

    page = author.page(f"/admin/items/{item_id}")
    assert "提交预先审查结论" not in page
    assert "您起草或修改过这份内容，不能审查它，请另一位审核人审查" in page
    answer = author.review(at(item_id), "pre")
    assert "您起草或修改过这份内容，不能审查它" in answer
    assert stage_of(office, item_id) == Stage.AWAITING_PRE

    other.review(at(item_id), "pre")
    assert "您起草或修改过" in author.review(at(item_id), "secrecy")
    assert stage_of(office, item_id) == Stage.AWAITING_SECRECY


def test_the_demos_two_logins_take_a_draft_the_whole_way_alone(app):
    with app.app_context():
        logins = {a.username: pw for a, pw in accounts.ensure_demo_accounts(db.get_session())}
    prepares, approves = (Desk(app, name, logins[name]) for name in ("demo", "demo-head"))
    item_id = prepares.create_item()
    assert "您起草或修改过这份内容，不能审查它" in prepares.review(at(item_id), "pre")

    approves.review(at(item_id), "pre")
    approves.review(at(item_id), "secrecy")
    assert "已发布" in approves.act(at(item_id), "publish")
    assert resident_finds(app)


@pytest.mark.parametrize("username", ["wang", "chen"])
def test_clerks_and_handlers_can_draft_but_not_review_or_publish(office, username):
    desk = Desk(office, username)
    item_id = desk.create_item()
    assert "只有审核人可以审查" in desk.page(f"/admin/items/{item_id}")
    for action in ("review", "publish", "withdraw"):
        response = desk.post(f"/admin/items/{item_id}/{action}", {"revision": "1"})
        assert response.status_code == 403, action
        assert "没有" in visible_text(response.get_data(as_text=True))
    assert item_row(office, item_id).status == ItemStatus.DRAFT


def test_a_rejection_returns_the_draft_with_the_reason(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre")

    refused = approver.review(at(item_id), "secrecy", "reject", "")
    assert "退回时请写明原因" in refused
    assert stage_of(office, item_id) == Stage.AWAITING_SECRECY

    answer = approver.review(at(item_id), "secrecy", "reject", "附件中有村民身份证号，请删去")
    assert "保密审查未通过，已退回起草人修改" in answer
    page = clerk.page(f"/admin/items/{item_id}")
    assert "已退回" in page and "退回原因（李明" in page and "附件中有村民身份证号，请删去" in page
    assert item_row(office, item_id).status == ItemStatus.DRAFT
    assert "待我审查" not in clerk.page("/admin/items")

    clerk.edit_item(item_id, attachments="")
    assert stage_of(office, item_id) == Stage.AWAITING_PRE
    assert item_row(office, item_id).revision == 2


def test_a_returned_draft_can_be_resubmitted_unchanged(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre", "reject", "等镇党委会研究后再公开")
    assert "已重新提交，等待审核人预先审查" in clerk.act(at(item_id), "resubmit")
    assert stage_of(office, item_id) == Stage.AWAITING_PRE
    assert "现在是“待预先审查”，不需要重新提交" in clerk.act(at(item_id), "resubmit")


def test_editing_after_review_requires_review_again(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre")
    approver.review(at(item_id), "secrecy")

    assert "内容改了，需要重新审查" in clerk.edit_item(item_id, summary="巡查时间改为11月25日起。")
    assert stage_of(office, item_id) == Stage.AWAITING_PRE
    assert "都通过后才能发布" in approver.act(at(item_id), "publish")
    assert item_row(office, item_id).status == ItemStatus.DRAFT

    approver.review(at(item_id), "pre")
    approver.review(at(item_id), "secrecy")
    approver.act(at(item_id), "publish")
    assert resident_finds(office)

    notice = clerk.page(f"/admin/items/{item_id}/edit")
    assert "这条信息已发布。保存修改后，它会先从微信和公开目录撤下" in notice
    answer = clerk.edit_item(item_id, summary="巡查延长至12月底。")
    assert "已从微信和公开目录撤下，重新审查并发布后才会再次公开" in answer
    assert not resident_finds(office) and not on_the_web(office, item_id)
    assert item_row(office, item_id).revision == 3


def test_saving_without_a_change_keeps_the_review(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre")
    assert "没有修改任何内容" in clerk.edit_item(item_id, doc_number="毛政发〔2026〕31号")
    assert stage_of(office, item_id) == Stage.AWAITING_SECRECY


def test_a_change_saved_over_someone_elses_is_refused(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.edit_item(item_id, title="关于开展秸秆禁烧巡查的通告")
    answer = clerk.says(f"/admin/items/{item_id}/edit", {**FORM, "revision": "1"})
    assert "您编辑期间，这条信息被他人修改过，您的修改没有保存" in answer
    assert item_row(office, item_id).title == "关于开展秸秆禁烧巡查的通告"
    stale = approver.says(
        f"/admin/items/{item_id}/review", {"step": "pre", "decision": "pass", "revision": "1"}
    )
    assert "内容刚被他人修改或处理过，操作没有执行" in stale


def test_the_review_form_has_no_decision_chosen_and_asks_for_one(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    form = approver.get(at(item_id)).get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="decision"[^>]*>', form)
    assert len(radios) == 2 and not [radio for radio in radios if "checked" in radio]

    comment = "标题中的日期与正文不一致，请核对"
    answer = approver.post(
        f"{at(item_id)}/review", {"step": "pre", "revision": "1", "comment": comment}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "请选择审查结论：“通过”或“不通过，退回修改”" in visible_text(page)
    assert comment in page.split('id="comment"')[1].split("</textarea>")[0], "the comment stays"
    assert stage_of(office, item_id) == Stage.AWAITING_PRE

    refused = approver.post(
        f"{at(item_id)}/review", {"step": "pre", "revision": "1", "decision": "reject"}
    ).get_data(as_text=True)
    assert "退回时请写明原因" in visible_text(refused)
    assert re.search(r'<input[^>]*checked[^>]*value="reject"|value="reject"[^>]*checked', refused)
    assert stage_of(office, item_id) == Stage.AWAITING_PRE


def test_the_author_of_any_version_may_not_review_it(office):
    clerk, li, zhao = Desk(office, "wang"), Desk(office, "li"), Desk(office, "zhao")
    item_id = clerk.create_item()
    li.edit_item(item_id, summary="更正巡查时间。")
    assert "您起草或修改过" in li.review(at(item_id), "pre")
    assert "预先审查已通过" in zhao.review(at(item_id), "pre")


def test_withdrawing_a_published_item_hides_it_until_reviewed_again(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre")
    approver.review(at(item_id), "secrecy")
    approver.act(at(item_id), "publish")
    assert resident_finds(office)

    assert "撤回时请写明原因" in approver.act(at(item_id), "withdraw", reason="")
    assert resident_finds(office)
    answer = approver.act(at(item_id), "withdraw", reason="通告已被新通告替代")
    assert "已撤回：居民不再能看到" in answer
    assert not resident_finds(office) and not on_the_web(office, item_id)
    page = clerk.page(f"/admin/items/{item_id}")
    assert "已撤回" in page and "撤回原因（李明" in page and "通告已被新通告替代" in page
    clerk.act(at(item_id), "resubmit")
    assert stage_of(office, item_id) == Stage.AWAITING_PRE


def test_every_step_is_in_the_audit_log(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    item_id = clerk.create_item()
    approver.review(at(item_id), "pre", "reject", "请补充巡查范围")
    clerk.edit_item(item_id, summary="全镇12个村开展巡查。")
    approver.review(at(item_id), "pre")
    approver.review(at(item_id), "secrecy")
    approver.act(at(item_id), "publish")
    approver.act(at(item_id), "withdraw", reason="巡查结束")
    clerk.act(at(item_id), "resubmit")

    assert audit_actions(office, "item", item_id) == [
        ("wang", "item.create"),
        ("li", "item.review"),
        ("wang", "item.edit"),
        ("li", "item.review"),
        ("li", "item.review"),
        ("li", "item.publish"),
        ("li", "item.withdraw"),
        ("wang", "item.resubmit"),
    ]
    log = approver.page("/admin/audit?action=item.review")
    assert "审查环节：预先审查 结论：不通过，退回修改 意见：请补充巡查范围" in log
    assert "审查环节：保密审查 结论：通过" in log
    assert "修改内容：摘要" in approver.page("/admin/audit?action=item.edit")
    assert "原因：巡查结束" in approver.page("/admin/audit?action=item.withdraw")


# ---- the form ----


def test_the_form_explains_each_mistake_in_chinese(office):
    clerk = Desk(office, "wang")
    response = clerk.post(
        "/admin/items/new",
        {
            **FORM,
            "title": "",
            "category": "杂项",
            "published_on": "2026-02-30",
            "link": "example.gov.cn/a",
            "attachments": "名单",
        },
    )
    page = visible_text(response.get_data(as_text=True))
    assert response.status_code == 200
    for message in (
        "请填写标题。",
        "请从列表中选择类别。",
        "日历上没有“2026-02-30”这一天",
        "链接“example.gov.cn/a”应以 http:// 或 https:// 开头",
        "附件“名单”缺少网址（写成 名称|https://...）",
    ):
        assert message in page
    with office.app_context():
        assert db.get_session().scalar(select(Item).where(Item.title == "")) is None


def test_a_document_number_is_held_once(office):
    clerk = Desk(office, "wang")
    first = clerk.create_item()
    response = clerk.post("/admin/items/new", {**FORM, "doc_number": "毛政发（2026）31号"})
    assert f"文号 毛政发〔2026〕31号 已被另一条信息（编号 {first}）使用" in visible_text(
        response.get_data(as_text=True)
    )


def test_the_new_form_offers_the_offices_name_as_publisher(office):
    page = Desk(office, "wang").get("/admin/items/new").get_data(as_text=True)
    assert 'value="公主岭市毛城子镇政府政务公开办公室"' in page


def test_an_unknown_item_is_a_404(office):
    assert Desk(office, "wang").get("/admin/items/999").status_code == 404


# ---- the list ----


def test_the_list_filters_by_status_category_year_and_examples(office):
    clerk, approver = Desk(office, "wang"), Desk(office, "li")
    draft = clerk.create_item()
    returned = clerk.create_item(
        title="2026年第四季度低保金发放情况", category="民生保障", doc_number="", channel="website"
    )
    approver.review(at(returned), "pre", "reject", "数字待核对")

    def listed(desk: Desk, query: str) -> list[str]:
        html = desk.console.page(f"/admin/items?{query}")
        return re.findall(r'<a href="/admin/items/\d+">([^<]+)</a>', html)

    drafts = listed(clerk, "status=draft")
    assert set(drafts) == {TITLE, "2026年第四季度低保金发放情况"}
    assert listed(approver, "status=mine") == [TITLE]
    assert listed(clerk, "status=published&examples=none") == []
    assert len(listed(clerk, "status=published&examples=only")) == 14
    assert listed(clerk, "category=民生保障&year=2026") == ["2026年第四季度低保金发放情况"]
    assert listed(clerk, "q=31号") == [TITLE]
    page = clerk.page("/admin/items?status=draft")
    assert "已退回" in page and "待预先审查" in page and "共 2 条" in page
    assert "待我审查" not in clerk.page("/admin/items"), "clerks do not review"
    assert draft


def test_the_console_pages_are_for_staff_only(client):
    for path in ("/admin/items", "/admin/items/new", "/admin/items/import", "/admin/reports"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_navigation_shows_the_publishing_pages(office):
    home = Desk(office, "wang").page("/admin/")
    assert "公开信息" in home and "年度报告" in home


def test_seeded_items_are_stored_as_published_without_records(office):
    with office.app_context():
        session = db.get_session()
        example = session.scalars(select(Item).where(Item.is_example)).first()
        assert example.status == ItemStatus.PUBLISHED and example.revision == 1
        assert records_of(session, example) == []
        assert example.published_on < date(2018, 1, 1)


def test_the_review_records_cannot_be_changed_or_deleted(office):
    item_id = Desk(office, "wang").create_item()
    with office.app_context():
        session = db.get_session()
        record = records_of(session, session.get(Item, item_id))[0]
        record.comment = "改写历史"
        with pytest.raises(ReviewRecordsAreAppendOnly):
            session.flush()
        session.rollback()
        session.delete(records_of(session, session.get(Item, item_id))[0])
        with pytest.raises(ReviewRecordsAreAppendOnly):
            session.flush()
