"""/wechat as WeChat (and an attacker) would use it: status codes, modes, hostile bodies."""

from __future__ import annotations

import time

import pytest
import requests
import xmltodict

from bot.engine.router import Command
from bot.wechat.chat import describe
from bot.wechat.protocol import Keys, message_xml, open_reply, sign, sign_delivery
from bot.wechat.replies import TEXT_MAX_BYTES, TRUNCATION_MARK, Article, News, Text, render
from tests.servers import serve_in_thread
from tests.support import AES_KEY, APPID, TOKEN, Resident

KEYS = Keys(TOKEN)


def text_xml(content: str, msg_id: int = 1001, openid: str = "o-resident-1") -> str:
    return message_xml(
        {
            "ToUserName": "gh_town",
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def post(client, body: str | bytes, query: dict[str, str] | None = None, **kwargs):
    if query is None:
        query = sign_delivery(KEYS, body if isinstance(body, str) else "").query
    return client.post("/wechat", query_string=query, data=body, content_type="text/xml", **kwargs)


def signed_query(timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {"timestamp": ts, "nonce": "12345", "signature": sign(TOKEN, ts, "12345")}


# ---- URL verification ----


def test_url_verification_echoes_echostr(client):
    response = client.get("/wechat", query_string={**signed_query(), "echostr": "8123456789"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "8123456789"


def test_url_verification_with_a_bad_signature_is_refused(client):
    query = {**signed_query(), "signature": "f" * 40, "echostr": "x"}
    assert client.get("/wechat", query_string=query).status_code == 403


def test_missing_signature_is_refused(client):
    query = signed_query()
    del query["signature"]
    assert client.get("/wechat", query_string={**query, "echostr": "x"}).status_code == 403
    assert post(client, text_xml("帮助"), query=query).status_code == 403


# ---- signatures and time window on POST ----


def test_signed_text_gets_an_xml_reply(client):
    response = post(client, text_xml("帮助"))
    assert response.status_code == 200
    reply = xmltodict.parse(response.data)["xml"]
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "o-resident-1"
    assert reply["FromUserName"] == "gh_town"
    assert "联系" in reply["Content"]


def test_forged_signature_is_refused(client):
    query = {**signed_query(), "signature": sign("not-the-token", "1", "2")}
    assert post(client, text_xml("帮助"), query=query).status_code == 403


def test_stale_and_future_timestamps_are_refused(client):
    for skew in (-301, 301):
        assert (
            post(client, text_xml("帮助"), query=signed_query(int(time.time()) + skew)).status_code
            == 403
        )
    assert (
        post(client, text_xml("帮助"), query=signed_query(int(time.time()) - 200)).status_code
        == 200
    )


def test_non_numeric_timestamp_is_refused(client):
    query = {"timestamp": "soon", "nonce": "1", "signature": sign(TOKEN, "soon", "1")}
    assert post(client, text_xml("帮助"), query=query).status_code == 403


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("digits", [FULL_WIDTH, ARABIC_INDIC, str.maketrans("1", "²")])
def test_a_timestamp_of_other_digits_is_refused_even_when_signed(client, digits):
    timestamp = str(int(time.time())).translate(digits)
    query = {"timestamp": timestamp, "nonce": "1", "signature": sign(TOKEN, timestamp, "1")}
    assert post(client, text_xml("帮助"), query=query).status_code == 403
    assert client.get("/wechat", query_string={**query, "echostr": "x"}).status_code == 403


def test_a_reused_nonce_alone_is_not_refused(client):
    query = signed_query()
    assert post(client, text_xml("帮助", msg_id=1), query=query).status_code == 200
    second = post(client, text_xml("联系", msg_id=2), query=query)
    assert second.status_code == 200
    assert "电话" in describe(second.get_data(as_text=True))


def test_without_a_token_the_webhook_answers_503_and_health_says_why(make_app):
    app = make_app(WECHAT_TOKEN=None)
    client = app.test_client()
    response = post(client, text_xml("帮助"), query=signed_query())
    assert response.status_code == 503
    assert "SUNSHINE_WECHAT_TOKEN" in response.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "SUNSHINE_WECHAT_TOKEN" in health.get_json()["wechat"]["webhook"]


# ---- malformed and hostile bodies ----


def test_malformed_bodies_get_400(client):
    bodies = [
        "",
        "not xml at all",
        "<xml><Content>unclosed",
        "<foo><MsgType>text</MsgType></foo>",
        "<xml>just text</xml>",
        "<xml><FromUserName>o</FromUserName></xml>",
        "<xml><FromUserName>o</FromUserName><MsgType><a>1</a></MsgType></xml>",
        "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><MsgType>x</MsgType></xml>",
        "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>x</CreateTime></xml>",
    ]
    for body in bodies:
        response = post(client, body, query=signed_query())
        assert response.status_code == 400, body


def test_an_over_long_openid_gets_400_and_the_longest_real_one_an_answer(client):
    assert post(client, text_xml("帮助", openid="o" * 65)).status_code == 400
    assert post(client, text_xml("帮助", openid="o" * 64)).status_code == 200


def test_a_create_time_of_other_digits_gets_400(client):
    body = text_xml("帮助").replace(f"<CreateTime>{int(time.time())}", "<CreateTime>１²")
    assert post(client, body).status_code == 400


def test_invalid_utf8_gets_400(client):
    assert post(client, b"<xml>\xff\xfe</xml>", query=signed_query()).status_code == 400


def test_external_entities_are_refused_and_nothing_is_read(client):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&x;</Content><MsgId>5</MsgId></xml>"
    )
    response = post(client, xxe, query=signed_query())
    assert response.status_code == 400
    assert "root:" not in response.get_data(as_text=True)


def test_entity_bombs_are_refused(client):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]><xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>&i;</Content></xml>"
    )
    started = time.monotonic()
    assert post(client, bomb, query=signed_query()).status_code == 400
    assert time.monotonic() - started < 1


def test_bodies_over_256_kib_get_413(client):
    huge = text_xml("长" * (90 * 1024))
    assert len(huge.encode()) > 256 * 1024
    assert post(client, huge, query=signed_query()).status_code == 413


def test_a_chunked_body_over_the_limit_gets_413(app):
    def chunks():
        for _ in range(300):
            yield b"x" * 1024

    with serve_in_thread(app) as base:
        response = requests.post(f"{base}/wechat", params=signed_query(), data=chunks(), timeout=10)
    assert response.status_code == 413


# ---- replies cannot be hijacked ----


def test_cdata_terminator_in_the_residents_text_cannot_inject_elements(resident):
    hostile = "]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA["
    reply = resident.chat.text(hostile)
    parsed = xmltodict.parse(reply)["xml"]
    assert parsed["MsgType"] == "text"
    assert parsed["Content"].count("]]></Content>") == 1


def test_rendered_text_round_trips_any_resident_text():
    class Msg:
        source, target = "o-1", "gh_town"

    for content in ["]]>", "a]]>b]]>c", "<xml>&amp;</xml>", "]]]]>>", "控制\x01字符\x08"]:
        parsed = xmltodict.parse(render(Text(content), Msg()))["xml"]
        assert parsed["Content"] == content.replace("\x01", "").replace("\x08", "")


def test_long_text_is_trimmed_to_2047_bytes_at_a_line_end():
    class Msg:
        source, target = "o-1", "gh_town"

    lines = [f"{i:03d}、城乡最低生活保障资金发放情况公示" for i in range(200)]
    parsed = xmltodict.parse(render(Text("\n".join(lines)), Msg()))["xml"]
    content = parsed["Content"]
    assert len(content.encode("utf-8")) <= TEXT_MAX_BYTES
    assert content.endswith(TRUNCATION_MARK)
    kept = content[: -len(TRUNCATION_MARK)].split("\n")
    assert kept == lines[: len(kept)], "every kept line is whole"


def test_a_news_reply_carries_exactly_one_article():
    class Msg:
        source, target = "o-1", "gh_town"

    article = Article("2017年年度报告", "点击查看", "https://x.example/report/2017", "")
    parsed = xmltodict.parse(render(News(article), Msg()))["xml"]
    assert parsed["MsgType"] == "news"
    assert parsed["ArticleCount"] == "1"
    assert parsed["Articles"]["item"]["Url"] == "https://x.example/report/2017"


# ---- message kinds ----


def test_unknown_message_types_get_the_commands(resident):
    for kind in ("video", "shortvideo", "link", "file", "someday-new"):
        reply = describe(resident.chat.send({"MsgType": kind, "MsgId": hash(kind) % 10**9}))
        assert "暂时只能看懂文字和语音消息" in reply and "帮助" in reply, kind


def test_unknown_and_view_events_are_answered_success(resident):
    for event, key in (
        ("VIEW", "https://x/items"),
        ("subscribe_msg_popup_event", ""),
        ("LOCATION", ""),
    ):
        body = resident.chat.send({"MsgType": "event", "Event": event, "EventKey": key})
        assert body == "success", event


def test_subscribe_welcomes_with_the_account_name(resident):
    reply = resident.says("/subscribe")
    assert reply.startswith("您好，欢迎关注毛城子镇政府")
    assert "联系" in reply


# ---- safe and compatible modes ----


def test_safe_mode_round_trip(safe_app):
    resident = Resident(safe_app, safe_mode=True)
    raw = safe_app.test_client()
    delivery = sign_delivery(resident.chat.keys, text_xml("联系"), safe_mode=True)
    response = raw.post("/wechat", query_string=delivery.query, data=delivery.body)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<Encrypt>" in body and "电话" not in body
    assert "0434-6631321" in describe(open_reply(resident.chat.keys, body))


def test_with_an_aes_key_a_plaintext_delivery_is_refused(safe_app):
    """Its body is signed by nothing: a captured signed URL must not let anyone post."""
    client = safe_app.test_client()
    forged = text_xml("投诉", openid="o-someone-else")
    assert post(client, forged).status_code == 403
    query = {**signed_query(), "echostr": "8123456789"}
    assert client.get("/wechat", query_string=query).get_data(as_text=True) == "8123456789"


def test_plaintext_is_accepted_while_switching_modes_when_allowed(make_app):
    app = make_app(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID, WECHAT_ALLOW_PLAINTEXT=True)
    assert "0434-6631321" in Resident(app, safe_mode=False).says("联系")
    assert "0434-6631321" in Resident(app, safe_mode=True).says("联系")
    assert (
        "plaintext also accepted" in app.test_client().get("/healthz").get_json()["wechat"]["mode"]
    )


def test_compatible_mode_reads_only_the_encrypted_part(safe_app):
    keys = Keys(TOKEN, AES_KEY, APPID)
    sealed = sign_delivery(keys, text_xml("联系", openid="o-resident-1"), safe_mode=True)
    encrypted = xmltodict.parse(sealed.body)["xml"]["Encrypt"]
    plain = xmltodict.parse(text_xml("投诉", openid="o-someone-else"))["xml"]
    body = message_xml({**plain, "Encrypt": encrypted})
    response = safe_app.test_client().post("/wechat", query_string=sealed.query, data=body)
    assert response.status_code == 200
    reply = xmltodict.parse(open_reply(keys, response.get_data(as_text=True)))["xml"]
    assert reply["ToUserName"] == "o-resident-1" and "0434-6631321" in reply["Content"]


def test_allow_plaintext_must_be_true_or_false(make_app):
    app = make_app(WECHAT_ALLOW_PLAINTEXT="yes")
    response = app.test_client().post("/wechat", query_string=signed_query(), data=text_xml("帮助"))
    assert response.status_code == 503
    assert "SUNSHINE_WECHAT_ALLOW_PLAINTEXT" in response.get_data(as_text=True)


def test_safe_mode_refusals(safe_app):
    client = safe_app.test_client()
    keys = Keys(TOKEN, AES_KEY, APPID)
    good = sign_delivery(keys, text_xml("联系"), safe_mode=True)
    forged = {**good.query, "msg_signature": "0" * 40}
    assert client.post("/wechat", query_string=forged, data=good.body).status_code == 403
    garbage = message_xml({"ToUserName": "gh", "Encrypt": "bm90IGNpcGhlcnRleHQ="})
    query = {
        **good.query,
        "msg_signature": sign(
            TOKEN, good.query["timestamp"], good.query["nonce"], "bm90IGNpcGhlcnRleHQ="
        ),
    }
    assert client.post("/wechat", query_string=query, data=garbage).status_code == 400
    other_app = sign_delivery(Keys(TOKEN, AES_KEY, "wx-other"), text_xml("联系"), safe_mode=True)
    assert (
        client.post("/wechat", query_string=other_app.query, data=other_app.body).status_code == 400
    )
    no_encrypt = message_xml({"ToUserName": "gh"})
    assert client.post("/wechat", query_string=good.query, data=no_encrypt).status_code == 400


def test_safe_mode_delivery_without_a_configured_key_is_400(app):
    delivery = sign_delivery(Keys(TOKEN, AES_KEY, APPID), text_xml("联系"), safe_mode=True)
    response = app.test_client().post("/wechat", query_string=delivery.query, data=delivery.body)
    assert response.status_code == 400


def test_a_bad_aes_key_disables_the_webhook_with_a_reason(make_app):
    app = make_app(WECHAT_AES_KEY="too-short", WECHAT_APPID=APPID)
    response = app.test_client().post("/wechat", query_string=signed_query(), data=text_xml("帮助"))
    assert response.status_code == 503
    assert "43 characters" in response.get_data(as_text=True) or "base64" in response.get_data(
        as_text=True
    )


def test_an_error_inside_a_handler_never_becomes_a_5xx(app, resident, monkeypatch):
    def broken(ctx):
        raise RuntimeError("database on fire")

    router = app.extensions["sunshine.router"]
    monkeypatch.setitem(router.words, "联系", Command("联系", broken, False, None))
    reply = resident.says("联系")
    assert "出了问题" in reply and "再发一次" in reply
