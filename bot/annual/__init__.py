"""The annual disclosure report's statutory side: tables 二, 三 and 四, their check and writers.

- ``tables``: the tables computed from the case records (2021 national format,
  国办公开办函〔2021〕30号), their check (一 + 二 = 三(七) + 四), and writers for text, CSV
  and XLSX;
- ``statutory``: the tables as a published report keeps them (plain JSON), and their grid;
- ``outline``: a report's sections as staff edit them, and where the tables go;
- ``cli``: ``sunshine report stats YEAR``.
"""

from __future__ import annotations

from flask import Flask

from bot.annual import cli


def init_app(app: Flask) -> None:
    app.cli.add_command(cli.report_group)
