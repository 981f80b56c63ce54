"""A county account's residents pick their town (乡镇) once; every answer is then that town's.

An account serving several bodies (``sunshine account add county --body a --body b``)
asks a resident who has no town yet to pick one, by its number in the list or by its
name, before it answers anything else; ``切换`` picks again. The choice is kept in the
session, read with the message at no extra cost, and in the database (``TownChoice``), so
that a Redis restart or a session lapsed after a day finds it again; were both lost, the
resident is asked again, never answered for a town they did not pick.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot import clock
from bot.db import get_session
from bot.engine.dialogue import CANCEL, Context, normalise
from bot.models.wechat import TownChoice
from bot.privacy import Resident
from bot.wechat.accounts import Served, get_accounts
from bot.wechat.replies import SILENCE, Reply, Text

#: Words that ask to pick the town again.
SWITCH_WORDS = frozenset(
    {"切换", "切换乡镇", "换乡镇", "更换乡镇", "选乡镇", "选择乡镇", "换个乡镇"}
)
#: The body id of the town picked, in the session.
SESSION_KEY = "town"
#: Set while the resident is asked to pick (after ``切换``, or at first).
CHOOSING_KEY = "choosing_town"
#: A town in a body's name: ``公主岭市毛城子镇人民政府`` → ``毛城子镇``.
_TOWN = re.compile(r"^(?:.+?[市县区旗])?(?P<town>[^市县区旗]+?(?:镇|乡|街道))")
_SUFFIXES = ("人民政府办公室", "人民政府", "办公室", "政府")
_NUMBER = re.compile(r"^第?\s*(?P<n>\d{1,2})\s*(?:个|号|项)?$")


@dataclass(frozen=True)
class Town:
    """A body an account serves, as residents pick it."""

    body_id: int
    name: str


def short_name(body_name: str) -> str:
    """What residents call a body: its town (``毛城子镇``), else its name without the office."""
    found = _TOWN.match(body_name)
    if found:
        return found["town"]
    for suffix in _SUFFIXES:
        if body_name.endswith(suffix) and len(body_name) > len(suffix):
            return body_name[: -len(suffix)]
    return body_name


def picked(said: str, towns: tuple[Town, ...]) -> Town | None:
    """The town ``said`` (normalised) names: its number in the list, or (a unique part of)
    its name."""
    number = _NUMBER.match(said)
    if number:
        index = int(number["n"])
        return towns[index - 1] if 1 <= index <= len(towns) else None
    said = said.removesuffix("的")
    if len(said) < 2:
        return None
    matches = [town for town in towns if said in town.name or _stem(town.name) in said]
    return matches[0] if len(matches) == 1 else None


def _stem(name: str) -> str:
    """``毛城子镇`` → ``毛城子``: how a town is often typed."""
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def listing(towns: tuple[Town, ...]) -> str:
    return "\n".join(f"{n}. {town.name}" for n, town in enumerate(towns, 1))


def ask(towns: tuple[Town, ...], current: Town | None = None, lead: str = "") -> str:
    """The list to pick from: first of all, or to change ``current``."""
    if current is not None:
        return (
            f"{lead}现在是{current.name}。要换成哪个乡镇？回复序号或名称：\n{listing(towns)}\n"
            f"不换了请回复“{CANCEL}”。"
        )
    return (
        f"{lead}请先选择您所在的乡镇，回复序号或名称：\n{listing(towns)}\n"
        "选好后，查询、申请、投诉都由这个乡镇办理；以后发送“切换”可以更换。"
    )


def served(account: str) -> tuple[Town, ...]:
    """The towns the account ``account`` serves (none for the configured account, which
    serves the default body, or for an account no longer held)."""
    if not account:
        return ()
    found = get_accounts().find(account)
    return _towns(found.bodies) if found is not None else ()


@functools.lru_cache(maxsize=1024)
def _towns(bodies: tuple[Served, ...]) -> tuple[Town, ...]:
    return tuple(Town(body.body_id, short_name(body.name)) for body in bodies)


def settle(ctx: Context, towns: tuple[Town, ...], *, in_dialogue: bool) -> Reply | None:
    """Put the resident's town in ``ctx.body_id``, or answer for it: ask for a town, take the
    pick, confirm a switch. None: the message goes on to its handler.

    The town kept in the database is read only when the session has none (a new session,
    or Redis lost it).
    """
    session = ctx.session
    current = _served(session.get(SESSION_KEY), towns)
    if current is None and SESSION_KEY not in session:
        current = _served(_remembered(ctx.resident), towns)
    choosing = bool(session.get(CHOOSING_KEY))
    if current is not None and not choosing:
        _settled(ctx, current)
        if not in_dialogue and ctx.kind == "text" and normalise(ctx.text) in SWITCH_WORDS:
            session[CHOOSING_KEY] = True
            return Text(ask(towns, current))
        return None
    if ctx.message.type == "event":
        event = (ctx.message.event or "").lower()
        if event not in ("subscribe", "subscribe_scan", "click"):
            return SILENCE
        session[CHOOSING_KEY] = True
        return Text(ask(towns, lead="您好，欢迎关注！" if event != "click" else ""))
    said = normalise(ctx.text) if ctx.kind == "text" else ""
    choice = picked(said, towns) if said else None
    if choice is not None:
        session.pop(CHOOSING_KEY, None)
        _settled(ctx, choice)
        _remember(ctx.resident, choice.body_id)
        if current is not None:
            return Text(f"好的，已换成{choice.name}。以后的查询、申请、投诉都由{choice.name}办理。")
        return Text(
            f"好的，您选择了{choice.name}。以后的查询、申请、投诉都由{choice.name}办理，"
            "发送“切换”可以更换。\n刚才要办的事请再发一次，发送“帮助”可查看能办的事。"
        )
    if current is not None and said == CANCEL:
        session.pop(CHOOSING_KEY, None)
        _settled(ctx, current)
        return Text(f"好的，还是{current.name}。")
    session[CHOOSING_KEY] = True
    return Text(ask(towns, current, "没有找到这个乡镇。" if choosing and said else ""))


def _settled(ctx: Context, town: Town) -> None:
    ctx.session[SESSION_KEY] = ctx.body_id = town.body_id
    ctx.help_note = f"现在是{town.name}，发送“切换”可以更换乡镇。"


def _served(body_id: object, towns: tuple[Town, ...]) -> Town | None:
    return next((town for town in towns if town.body_id == body_id), None)


def _remembered(resident: Resident) -> int | None:
    choice = get_session().get(TownChoice, resident.pseudonym)
    return choice.body_id if choice is not None else None


def _remember(resident: Resident, body_id: int) -> None:
    session = get_session()
    session.merge(TownChoice(resident=resident.pseudonym, body_id=body_id, chosen_at=clock.now()))
    session.commit()
