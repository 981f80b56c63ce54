"""A report's sections as staff edit them: a title and a text box per part.

In the text box each line is a paragraph, except lines that are one of these
marks (full-width 【】 or plain [] brackets):

- ``【渠道统计】标题`` — the table and chart of the report's channel figures;
- ``【统计表1】`` — the first of the statutory tables generated from the case records
  (``【统计表2】`` the second, …);
- ``【缺表】标题`` — the caption of a table the report's text lacks (as in the 2017 report).

``blocks_text`` and ``text_blocks`` turn the stored blocks into that text and back
without loss. ``new_report_sections`` is the outline of a new report: the six
parts of the 2021 national format (国办公开办函〔2021〕30号) from 2021 on.
``place_tables`` puts newly generated tables into the part whose title they
carry (``三、收到和处理政府信息公开申请情况`` goes to that part).
"""

from __future__ import annotations

import re
from typing import Any

_MARK = re.compile(
    r"^[【\[]\s*(?:(?P<figures>渠道统计)|(?P<missing>缺表)|统计表\s*(?P<number>\d{1,2}))\s*[】\]]"
    r"\s*(?P<rest>.*)$"
)
FIGURES_MARK = "【渠道统计】"
MISSING_MARK = "【缺表】"
#: The first year of the 2021 national format (its parts and tables); earlier reports used
#: other formats (docs/law.md, "Which format a year's report follows").
FORMAT_2021 = 2021


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """The blocks of one section as the text box shows them."""
    lines = []
    for block in blocks:
        kind = block.get("kind")
        if kind == "figures":
            lines.append(FIGURES_MARK + block.get("caption", ""))
        elif kind == "missing_table":
            lines.append(MISSING_MARK + block.get("caption", ""))
        elif kind == "statutory_table":
            lines.append(f"【统计表{block['number']}】")
        else:
            lines.append(block.get("text", ""))
    return "\n".join(lines)


def text_blocks(text: str) -> list[dict[str, Any]]:
    """The blocks a text box describes; blank lines are dropped."""
    blocks: list[dict[str, Any]] = []
    for raw in text.splitlines():
        line = raw.strip(" \t\u3000")
        if not line:
            continue
        mark = _MARK.match(line)
        if mark is None:
            blocks.append({"kind": "paragraph", "text": line})
        elif mark["figures"]:
            blocks.append({"kind": "figures", "caption": mark["rest"].strip()})
        elif mark["missing"]:
            blocks.append({"kind": "missing_table", "caption": mark["rest"].strip()})
        else:
            blocks.append({"kind": "statutory_table", "number": int(mark["number"])})
            if mark["rest"].strip():
                blocks.append({"kind": "paragraph", "text": mark["rest"].strip()})
    return blocks


def new_report_sections(year: int) -> list[dict[str, Any]]:
    """The outline a new report of ``year`` starts from."""
    if year < FORMAT_2021:
        return [{"title": "", "blocks": []}]

    return [
        {"title": title, "blocks": []}
        for title in (
            "总体情况",
            "主动公开政府信息情况",
            "收到和处理政府信息公开申请情况",
            "政府信息公开行政复议、行政诉讼情况",
            "存在的主要问题及改进情况",
            "其他需要报告的事项",
        )
    ]


_NUMBERING = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．]\s*")


def place_tables(
    sections: list[dict[str, Any]], tables: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``sections`` with a mark added for each table no mark places yet, at the end of the
    part whose title the table's title contains (or the reverse); others stay unplaced."""
    placed = {
        block["number"]
        for section in sections
        for block in section["blocks"]
        if block.get("kind") == "statutory_table"
    }
    result = [{**section, "blocks": list(section["blocks"])} for section in sections]
    for number, table in enumerate(tables, start=1):
        if number in placed:
            continue
        title = _bare(table["title"])
        for section in result:
            heading = _bare(section["title"])
            if heading and title and (heading in title or title in heading):
                section["blocks"].append({"kind": "statutory_table", "number": number})
                break
    return result


def _bare(title: str) -> str:
    return _NUMBERING.sub("", title.strip()).removesuffix("表").strip()
