"""Who may do what in the staff console: the roles and their permissions, as data in one place.

Pages and actions ask for a *permission* (``permission_required("audit.view")``,
``staff.can("cases.reveal_contact")``), never for a role, so that changing what a
role may do is an edit of ``GRANTS`` below and nothing else. A permission is a
necessary condition: rules about a particular record (a handler sees a
complainant's identity only on cases assigned to them) are checked on top of it by
the code that owns the record.

| permission                        | clerk | handler | approver | admin | head | supervisor |
| --------------------------------- | :---: | :-----: | :------: | :---: | :--: | :--------: |
| cases.view                        |   ✓   |    ✓    |    ✓     |   ✓   |  ✓   |     ✓      |
| cases.handle                      |       |    ✓    |    ✓     |   ✓   |  ✓   |            |
| cases.reveal_contact              |       |    ✓    |    ✓     |   ✓   |  ✓   |            |
| cases.reveal_reporter             |       |    ✓    |    ✓     |       |  ✓   |            |
| cases.assign_reporter             |       |         |    ✓     |       |  ✓   |            |
| cases.approve_extension           |       |         |          |       |  ✓   |            |
| cases.approve_complaint_extension |       |         |    ✓     |   ✓   |  ✓   |            |
| items.edit                        |   ✓   |    ✓    |    ✓     |   ✓   |  ✓   |            |
| items.review                      |       |         |    ✓     |   ✓   |  ✓   |            |
| items.publish                     |       |         |    ✓     |   ✓   |  ✓   |            |
| audit.view                        |       |         |    ✓     |   ✓   |  ✓   |     ✓      |
| office.edit                       |       |         |    ✓     |   ✓   |  ✓   |            |
| staff.manage                      |       |         |          |   ✓   |      |            |
| county.view                       |       |         |          |       |      |     ✓      |
| county.escalate                   |       |         |          |       |      |     ✓      |

A complaint's reporter identity goes only to approvers and to the handler an
approver assigned (docs/security.md, "Who sees a complainant"), so the administrator, who runs the system
rather than the cases, does not get ``cases.reveal_reporter``; and only
``cases.assign_reporter`` may assign such a case, since assigning decides who sees
the reporter (a handler could otherwise assign a 举报 to themself and read it).

An application's reply period is extended only with the agreement of the head of
the office's 政府信息公开工作机构 (Art. 33 of the Regulation): the ``head`` role, an
approver who also holds that power. A complaint's period is extended by the body's
head (《信访工作条例》), whom approvers stand for, as before.

Permissions hold per body: a member has a role in each body they belong to
(``StaffMembership``), and an action on a body's record asks for the permission in
that body (``Staff.can(permission, body_id)``). The county supervisor (县级监督) reads the
cases and audit log of every body it belongs to, sees the county's league table and
summary of the annual tables (``county.view``) and sends 督办 (``county.escalate``), but
never handles a case, edits an item or changes a setting: it supervises the towns'
work, it does not do it.

To add a permission: add it to ``PERMISSIONS`` with a Chinese description (the
home page lists a member's permissions with it), grant it in ``GRANTS``, and add
its row to ``EXPECTED`` in ``tests/test_admin_auth.py``. To add a role: add it to
``Role`` and ``ROLE_LABELS``, grant it permissions, and write a migration that
widens the ``staff_role`` CHECK constraint.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"
    HANDLER = "handler"
    APPROVER = "approver"
    ADMIN = "admin"
    HEAD = "head"
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CLERK: "登记员",
    Role.HANDLER: "承办人",
    Role.APPROVER: "审核人",
    Role.ADMIN: "管理员",
    Role.HEAD: "公开工作机构负责人",
    Role.SUPERVISOR: "县级监督",
}

#: Every permission the console knows, with what it lets a staff member do.
PERMISSIONS: dict[str, str] = {
    "cases.view": "查看申请和投诉",
    "cases.handle": "办理申请和投诉（分派、备注、答复、补正、办结）",
    "cases.reveal_contact": "查看申请人和投诉人的完整联系方式",
    "cases.reveal_reporter": "查看举报人身份",
    "cases.assign_reporter": "分派投诉举报件（决定由谁查看举报人身份），查看所有举报人身份",
    "cases.approve_extension": "同意延长政府信息公开申请的答复期限（条例第三十三条）",
    "cases.approve_complaint_extension": "批准延长投诉、举报、建议的办理期限",
    "items.edit": "起草和修改公开信息",
    "items.review": "审查公开信息（预先审查、保密审查）",
    "items.publish": "发布公开信息",
    "audit.view": "查看操作日志",
    "office.edit": "修改单位信息（联系方式、行政机关、行政复议机关）",
    "staff.manage": "管理工作人员账号",
    "county.view": "查看全县各乡镇的办件统计表和年报统计汇总",
    "county.escalate": "向乡镇发出督办通知",
}

_EVERYONE = frozenset({"cases.view", "items.edit"})
_HANDLING = frozenset({"cases.handle", "cases.reveal_contact"})
_APPROVING = frozenset(
    {
        "cases.approve_complaint_extension",
        "items.review",
        "items.publish",
        "audit.view",
        "office.edit",
    }
)
#: Approvers decide who sees a complainant's identity, and see every one themselves.
_GUARDING_REPORTERS = frozenset({"cases.reveal_reporter", "cases.assign_reporter"})
_APPROVER = _EVERYONE | _HANDLING | _APPROVING | _GUARDING_REPORTERS

GRANTS: dict[Role, frozenset[str]] = {
    Role.CLERK: _EVERYONE,
    Role.HANDLER: _EVERYONE | _HANDLING | {"cases.reveal_reporter"},
    Role.APPROVER: _APPROVER,
    Role.ADMIN: _EVERYONE | _HANDLING | _APPROVING | {"staff.manage"},
    Role.HEAD: _APPROVER | {"cases.approve_extension"},
    Role.SUPERVISOR: frozenset({"cases.view", "audit.view", "county.view", "county.escalate"}),
}


class UnknownPermission(KeyError):
    """A permission name that is not in ``PERMISSIONS`` (a typo must not silently deny)."""


def check_permission(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise UnknownPermission(f"unknown permission {permission!r}; known: {sorted(PERMISSIONS)}")
    return permission


def can(role: Role | str, permission: str) -> bool:
    """Whether ``role`` grants ``permission``."""
    return check_permission(permission) in GRANTS[Role(role)]


def roles_with(permission: str) -> list[Role]:
    return [role for role in Role if can(role, permission)]
