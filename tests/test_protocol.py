"""Signing and safe-mode crypto against Tencent's official test vectors (docs/wechat.md)."""

from __future__ import annotations

import pytest
import xmltodict
from wechatpy.crypto import PrpCrypto

from bot.wechat.protocol import (
    Keys,
    SignatureRejected,
    Undecryptable,
    check_query,
    open_delivery,
    open_reply,
    seal_reply,
    sign,
    sign_delivery,
)

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

PY_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVA"
    "FmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSn"
    "yU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77Ts"
    "zTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSg"
    "M9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
PY_QUERY = {
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "encrypt_type": "aes",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
}
PY_KEYS = Keys("spamtest", AES_KEY, "wx2c2769f8efd9abc2")
PY_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    f"<Encrypt><![CDATA[{PY_ENCRYPT}]]></Encrypt></xml>"
)


def test_python_sample_decrypts_to_the_documented_message():
    plain = xmltodict.parse(open_delivery(PY_KEYS, PY_QUERY, PY_BODY))["xml"]
    assert plain["ToUserName"] == "gh_10f6c3c3ac5a"
    assert plain["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert plain["CreateTime"] == "1409735668"
    assert plain["Content"] == "abcdteT"
    assert plain["MsgId"] == "6054768590064713728"


def test_python_sample_with_a_wrong_msg_signature_is_rejected():
    forged = {**PY_QUERY, "msg_signature": "0" * 40}
    with pytest.raises(SignatureRejected):
        open_delivery(PY_KEYS, forged, PY_BODY)


def test_python_sample_with_another_appid_cannot_be_opened():
    with pytest.raises(Undecryptable):
        open_delivery(Keys("spamtest", AES_KEY, "wx-someone-else"), PY_QUERY, PY_BODY)


def test_java_sample_encrypts_to_the_documented_ciphertext():
    class FixedRandom(PrpCrypto):
        def get_random_string(self) -> str:
            return "aaaabbbbccccdddd"

    keys = Keys("pamtest", AES_KEY, "wxb11529c136998cb6")
    encrypted = FixedRandom(keys.aes_bytes).encrypt("我是中文abcd123", keys.appid).decode()
    assert encrypted == (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )


def test_plaintext_push_signature_from_the_current_docs():
    assert sign("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"


def test_old_timestamps_are_stale_even_with_a_correct_signature():
    query = {
        "timestamp": "1714037059",
        "nonce": "486452656",
        "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78",
    }
    check_query("AAAAA", query, max_skew=300, now=1714037059 + 300)
    with pytest.raises(SignatureRejected, match="stale"):
        check_query("AAAAA", query, max_skew=300, now=1714037059 + 301)


def test_a_reply_sealed_in_safe_mode_opens_with_the_same_keys():
    delivery = sign_delivery(PY_KEYS, "<xml><ToUserName>gh</ToUserName></xml>", safe_mode=True)
    sealed = seal_reply(PY_KEYS, delivery.query, "<xml><Content><![CDATA[你好]]></Content></xml>")
    assert "你好" not in sealed
    assert open_reply(PY_KEYS, sealed) == "<xml><Content><![CDATA[你好]]></Content></xml>"
