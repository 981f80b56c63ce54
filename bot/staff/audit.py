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

Every action has a Chinese label in ``ACTIONS`` and every detail a Chinese phrase in
``DETAILS`` (``是`` not ``true``, ``角色：承办人`` not ``role: handler``): the audit page
shows them, and ``record`` refuses an action or a detail that is not listed, so that the
log never holds a name nobody can read. Values only another module can put in words (a
figure's key) are given by the page (``detail_phrases``'s ``words``). Never put passwords, tokens or sealed values in
``details``: it is shown to every member who may read the log.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.db import get_session
from bot.models.staff import AuditEntry, Staff, StaffMembership
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
    "staff.join": "加入机关",
    "staff.leave": "退出机关",
    "staff.list": "查看工作人员名单",
    "county.escalate": "督办",
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
    "body.add": "新增行政机关",
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
    "account.add": "添加公众号",
    "account.remove": "移除公众号",
}

#: Labels of the kinds of record an entry can be about.
TARGET_TYPES: dict[str, str] = {
    "staff": "工作人员账号",
    "case": "办件",
    "office": "单位信息",
    "body": "行政机关",
    "annual": "年度报告统计",
    "appeal": "行政复议或诉讼",
    "item": "公开信息",
    "report": "年度报告",
    "account": "公众号",
}

Phrase = Callable[[Any], str]


def _words(value: Any) -> str:
    """A detail's value as words: 是/否 for a yes or no, a list joined with 、."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_words(item) for item in value)
    return "无" if value is None or value == "" else str(value)


def _as(label: str) -> Phrase:
    return lambda value: f"{label}：{_words(value)}"


def _role(label: str) -> Phrase:
    return lambda value: f"{label}：{ROLE_LABELS.get(value, _words(value))}"


#: Details that read as ``label：value``.
_LABELLED = {
    "username": "账号",
    "name": "姓名",
    "bodies": "所属行政机关及角色",
    "reason": "原因",
    "os_user": "系统用户",
    "handler": "承办人",
    "previous": "原承办人",
    "complaint": "转为投诉件",
    "days": "天数",
    "due": "期限",
    "party": "征求意见对象",
    "sent_on": "发出日期",
    "ended_on": "结束日期",
    "received_on": "收到日期",
    "channel": "提交方式",
    "outcome": "办理结果",
    "field": "查看内容",
    "rating": "评价",
    "keys": "修改的数据",
    "kind": "类别",
    "result": "结果",
    "title": "标题",
    "step": "审查环节",
    "decision": "结论",
    "comment": "意见",
    "changed": "修改内容",
    "file": "文件",
    "command": "命令",
    "appid": "AppID",
    "api": "可调用微信接口",
    "serves": "服务的机关",
    "text": "内容",
}
#: Details that read as a phrase of their own.
_PHRASED: dict[str, Phrase] = {
    "role": _role("角色"),
    "from_role": _role("原角色"),
    "minutes": lambda value: f"锁定{value}分钟",
    "count": lambda value: f"共{value}个账号",
    "late": lambda late: (
        "超过收到申请后7个工作日才通知补正" if late else "在收到申请后7个工作日内通知补正"
    ),
    "amount": lambda value: f"金额：{_words(value)}元",
    "year": lambda value: f"{value}年度",
    "revision": lambda value: f"第{value}版",
    "created": lambda value: f"新增{value}条",
    "updated": lambda value: f"更新{value}条",
    "cases": lambda value: f"共{value}件",
    "contacts": lambda value: f"其中{value}件含完整联系方式",
    "mode": lambda value: (
        "消息加解密方式：" + {"safe": "安全模式", "plaintext": "明文模式"}.get(value, _words(value))
    ),
}
#: How each detail the domain writes reads on the audit page: a Chinese phrase, never a raw
#: key or ``true``. ``record`` refuses a detail that is not listed here.
DETAILS: dict[str, Phrase] = {
    **{key: _as(label) for key, label in _LABELLED.items()},
    **_PHRASED,
}


class UnknownDetail(ValueError):
    """A detail that is not in ``DETAILS``: nobody could read it on the audit page."""


class UnknownAction(ValueError):
    """An action that is not in ``ACTIONS``."""


def record(
    actor: Staff | str,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    /,
    *,
    body_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an entry for ``action`` to the current database session (the caller commits);
    ``body_id``: the body whose record or setting it is about."""
    if action not in ACTIONS:
        raise UnknownAction(f"unknown audit action {action!r}: add it to ACTIONS in {__name__}")
    unknown = sorted(set(details) - set(DETAILS))
    if unknown:
        raise UnknownDetail(f"audit details {unknown} have no phrase: add them to DETAILS")
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
        body_id=body_id,
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
    body_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Page:
    """Entries newest first, filtered by actor and action, ``limit`` at a time; with
    ``body_id``, those about that body's records and, of those about no body's (logins,
    staff accounts), the ones its members, the system or a command wrote: another town's
    staff logging in is that town's business."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if body_id is not None:
        members = select(StaffMembership.staff_id).where(StaffMembership.body_id == body_id)
        bodiless = and_(
            AuditEntry.body_id.is_(None),
            or_(AuditEntry.staff_id.is_(None), AuditEntry.staff_id.in_(members)),
        )
        query = query.where(or_(AuditEntry.body_id == body_id, bodiless))
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


def detail_phrases(
    entry: AuditEntry, words: Mapping[str, Mapping[str, str]] | None = None
) -> list[str]:
    """The entry's details as Chinese phrases for the page (``角色：承办人``, ``第2版``,
    ``在收到申请后7个工作日内通知补正``). ``words`` gives, for a detail, the words of values only
    another module knows (a figure's key, how a correction arrived)."""
    phrases = []
    for key, value in (entry.details or {}).items():
        said = (words or {}).get(key, {})
        if said:
            value = (
                [said.get(v, v) for v in value]
                if isinstance(value, list)
                else said.get(value, value)
            )
        phrase = DETAILS.get(key, _as("其他"))
        phrases.append(phrase(value))
    return phrases
