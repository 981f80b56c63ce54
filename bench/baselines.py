"""The baselines the webhook is measured against, each as a WSGI app for gunicorn.

- ``flask_echo``: wechatpy's documented Flask pattern — check the signature, decrypt
  in safe mode, parse, reply with the text, encrypt. No store.
- ``flask_echo_redis``: the same with one Redis GET and one SET per message, the way
  wechatpy's docs keep a session.
- ``flask_echo_script``: the same with one Redis script per message — Sunshine's own
  stateless-answer script (claim, lock check, session check, reply stored).
- ``flask_echo_claim``: the lean floor — the same with one Redis script that only claims
  the MsgId (``SET NX EX``) and reads the session: the least any webhook that takes each
  message once and knows the resident's dialogue must do per message.
- ``werobot_echo``: WeRoBot's echo robot, sessions off.
Settings come from BENCH_TOKEN, BENCH_AES_KEY, BENCH_APPID and BENCH_REDIS_URL.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature


def _settings() -> tuple[str, WeChatCrypto | None]:
    token = os.environ["BENCH_TOKEN"]
    aes_key = os.environ.get("BENCH_AES_KEY")
    crypto = WeChatCrypto(token, aes_key, os.environ["BENCH_APPID"]) if aes_key else None
    return token, crypto


#: Claim the delivery for 15 minutes and read the resident's session, in one round trip.
_CLAIM = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 900) then
  return redis.call('GET', KEYS[2]) or ''
end
return false
"""


def flask_echo(
    with_redis: bool = False, with_script: bool = False, with_claim: bool = False
) -> Flask:
    token, crypto = _settings()
    app = Flask(__name__)
    store = script = claim = None
    version_key = ""
    if with_redis or with_script or with_claim:
        import redis

        store = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    if with_script:
        from bot.wechat.accounts import VERSION_KEY
        from bot.wechat.delivery import _ANSWER

        script = store.register_script(_ANSWER)
        version_key = VERSION_KEY
    if with_claim:
        claim = store.register_script(_CLAIM)

    @app.post("/wechat")
    def wechat():  # type: ignore[no-untyped-def]
        args = request.args
        try:
            check_signature(token, args["signature"], args["timestamp"], args["nonce"])
        except (KeyError, InvalidSignatureException):
            abort(403)
        xml = request.get_data()
        if args.get("encrypt_type") == "aes" and crypto is not None:
            xml = crypto.decrypt_message(
                xml, args["msg_signature"], args["timestamp"], args["nonce"]
            )
        message = parse_message(xml)
        if claim is not None:
            who = message.source
            claim(keys=[f"b:d:{who}:{message.id}", f"b:s:{who}"])
        if with_redis:
            key = f"bench:session:{message.source}"
            store.get(key)
            store.set(key, "{}", ex=1800)
        reply = create_reply(getattr(message, "content", "hi"), message).render()
        if script is not None:
            who = message.source
            script(
                keys=[
                    f"b:d:{who}:{message.id}",
                    f"b:l:{who}",
                    f"b:s:{who}",
                    f"b:seen:{who}",
                    version_key,
                ],
                args=[reply, 900_000, "1", 172_800],
            )
        if args.get("encrypt_type") == "aes" and crypto is not None:
            return crypto.encrypt_message(reply, args["nonce"], args["timestamp"])
        return reply

    return app


def flask_echo_redis() -> Flask:
    return flask_echo(with_redis=True)


def flask_echo_script() -> Flask:
    return flask_echo(with_script=True)


def flask_echo_claim() -> Flask:
    return flask_echo(with_claim=True)


def werobot_echo():  # type: ignore[no-untyped-def]
    from werobot import WeRoBot

    token = os.environ["BENCH_TOKEN"]
    robot = WeRoBot(
        token=token,
        encoding_aes_key=os.environ.get("BENCH_AES_KEY"),
        app_id=os.environ.get("BENCH_APPID"),
    )
    robot.config["SESSION_STORAGE"] = False

    @robot.text
    def echo(message):  # type: ignore[no-untyped-def]
        return message.content

    return robot.wsgi
