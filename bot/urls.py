"""Links sent to residents: under SUNSHINE_PUBLIC_URL, or the request's own host when unset."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def public_url(path: str) -> str:
    """An absolute URL for ``path`` (``/report/2017``) that works on a resident's phone."""
    base = current_app.config["PUBLIC_URL"]
    if not base and has_request_context():
        base = request.host_url
    return (base or "http://127.0.0.1:5000").rstrip("/") + "/" + path.lstrip("/")
