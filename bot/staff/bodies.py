"""The bodies (行政机关) a deployment serves: add one, list them, find the one a command or a
request acts on.

Every town's record carries its ``body_id`` (docs/architecture.md, "Bodies"). The
default body is the first one (lowest id): an upgraded one-town install's office, or
the first body added. The single-town ``/wechat`` and the pages without ``/b/<slug>``
serve it. A command that acts on one body takes ``--body SLUG`` and may leave it out
only while the deployment has a single body (``chosen``).
"""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Body
from bot.models.staff import Staff
from bot.staff import audit

#: Lower-case letters, digits and inner hyphens: it goes in paths (``/b/<slug>/items``).
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
#: A town's name: the county-level part, then the town (``公主岭市`` + ``毛城子镇``).
_TOWN = re.compile(r"^(?P<county>.+?[市县区旗])(?P<town>.+?(?:镇|乡|街道))")


class BodyProblem(ValueError):
    """A body that cannot be added or chosen; the message says why, in English (CLI)."""


def listed(session: Session) -> list[Body]:
    """Every body, the default (first) one first."""
    return list(session.scalars(select(Body).order_by(Body.id)))


#: Where the app keeps the default body's id once it exists: the first body stays the first.
DEFAULT_ID = "sunshine.default_body_id"


def default_id(session: Session) -> int | None:
    """The default body's id (read once per process), or None while there is no body."""
    known: int | None = current_app.extensions.get(DEFAULT_ID)
    if known is None:
        known = session.scalar(select(Body.id).order_by(Body.id).limit(1))
        if known is not None:
            current_app.extensions[DEFAULT_ID] = known
    return known


def default(session: Session) -> Body | None:
    """The default body, or None on a deployment that has none yet."""
    body_id = default_id(session)
    return None if body_id is None else session.get(Body, body_id)


def pages_path(session: Session, body: Body, path: str) -> str:
    """Where a body's public page ``path`` (``/items/3``) is: under ``/b/<slug>``, or where
    the single-town pages always were for the default body."""
    return path if body.id == default_id(session) else f"/b/{body.slug}{path}"


def by_slug(session: Session, slug: str) -> Body | None:
    """The body named ``slug``; None for a name no body could have (from a crafted URL:
    PostgreSQL refuses some characters outright, a NUL among them)."""
    if not SLUG.fullmatch(slug):
        return None
    return session.scalars(select(Body).where(Body.slug == slug)).first()


def chosen(session: Session, slug: str | None) -> Body:
    """The body named by ``--body SLUG``, or the only one when none is named."""
    if slug:
        body = by_slug(session, slug)
        if body is None:
            raise BodyProblem(f"no body {slug!r}; see `sunshine body list`")
        return body
    bodies = session.scalars(select(Body).order_by(Body.id).limit(2)).all()
    if not bodies:
        raise BodyProblem("no body yet: run `sunshine seed` or `sunshine body add`")
    if len(bodies) > 1:
        raise BodyProblem(
            "this deployment serves several bodies: name one with --body SLUG "
            "(see `sunshine body list`)"
        )
    return bodies[0]


def town_bodies(name: str) -> tuple[str | None, str | None]:
    """A town's people's government and the body that hears its reconsiderations: the
    county-level people's government (《行政复议法》 2023 Art. 24(1)(二)). None for a body
    that is not a town's: staff enter them at ``/admin/office``."""
    town = _TOWN.match(name)
    if town is None:
        return None, None
    return f"{town['county']}{town['town']}人民政府", f"{town['county']}人民政府"


def add(session: Session, actor: Staff | str, slug: str, name: str) -> Body:
    """Add a body named ``name``, which is also the authority signing its replies until
    staff change its details at ``/admin/office`` (a town's reconsideration body is read
    from its name); writes ``body.add`` (the caller commits)."""
    if not SLUG.fullmatch(slug):
        raise BodyProblem(
            f"{slug!r} is not a slug: lower-case letters, digits and inner hyphens, 1-40"
        )
    name = name.strip()
    if not name:
        raise BodyProblem("a body needs a name (--name)")
    if by_slug(session, slug) is not None:
        raise BodyProblem(f"a body {slug!r} exists already")
    reconsideration_body = town_bodies(name)[1]
    body = Body(slug=slug, name=name, authority=name, reconsideration_body=reconsideration_body)
    session.add(body)
    session.flush()
    audit.record(actor, "body.add", "body", slug, body_id=body.id, name=name)
    return body
