"""The account's custom menu (docs/product.md), checked against WeChat's limits (docs/wechat.md)
before it is sent."""

from __future__ import annotations

from typing import Any

MAX_TOP = 3
MAX_SUB = 5
MAX_TOP_NAME = 16
MAX_SUB_NAME = 60
MAX_KEY = 128
MAX_URL = 1024


def build_menu(public_url: str, catalogue: str = "/items") -> dict[str, Any]:
    """The menu; its 公开目录 button opens ``catalogue`` (a body's path) under ``public_url``."""
    base = public_url.rstrip("/")
    return {
        "button": [
            {
                "name": "信息公开",
                "sub_button": [
                    {"type": "click", "name": "年度报告", "key": "REPORT"},
                    {"type": "click", "name": "最新公开", "key": "LATEST"},
                    {"type": "view", "name": "公开目录", "url": f"{base}{catalogue}"},
                ],
            },
            {
                "name": "办事互动",
                "sub_button": [
                    {"type": "click", "name": "依申请公开", "key": "APPLY"},
                    {"type": "click", "name": "投诉举报", "key": "COMPLAIN"},
                    {"type": "click", "name": "我的进度", "key": "PROGRESS"},
                ],
            },
            {
                "name": "联系我们",
                "sub_button": [
                    {"type": "click", "name": "联系方式", "key": "CONTACT"},
                    {"type": "click", "name": "使用帮助", "key": "HELP"},
                ],
            },
        ]
    }


def menu_problems(menu: dict[str, Any], answered_keys: set[str]) -> list[str]:
    """Every way ``menu`` breaks WeChat's limits or names a key no handler answers."""
    problems: list[str] = []
    top = menu.get("button", [])
    if not 1 <= len(top) <= MAX_TOP:
        problems.append(f"{len(top)} top-level buttons (1 to {MAX_TOP} allowed)")
    for button in top:
        problems += _button_problems(button, MAX_TOP_NAME, answered_keys)
        subs = button.get("sub_button", [])
        if len(subs) > MAX_SUB:
            problems.append(f"{button.get('name')!r} has {len(subs)} sub-buttons (max {MAX_SUB})")
        for sub in subs:
            problems += _button_problems(sub, MAX_SUB_NAME, answered_keys)
            if sub.get("sub_button"):
                problems.append(f"{sub.get('name')!r}: sub-buttons cannot have sub-buttons")
    return problems


def _button_problems(button: dict[str, Any], name_limit: int, keys: set[str]) -> list[str]:
    name = button.get("name", "")
    found = []
    if not name or len(name.encode("utf-8")) > name_limit:
        found.append(f"name {name!r} must be 1 to {name_limit} bytes")
    if button.get("sub_button"):
        return found
    kind = button.get("type")
    if kind == "click":
        key = button.get("key", "")
        if not key or len(key.encode("utf-8")) > MAX_KEY:
            found.append(f"{name!r}: key must be 1 to {MAX_KEY} bytes")
        elif key not in keys:
            found.append(f"{name!r}: no handler answers key {key!r}")
    elif kind == "view":
        url = button.get("url", "")
        if not url.startswith(("http://", "https://")) or len(url.encode()) > MAX_URL:
            found.append(f"{name!r}: url must be an http(s) URL of at most {MAX_URL} bytes")
    else:
        found.append(f"{name!r}: unsupported button type {kind!r}")
    return found
