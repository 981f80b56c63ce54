"""What the ``sunshine`` commands share about bodies: the ``--body SLUG`` option."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from bot.db import get_session
from bot.models import Body
from bot.staff.bodies import BodyProblem, chosen, listed


def body_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--body SLUG`` for a command that acts on one body: the command is given ``body``
    (``chosen``); a body that cannot be chosen ends it with a usage error (exit 2)."""

    @click.option(
        "--body",
        "body_slug",
        metavar="SLUG",
        help="The body it acts on (`sunshine body list`); needed when there are several.",
    )
    @functools.wraps(command)
    def with_body(*args: Any, body_slug: str | None, **kwargs: Any) -> Any:
        return command(*args, body=_chosen(body_slug), **kwargs)

    return with_body


def bodies_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--body SLUG`` for a command that acts on every body unless one is named (a daily
    timer): the command is given ``bodies``, the one named or all of them."""

    @click.option(
        "--body",
        "body_slug",
        metavar="SLUG",
        help="Only this body (`sunshine body list`); every body when left out.",
    )
    @functools.wraps(command)
    def with_bodies(*args: Any, body_slug: str | None, **kwargs: Any) -> Any:
        every = [] if body_slug else listed(get_session())
        return command(*args, bodies=every or [_chosen(body_slug)], **kwargs)

    return with_bodies


def _chosen(slug: str | None) -> Body:
    """The body ``chosen`` gives; one that cannot be chosen ends the command with a usage
    error (exit 2)."""
    try:
        return chosen(get_session(), slug)
    except BodyProblem as problem:
        raise click.UsageError(str(problem)) from problem
