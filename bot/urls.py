"""URLs: links sent to residents, and the whole numbers read from paths and queries.

Links go under SUNSHINE_PUBLIC_URL, or the request's own host when unset. A number
in a URL (an id, a year, a page) is at most what a database integer column holds:
a larger one names nothing, so it is refused where it is read (404 in a path, the
default in a query) rather than failing in the database.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from werkzeug.routing import IntegerConverter, ValidationError

#: PostgreSQL's ``integer``, the type of every id column.
LARGEST = 2**31 - 1


def public_url(path: str) -> str:
    """An absolute URL for ``path`` (``/report/2017``) that works on a resident's phone."""
    base = current_app.config["PUBLIC_URL"]
    if not base and has_request_context():
        base = request.host_url
    return (base or "http://127.0.0.1:5000").rstrip("/") + "/" + path.lstrip("/")


class BoundedInteger(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to ``LARGEST``; anything else is a 404."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value) if value.isascii() else None
        if number is None or abs(number) > LARGEST:
            raise ValidationError()
        return number


def whole_number(text: str) -> int:
    """For ``request.args.get(name, type=whole_number)``: an int of at most ``LARGEST``
    (``ValueError`` otherwise, so the default is used)."""
    value = int(text)
    if not text.isascii() or abs(value) > LARGEST:
        raise ValueError(f"{text[:20]} is out of range")
    return value
