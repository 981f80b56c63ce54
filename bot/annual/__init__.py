"""The annual disclosure report's own package: its statutory tables, their writers, its text.

- ``tables``: tables 二, 三 and 四 computed from the records (2021 national format,
  国办公开办函〔2021〕30号) and their check (一 + 二 = 三(七) + 四);
- ``writers``: the tables as CSV, XLSX and aligned text;
- ``narrative``: what the report's text states beside the tables (the processing fees);
- ``outline``: a report's parts as staff edit them, and where the tables go;
- ``statutory``: the tables as a report keeps them (plain JSON), and their grid;
- ``cli``: ``sunshine report stats YEAR``.
"""

from __future__ import annotations

from flask import Flask

from bot.annual import cli


def init_app(app: Flask) -> None:
    app.cli.add_command(cli.report_group)
