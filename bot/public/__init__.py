"""Web pages residents open from WeChat: the catalogue, the reports, their own case's pages.

- ``pages``: ``/items`` (catalogue and search) and ``/report/<year>`` with its PDF;
- ``case_pages``: ``/reply/<token>`` (a formal reply) and ``/replies/<token>`` (every
  reply in full), opened only with the link ``进度`` gave one resident.

Pages only: what they show comes from the domains (``bot.content``, ``bot.cases``).
"""

from __future__ import annotations

from flask import Flask

from bot.public import case_pages, pages


def init_app(app: Flask) -> None:
    pages.register(app)
    case_pages.init_app(app)
