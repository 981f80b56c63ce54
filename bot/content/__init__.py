"""Published information: the catalogue and its search, the annual reports and their PDFs.

``init_app`` starts the per-process search indexes and registers the ``sunshine
items`` commands; the pages are ``bot.public``. The chat side lives in
``handlers/search.py``, ``report.py``, ``latest.py`` and ``stats.py``.
"""

from __future__ import annotations

import logging

from flask import Flask

from bot.content import cli, indexes


def init_app(app: Flask) -> None:
    indexes.init_app(app)
    app.cli.add_command(cli.items_group)
    # fpdf2 subsets the report font with fontTools, which logs every table it touches at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
