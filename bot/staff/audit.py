"""The audit log: ``record`` what was done, by whom, to what and why; read it back, never change it.

The domain function that performs an action writes its entry, so that neither the
console nor a command can forget it::

    from bot.staff import audit

    def close(session, case, actor, outcome, reason):      # in bot/cases
        ...
        audit.record(actor, "case.close", "case", case.number, outcome=outcome, reason=reason)

    close(session, case, g.staff, ...)                      # in the console
    session.commit()   # the entry is committed together with the change it records

``record`` adds the entry to the app context's database session
(``bot.db.get_session()``) and does not commit, so an action and its record land in
the same transaction or not at all. The actor is a ``Staff`` or one of
``SYSTEM``/``CLI``; inside a request the client's address is stored too.

Every action has a Chinese label in ``ACTIONS``: the audit page shows it, and
``record`` refuses an action that is not listed, so that the log never holds a
name nobody can read. Never put passwords, tokens or sealed values in
``details``: it is shown to every member who may read the log.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import get_session
from bot.models.staff import AuditEntry, Staff
from bot.staff.roles import ROLE_LABELS

SYSTEM = "system"
CLI = "cli"
#: Actors that are not staff members; no username may take these names.
NON_STAFF_ACTORS = {SYSTEM: "系统", CLI: "命令行"}

#: Every action the log may hold, with its label on the audit page.
ACTIONS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.locked": "账号因连续输错密码被锁定",
    "auth.logout": "退出登录",
    "staff.create": "新建工作人员账号",
    "staff.password": "重设密码",
    "staff.disable": "停用账号",
    "staff.enable": "启用账号",
    "staff.role": "修改角色",
    "staff.list": "查看工作人员名单",
    "case.assign": "分派承办人",
    "case.note": "添加内部备注",
    "case.reply": "答复居民",
    "case.correction_request": "通知补正",
    "case.correction_received": "收到补正材料",
    "case.extension_request": "申请延期",
    "case.extension_approve": "批准延期",
    "case.extension_refuse": "不批准延期",
    "case.accept": "受理投诉",
    "case.decline": "不予受理",
    "case.consultation": "征求第三方或其他机关意见",
    "case.consultation_answered": "收到征求的意见",
    "case.fee_notice": "发出收费通知",
    "case.fee_paid": "登记缴费",
    "case.close": "办结",
    "case.transfer": "申请转为投诉办理",
    "case.reveal_contact": "查看完整联系方式",
    "case.reveal_reporter": "查看投诉举报人身份",
    "case.export": "导出办件",
    "case.rated": "居民评价",
    "case.callback": "回访",
    "office.edit": "修改单位信息",
    "annual.figures": "录入年度报告数据",
    "annual.appeal": "登记行政复议或诉讼",
    "annual.appeal_result": "更新行政复议或诉讼结果",
    "item.create": "新建公开信息",
    "item.edit": "修改公开信息",
    "item.import": "导入公开信息",
    "item.review": "审查公开信息",
    "item.resubmit": "公开信息重新提交审查",
    "item.publish": "发布公开信息",
    "item.withdraw": "撤回公开信息",
    "report.create": "新建年度报告",
    "report.edit": "修改年度报告",
    "report.review": "审查年度报告",
    "report.resubmit": "年度报告重新提交审查",
    "report.publish": "发布年度报告",
    "report.withdraw": "撤回年度报告",
}

#: Labels of the kinds of record an entry can be about.
TARGET_TYPES: dict[str, str] = {
    "staff": "工作人员账号",
    "case": "办件",
    "office": "单位信息",
    "annual": "年度报告统计",
    "appeal": "行政复议或诉讼",
    "item": "公开信息",
    "report": "年度报告",
}

#: Labels of detail keys the console writes; other keys are shown as they are.
DETAIL_LABELS: dict[str, str] = {
    "username": "账号",
    "name": "姓名",
    "role": "角色",
    "from_role": "原角色",
    "reason": "原因",
    "os_user": "系统用户",
    "minutes": "锁定分钟数",
    "count": "人数",
    "handler": "承办人",
    "previous": "原承办人",
    "complaint": "转为投诉",
    "days": "天数",
    "due": "期限",
    "late": "超过7个工作日",
    "party": "征求意见对象",
    "sent_on": "发出日期",
    "ended_on": "结束日期",
    "amount": "金额（元）",
    "received_on": "收到日期",
    "channel": "渠道",
    "outcome": "办理结果",
    "field": "查看内容",
    "rating": "评价",
    "keys": "数据项",
    "kind": "类别",
    "result": "结果",
    "title": "标题",
    "revision": "版本",
    "step": "审查环节",
    "decision": "结论",
    "comment": "意见",
    "changed": "修改内容",
    "file": "文件",
    "created": "新增条数",
    "updated": "更新条数",
    "cases": "办件数",
    "contacts": "含完整联系方式的办件数",
    "command": "命令",
}


class UnknownAction(ValueError):
    """An action that is not in ``ACTIONS``."""


def record(
    actor: Staff | str,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    /,
    **details: Any,
) -> AuditEntry:
    """Add an entry for ``action`` to the current database session (the caller commits)."""
    if action not in ACTIONS:
        raise UnknownAction(f"unknown audit action {action!r}: add it to ACTIONS in {__name__}")
    if isinstance(actor, Staff):
        staff_id, name = actor.id, actor.username
    elif actor in NON_STAFF_ACTORS:
        staff_id, name = None, actor
        if actor == CLI:
            details.setdefault("os_user", _os_user())
    else:
        raise ValueError(f"an audit actor is a Staff or one of {sorted(NON_STAFF_ACTORS)}")
    entry = AuditEntry(
        staff_id=staff_id,
        actor=name,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=json.loads(json.dumps(details, ensure_ascii=False, default=str)),
        ip=request.remote_addr if has_request_context() else None,
    )
    get_session().add(entry)
    return entry


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry for this uid (some containers)
        return f"uid {os.getuid()}"


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    #: The id to pass as ``before`` for the next (older) page, or None on the last page.
    older: int | None


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Page:
    """Entries newest first, filtered by actor and action, ``limit`` at a time."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if before:
        query = query.where(AuditEntry.id < before)
    found = list(session.scalars(query))
    shown = found[:limit]
    return Page(shown, shown[-1].id if len(found) > limit else None)


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def target_label(entry: AuditEntry, names: Mapping[tuple[str, str], str] | None = None) -> str:
    """What the entry is about, e.g. ``工作人员账号 王芳（wang）``; ``names`` maps
    (target_type, target_id) to a readable name where the id alone says little."""
    if entry.target_type is None:
        return ""
    kind = TARGET_TYPES.get(entry.target_type, entry.target_type)
    if entry.target_id is None:
        return kind
    name = (names or {}).get((entry.target_type, entry.target_id), entry.target_id)
    return f"{kind} {name}"


def detail_items(entry: AuditEntry) -> list[tuple[str, str]]:
    """The entry's details as (label, value) pairs for the page; roles by their Chinese names."""
    items = []
    for key, value in (entry.details or {}).items():
        if key in ("role", "from_role") and value in ROLE_LABELS:
            shown = ROLE_LABELS[value]
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((DETAIL_LABELS.get(key, key), shown))
    return items
