"""Several official accounts on one deployment: ``sunshine account``, ``/wechat/<slug>``, and
residents kept apart by account even when WeChat gives them the same openid string."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import event, select

from bot import db
from bot.models.cases import Case
from bot.models.wechat import WechatAccount
from bot.staff import bodies
from bot.store import EXTENSION as STORE
from bot.wechat import accounts
from bot.wechat.chat import ChatError
from bot.wechat.menu import build_menu
from bot.wechat.protocol import Keys, message_xml, sign, sign_delivery
from tests import fake_wechat
from tests.support import (
    AES_KEY,
    APPID,
    PUBLIC_URL,
    TOKEN,
    Resident,
    audit_entries,
    cli,
    file_application,
    file_complaint,
    logged_in,
    post,
)

SLUG = "dongfeng"
OTHER_APPID = "wxdongfeng0001"
OTHER_TOKEN = "dongfengToken2026"
OTHER_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
OTHER_SECRET = "dongfeng-secret"


def add_account(
    app: Flask,
    slug: str = SLUG,
    appid: str = OTHER_APPID,
    token: str = OTHER_TOKEN,
    aes_key: str = "",
    secret: str = "",
) -> Keys:
    """``sunshine account add`` as an operator types it; the keys WeChat will sign with."""
    result = cli(
        app, "account", "add", slug, "--appid", appid, input=f"{token}\n{aes_key}\n{secret}\n"
    )
    assert result.exit_code == 0, result.output
    return Keys(token, aes_key or None, appid)


def text_delivery(keys: Keys, content: str, openid: str = "o-same", safe: bool = False):
    xml = message_xml(
        {
            "ToUserName": "gh_dongfeng",
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": time.time_ns(),
        }
    )
    return sign_delivery(keys, xml, safe_mode=safe)


def post_to(app: Flask, path: str, delivery) -> tuple[int, str]:
    response = app.test_client().post(
        path, query_string=delivery.query, data=delivery.body, content_type="text/xml"
    )
    return response.status_code, response.get_data(as_text=True)


# ---- an account added while the app runs ----


def test_an_account_added_from_the_command_line_answers_at_its_own_address_without_a_restart(
    app: Flask,
) -> None:
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(Keys(OTHER_TOKEN), "帮助"))[0] == 404

    result = cli(app, "account", "add", SLUG, "--appid", OTHER_APPID, input=f"{OTHER_TOKEN}\n\n\n")

    assert result.exit_code == 0, result.output
    assert f"{PUBLIC_URL}/wechat/{SLUG}" in result.output
    assert "plaintext mode" in result.output and "no API calls" in result.output
    resident = Resident(app, openid="o-same", account=SLUG, keys=Keys(OTHER_TOKEN))
    assert "请回复下面的词" in resident.says("帮助")


def test_a_named_accounts_help_costs_no_database_query_once_its_accounts_are_read(
    app: Flask,
) -> None:
    keys = add_account(app)
    resident = Resident(app, openid="o-same", account=SLUG, keys=keys)
    assert "请回复下面的词" in resident.says("帮助")  # the worker reads the accounts once
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = app.extensions["sunshine.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            assert "请回复下面的词" in resident.says("帮助")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_an_unknown_account_is_not_found(app: Flask) -> None:
    client = app.test_client()
    ts = str(int(time.time()))
    query = {"timestamp": ts, "nonce": "1", "signature": sign(TOKEN, ts, "1"), "echostr": "x"}
    assert client.get("/wechat/nowhere", query_string=query).status_code == 404
    assert post_to(app, "/wechat/nowhere", text_delivery(Keys(TOKEN), "帮助"))[0] == 404
    assert client.get("/wechat", query_string=query).get_data(as_text=True) == "x"


def test_a_named_account_takes_only_deliveries_signed_with_its_own_token(app: Flask) -> None:
    keys = add_account(app)
    forged = text_delivery(Keys("someoneElsesToken"), "帮助")
    with_the_configured_token = text_delivery(Keys(TOKEN), "帮助")

    assert post_to(app, f"/wechat/{SLUG}", forged)[0] == 403
    assert post_to(app, f"/wechat/{SLUG}", with_the_configured_token)[0] == 403
    assert post_to(app, "/wechat", text_delivery(keys, "帮助"))[0] == 403
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(keys, "帮助"))[0] == 200
    ts = str(int(time.time()))
    verify = {
        "timestamp": ts,
        "nonce": "7",
        "signature": sign(OTHER_TOKEN, ts, "7"),
        "echostr": "e",
    }
    assert app.test_client().get(f"/wechat/{SLUG}", query_string=verify).data == b"e"


# ---- one openid, two accounts ----


def test_the_same_openid_on_two_accounts_is_two_residents(app: Flask) -> None:
    keys = add_account(app)
    here = Resident(app, openid="o-same")
    there = Resident(app, openid="o-same", account=SLUG, keys=keys)

    complaint = file_complaint(here)
    assert "还没有提交过" in there.says("我的")
    assert "没有找到这个编号" in there.says(f"进度 {complaint}")

    assert "第1步" in here.says("申请")  # a dialogue begun on one account …
    assert "现在没有正在填写的内容" in there.says("确认")  # … is not the other's
    application = file_application(there)
    assert "已取消" in here.says("取消")

    mine_here, mine_there = here.says("我的"), there.says("我的")
    assert complaint in mine_here and application not in mine_here
    assert application in mine_there and complaint not in mine_there
    assert "没有找到这个编号" in here.says(f"进度 {application}")
    with app.app_context():
        filed = {c.number: c.account for c in db.get_session().scalars(select(Case))}
    assert filed == {complaint: "", application: SLUG}


def test_a_named_accounts_residents_are_kept_under_its_own_keys_in_redis(app: Flask) -> None:
    keys = add_account(app)
    Resident(app, openid="o-same").says("投诉")
    Resident(app, openid="o-same", account=SLUG, keys=keys).says("申请")

    store = app.extensions[STORE]
    default_session = store.get("sunshine:session:o-same")
    named_session = store.get(f"sunshine:@{SLUG}:session:o-same")
    assert b'"complaint"' in default_session and b'"application"' in named_session
    assert store.get(f"sunshine:@{SLUG}:seen:o-same") is not None


# ---- modes ----


def test_a_named_account_in_safe_mode_beside_a_plaintext_one(app: Flask) -> None:
    safe = add_account(app, aes_key=OTHER_AES_KEY)
    resident = Resident(app, openid="o-safe", account=SLUG, keys=safe, safe_mode=True)

    assert "请回复下面的词" in resident.says("帮助")  # decrypted, answered, encrypted back
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(safe, "帮助"))[0] == 403  # plaintext
    sealed_by_another = text_delivery(Keys(OTHER_TOKEN, AES_KEY, APPID), "帮助", safe=True)
    assert post_to(app, f"/wechat/{SLUG}", sealed_by_another)[0] == 400
    assert "请回复下面的词" in Resident(app).says("帮助")  # /wechat stays plaintext


def test_a_plaintext_account_beside_a_configured_account_in_safe_mode(safe_app: Flask) -> None:
    keys = add_account(safe_app)
    assert "请回复下面的词" in Resident(safe_app, account=SLUG, keys=keys).says("帮助")
    assert "请回复下面的词" in Resident(safe_app, safe_mode=True).says("帮助")
    with pytest.raises(ChatError, match="403"):
        Resident(safe_app).says("帮助")  # the configured account refuses plaintext


# ---- changed and removed ----


def test_a_removed_account_stops_answering_and_a_new_token_works_at_its_first_delivery(
    app: Flask,
) -> None:
    keys = add_account(app)
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(keys, "帮助"))[0] == 200

    removed = cli(app, "account", "remove", SLUG)
    assert removed.exit_code == 0, removed.output
    # A worker learns of the change from the next delivery's Redis script: at most one more.
    statuses = [post_to(app, f"/wechat/{SLUG}", text_delivery(keys, "帮助"))[0] for _ in "12"]
    assert statuses[-1] == 404

    renewed = add_account(app, token="aNewToken2027")
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(renewed, "帮助"))[0] == 200
    assert post_to(app, f"/wechat/{SLUG}", text_delivery(keys, "帮助"))[0] == 403
    assert [e.target_id for e in audit_entries(app, "account.remove")] == [SLUG]
    assert len(audit_entries(app, "account.add")) == 2


# ---- the commands ----


def test_account_list_names_each_account_and_never_a_secret(app: Flask) -> None:
    assert "No account" in cli(app, "account", "list").output
    add_account(app, aes_key=OTHER_AES_KEY, secret=OTHER_SECRET)
    add_account(app, "xinglong", "wxxinglong0002", token="xinglongToken")

    listed = cli(app, "account", "list").output

    assert SLUG in listed and OTHER_APPID in listed and "safe" in listed
    assert "xinglong" in listed and "plaintext" in listed and "/wechat/xinglong" in listed
    for secret in (OTHER_TOKEN, OTHER_AES_KEY, OTHER_SECRET, "xinglongToken"):
        assert secret not in listed
    with app.app_context():
        row = (
            db.get_session().scalars(select(WechatAccount).where(WechatAccount.slug == SLUG)).one()
        )
        stored = f"{row.token_sealed}{row.aes_key_sealed}{row.secret_sealed}"
    for secret in (OTHER_TOKEN, OTHER_AES_KEY, OTHER_SECRET):
        assert secret not in stored


@pytest.mark.parametrize(
    ("args", "typed", "complaint"),
    [
        (["Dong Feng", "--appid", OTHER_APPID], f"{OTHER_TOKEN}\n\n\n", "slug"),
        ([SLUG, "--appid", OTHER_APPID], "\n\n\n", "expected three lines"),
        ([SLUG, "--appid", OTHER_APPID], "no\n\n\n", "Token"),
        ([SLUG, "--appid", OTHER_APPID], f"{OTHER_TOKEN}\nnot-a-key\n\n", "EncodingAESKey"),
        ([SLUG, "--appid", APPID], f"{OTHER_TOKEN}\n\n\n", "SUNSHINE_WECHAT_APPID"),
        (["xinglong", "--appid", OTHER_APPID], f"{OTHER_TOKEN}\n\n\n", "already has this AppID"),
        ([SLUG, "--appid", "wxnew"], f"{OTHER_TOKEN}\n\n\n", "already has this slug"),
    ],
)
def test_account_add_refuses_what_could_not_work(
    make_app, args: list[str], typed: str, complaint: str
) -> None:
    app = make_app(WECHAT_APPID=APPID)
    if "already" in complaint:
        add_account(app)
    result = cli(app, "account", "add", *args, input=typed)
    assert result.exit_code != 0
    assert complaint in result.output
    with app.app_context():
        held = db.get_session().scalars(select(WechatAccount.slug)).all()
    assert held == ([SLUG] if "already" in complaint else [])


def test_removing_an_unknown_account_says_so(app: Flask) -> None:
    result = cli(app, "account", "remove", "nowhere")
    assert result.exit_code != 0 and "no account 'nowhere'" in result.output


# ---- the API, per account ----


@pytest.fixture
def two_api_accounts(make_app, fake_api) -> tuple[Flask, Keys]:
    """The configured account and a named one, both with the API (the fake knows both)."""
    fake_api.api.add_app(OTHER_APPID, OTHER_SECRET)
    app = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=fake_api.base_url,
    )
    return app, add_account(app, secret=OTHER_SECRET)


def test_each_account_gets_its_own_menu_on_its_own_access_token(two_api_accounts, fake_api):
    app, _ = two_api_accounts
    for _round in range(2):
        assert cli(app, "menu", "push", "--account", SLUG).exit_code == 0
        assert cli(app, "menu", "push").exit_code == 0

    assert fake_api.api.menus == {
        OTHER_APPID: build_menu(PUBLIC_URL),
        fake_wechat.APPID: build_menu(PUBLIC_URL),
    }
    assert fake_api.api.fetches_by_app == {OTHER_APPID: 1, fake_wechat.APPID: 1}
    shown = cli(app, "menu", "show", "--remote", "--account", SLUG)
    assert shown.exit_code == 0 and "依申请公开" in shown.output
    unknown = cli(app, "menu", "push", "--account", "nowhere")
    assert unknown.exit_code != 0 and "no account 'nowhere'" in unknown.output


def test_a_staff_reply_reaches_the_resident_through_the_account_the_case_came_through(
    two_api_accounts, fake_api
):
    app, keys = two_api_accounts
    number = file_complaint(Resident(app, openid="o-same", account=SLUG, keys=keys))
    file_complaint(Resident(app, openid="o-same"), "垃圾没人收")
    console = logged_in(app, "wang", "handler")

    post(console, f"/admin/cases/{number}/reply", body="已安排电工明天维修。")

    assert fake_api.api.sent_from == [OTHER_APPID]
    [sent] = fake_api.api.sent_messages
    assert sent["touser"] == "o-same" and "已安排电工明天维修" in sent["text"]["content"]


def test_adding_and_removing_an_account_is_audited_by_the_accounts_module(app: Flask) -> None:
    with app.app_context():
        session = db.get_session()
        given = accounts.Secrets(OTHER_TOKEN, None, OTHER_SECRET)
        town = bodies.chosen(session, None)
        accounts.add(
            session, "cli", SLUG, OTHER_APPID, given, lambda value: f"sealed {value}", [town]
        )
        session.commit()
        accounts.remove(session, "cli", SLUG)
        session.commit()
    [added] = audit_entries(app, "account.add")
    assert (added.target_id, added.details["appid"], added.details["mode"]) == (
        SLUG,
        OTHER_APPID,
        "plaintext",
    )
    assert added.details["serves"] == ["town"]
    assert OTHER_TOKEN not in str(added.details) and OTHER_SECRET not in str(added.details)
    assert [e.target_id for e in audit_entries(app, "account.remove")] == [SLUG]
