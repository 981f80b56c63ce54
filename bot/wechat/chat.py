"""A terminal resident: plays the WeChat server and a resident against ``/wechat``.

Each line typed is sent as a text message, signed (and encrypted when an
EncodingAESKey is configured) exactly as WeChat would; the reply is printed as
plain text, a news reply as its title and link. A few lines starting with ``/``
send what a phone would send otherwise::

    /click KEY            a menu click (REPORT, APPLY, CONTACT, ...)
    /subscribe            following the account
    /image [URL]          a photo
    /location LAT LNG [place name]
    /voice [TEXT]         a voice note WeChat transcribed as TEXT (none: not transcribed)
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import requests
import xmltodict

from bot.wechat.protocol import Keys, message_xml, open_reply, sign_delivery

Transport = Callable[[dict[str, str], bytes], tuple[int, str]]

DEMO_OPENID = "o-demo-resident"
DEMO_ACCOUNT = "gh_sunshine_demo"
SAMPLE_PHOTO = "https://mmbiz.qpic.cn/demo/photo.jpg"

COMMANDS = "/click KEY · /subscribe · /image [URL] · /location LAT LNG [name] · /voice [transcript]"


def http_transport(url: str, timeout: float = 10.0) -> Transport:
    session = requests.Session()

    def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = session.post(
            url, params=query, data=body, timeout=timeout, headers={"Content-Type": "text/xml"}
        )
        return response.status_code, response.text

    return post


class ChatError(RuntimeError):
    """The server refused or could not be reached; the message says which."""


@dataclass
class ChatClient:
    transport: Transport
    keys: Keys
    safe_mode: bool = False
    openid: str = DEMO_OPENID
    account: str = DEMO_ACCOUNT
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(secrets.randbits(40)))

    def send(self, fields: dict[str, str | int]) -> str:
        """Deliver one message; return the plain reply body (XML, or ``success``)."""
        envelope: dict[str, str | int] = {
            "ToUserName": self.account,
            "FromUserName": self.openid,
            "CreateTime": int(time.time()),
        }
        delivery = sign_delivery(
            self.keys,
            message_xml({**envelope, **fields}),
            safe_mode=self.safe_mode,
            openid=self.openid,
        )
        status, body = self.transport(delivery.query, delivery.body.encode("utf-8"))
        if status != 200:
            raise ChatError(f"the server answered HTTP {status}: {body[:200]}")
        return open_reply(self.keys, body)

    def text(self, content: str) -> str:
        return self.send({"MsgType": "text", "Content": content, "MsgId": next(self._ids)})

    def click(self, key: str) -> str:
        return self.send({"MsgType": "event", "Event": "CLICK", "EventKey": key})

    def subscribe(self) -> str:
        return self.send({"MsgType": "event", "Event": "subscribe", "EventKey": ""})

    def image(self, url: str = SAMPLE_PHOTO) -> str:
        media_id = f"demo-media-{secrets.token_hex(6)}"
        return self.send(
            {"MsgType": "image", "PicUrl": url, "MediaId": media_id, "MsgId": next(self._ids)}
        )

    def voice(self, recognition: str = "") -> str:
        """A voice note; WeChat adds ``Recognition`` when speech recognition is on for the
        account, empty when it could not make out the words."""
        media_id = f"demo-voice-{secrets.token_hex(6)}"
        return self.send(
            {
                "MsgType": "voice",
                "MediaId": media_id,
                "Format": "amr",
                "Recognition": recognition,
                "MsgId": next(self._ids),
            }
        )

    def location(self, lat: str, lng: str, label: str = "") -> str:
        return self.send(
            {
                "MsgType": "location",
                "Location_X": lat,
                "Location_Y": lng,
                "Scale": "15",
                "Label": label,
                "MsgId": next(self._ids),
            }
        )

    def line(self, line: str) -> str:
        """Send what a typed line means (plain text, or one of the ``/`` commands)."""
        words = line.split()
        command = words[0] if words else ""
        if command == "/click" and len(words) == 2:
            return self.click(words[1])
        if command == "/subscribe":
            return self.subscribe()
        if command == "/image":
            return self.image(*words[1:2])
        if command == "/location" and len(words) >= 3:
            return self.location(words[1], words[2], " ".join(words[3:]))
        if command == "/voice":
            return self.voice(line.strip()[len(command) :].strip())
        if command.startswith("/") and command[1:].isalpha():
            raise ChatError(f"unknown command {command}; try {COMMANDS}")
        return self.text(line)


def describe(body: str) -> str:
    """A reply as a resident would read it."""
    if body.strip() in ("", "success"):
        return "（没有回复）"
    reply = xmltodict.parse(body)["xml"]
    if reply.get("MsgType") == "news":
        items = reply["Articles"]["item"]
        items = items if isinstance(items, list) else [items]
        return "\n".join(
            f"【{i.get('Title') or ''}】{i.get('Description') or ''}\n{i.get('Url')}" for i in items
        )
    return reply.get("Content") or ""
