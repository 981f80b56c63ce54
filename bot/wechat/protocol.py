"""The WeChat callback protocol, both ways: what the server checks and what a sender signs.

The webhook uses the receiving half (``check_query``, ``open_delivery``,
``seal_reply``); ``sunshine chat``, the tests and the benchmark use the sending
half (``sign_delivery``, ``open_reply``) to play the WeChat server. Signing and
AES are wechatpy's (``WeChatSigner``, ``PrpCrypto``, ``WeChatCrypto``); signatures
are compared in constant time, which wechatpy's own checks do not do.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

from bot.wechat.replies import SILENCE_BODY, cdata_safe


class SignatureRejected(Exception):
    """Missing, wrong or stale signature (answered with 403)."""


class Undecryptable(ValueError):
    """A safe-mode body that cannot be opened (answered with 400)."""


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8"))


@dataclass(frozen=True)
class Keys:
    """The secrets shared with WeChat: the Token always, EncodingAESKey and AppID in safe mode.

    With an EncodingAESKey, a plaintext delivery is refused unless ``allow_plaintext``: its
    body is covered by no signature, so one captured signed URL would let anyone post as
    any resident while the timestamp is fresh.
    """

    token: str
    aes_key: str | None = None
    appid: str | None = None
    allow_plaintext: bool = False

    @cached_property
    def crypto(self) -> WeChatCrypto | None:
        if not self.aes_key:
            return None
        return WeChatCrypto(self.token, self.aes_key, self.appid or "")

    @cached_property
    def aes_bytes(self) -> bytes:
        if not self.aes_key:
            raise Undecryptable("safe-mode delivery, but no EncodingAESKey is configured")
        return base64.b64decode(self.aes_key + "=")


def validate_aes_key(aes_key: str, name: str = "SUNSHINE_WECHAT_AES_KEY") -> None:
    """Raise ``ValueError`` unless ``aes_key`` is a 43-character EncodingAESKey (``name``:
    what the message calls it)."""
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error as problem:
        raise ValueError(f"{name} is not base64") from problem
    if len(aes_key) != 43 or len(key) != 32:
        raise ValueError(f"{name} must be the 43 characters shown in the console")


# ---- receiving (the webhook) ----


def check_query(token: str, query: Mapping[str, str], max_skew: int, now: float) -> None:
    """Check ``signature`` over Token, timestamp and nonce, and that the timestamp is fresh."""
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > max_skew:
        raise SignatureRejected("missing or stale timestamp")
    if not _matches(sign(token, timestamp, nonce), query.get("signature")):
        raise SignatureRejected("bad signature")


def open_delivery(keys: Keys, query: Mapping[str, str], body: str) -> str:
    """Return the message XML of a delivery: the body itself, or decrypted in safe mode.

    In compatible mode the body carries the message both in clear and in ``Encrypt``;
    only the encrypted part, which ``msg_signature`` covers, is read.
    """
    if query.get("encrypt_type") != "aes":
        if keys.aes_key and not keys.allow_plaintext:
            raise SignatureRejected("plaintext delivery, but safe mode is configured")
        return body
    try:
        envelope = xmltodict.parse(body)["xml"]
        encrypted = envelope["Encrypt"]
    except (ExpatError, ValueError, KeyError, TypeError) as problem:
        raise Undecryptable(f"unreadable envelope: {type(problem).__name__}") from problem
    if not isinstance(encrypted, str):
        raise Undecryptable("Encrypt is not text")
    expected = sign(keys.token, query.get("timestamp", ""), query.get("nonce", ""), encrypted)
    if not _matches(expected, query.get("msg_signature")):
        raise SignatureRejected("bad msg_signature")
    try:
        return PrpCrypto(keys.aes_bytes).decrypt(encrypted, keys.appid or "")
    except (ValueError, TypeError, IndexError, struct.error, InvalidAppIdException) as problem:
        # binascii.Error and UnicodeDecodeError are ValueErrors.
        raise Undecryptable(f"cannot decrypt: {type(problem).__name__}") from problem


def seal_reply(keys: Keys, query: Mapping[str, str], body: str) -> str:
    """Encrypt a reply when the delivery came in safe mode; ``success`` stays plain."""
    if query.get("encrypt_type") != "aes" or body == SILENCE_BODY or keys.crypto is None:
        return body
    return keys.crypto.encrypt_message(body, query.get("nonce", ""), query.get("timestamp"))


# ---- sending (chat client, tests, benchmark) ----


def xml_element(name: str, value: str | int) -> str:
    if isinstance(value, int):
        return f"<{name}>{value}</{name}>"
    return f"<{name}><![CDATA[{cdata_safe(value)}]]></{name}>"


def message_xml(fields: Mapping[str, str | int]) -> str:
    return "<xml>" + "".join(xml_element(k, v) for k, v in fields.items()) + "</xml>"


@dataclass(frozen=True)
class SignedDelivery:
    """A delivery as WeChat would POST it: query string and body."""

    query: dict[str, str]
    body: str


def sign_delivery(
    keys: Keys,
    plain_xml: str,
    *,
    safe_mode: bool = False,
    openid: str = "",
    timestamp: int | None = None,
    nonce: str | None = None,
) -> SignedDelivery:
    """Sign (and in safe mode encrypt) ``plain_xml`` the way WeChat's servers do."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    query = {"signature": sign(keys.token, ts, nonce), "timestamp": ts, "nonce": nonce}
    if openid:
        query["openid"] = openid
    if not safe_mode:
        return SignedDelivery(query, plain_xml)
    to_user = xmltodict.parse(plain_xml)["xml"].get("ToUserName") or ""
    encrypted = PrpCrypto(keys.aes_bytes).encrypt(plain_xml, keys.appid or "").decode()
    query["encrypt_type"] = "aes"
    query["msg_signature"] = sign(keys.token, ts, nonce, encrypted)
    return SignedDelivery(query, message_xml({"ToUserName": to_user, "Encrypt": encrypted}))


def open_reply(keys: Keys, body: str) -> str:
    """Read a passive reply as WeChat would: verify and decrypt a safe-mode envelope."""
    if "<Encrypt>" not in body:
        return body
    if keys.crypto is None:
        raise Undecryptable("encrypted reply, but no EncodingAESKey")
    envelope = xmltodict.parse(body)["xml"]
    return keys.crypto.decrypt_message(
        envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
