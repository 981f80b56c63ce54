"""What the ``sunshine`` commands share about bodies: the ``--body SLUG`` option."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from bot.db import get_session
from bot.staff.bodies import BodyProblem, chosen


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
        try:
            body = chosen(get_session(), body_slug)
        except BodyProblem as problem:
            raise click.UsageError(str(problem)) from problem
        return command(*args, body=body, **kwargs)

    return with_body
