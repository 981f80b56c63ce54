"""An inbound message: wechatpy's parsed object plus the raw fields dedup keys are built from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from bot.privacy import Resident

#: Fields Sunshine reads; in a well-formed delivery each is plain text.
TEXT_FIELDS = (
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "MsgId",
    "Content",
    "Event",
    "EventKey",
    "MediaId",
    "PicUrl",
    "Location_X",
    "Location_Y",
    "Label",
    "Format",
    "Recognition",
)
#: The width of the openid columns; WeChat's openids have 28 characters.
MAX_OPENID = 64


class MalformedMessage(ValueError):
    """The body is not a WeChat message Sunshine can read (answered with 400)."""


@dataclass(frozen=True)
class Inbound:
    """A delivery's message; ``account``: the slug of the account it came to (``""``: the
    ``SUNSHINE_WECHAT_*`` account at ``/wechat``)."""

    message: BaseMessage
    fields: dict[str, str]
    xml: str
    account: str = ""

    @property
    def openid(self) -> str:
        return self.fields["FromUserName"]

    @property
    def resident(self) -> Resident:
        return Resident(self.openid, self.account)

    @property
    def is_event(self) -> bool:
        return self.fields["MsgType"].lower() == "event"

    @property
    def delivery_id(self) -> str:
        """What makes a delivery unique for its sender (docs/wechat.md: dedup keys)."""
        f = self.fields
        if self.is_event:
            parts = (f.get("CreateTime") or "", f.get("Event") or "", f.get("EventKey") or "")
            return "e:" + ":".join(parts)
        if f.get("MsgId"):
            return "m:" + f["MsgId"]
        return "x:" + hashlib.sha1(self.xml.encode("utf-8")).hexdigest()


def read_message(xml: str, account: str = "") -> Inbound:
    """Parse a decrypted delivery. Entities (XXE, entity bombs) are refused by xmltodict."""
    try:
        message = parse_message(xml)
    except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as problem:
        raise MalformedMessage(f"unreadable XML: {type(problem).__name__}") from problem
    fields = getattr(message, "_data", None)
    if not isinstance(fields, dict):
        raise MalformedMessage("no message fields")
    for name in TEXT_FIELDS:
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise MalformedMessage(f"field {name} is not plain text")
    if not fields.get("FromUserName") or not fields.get("MsgType"):
        raise MalformedMessage("FromUserName or MsgType missing")
    if len(fields["FromUserName"]) > MAX_OPENID:
        raise MalformedMessage(f"FromUserName longer than {MAX_OPENID} characters")
    created = fields.get("CreateTime") or "0"
    if not (created.isascii() and created.isdigit()):
        raise MalformedMessage("CreateTime is not a number")
    return Inbound(message, fields, xml, account)
