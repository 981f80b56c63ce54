"""``/admin/staff`` (工作人员): list, add, change the role of, disable and enable accounts, and
reset a password, for members who may manage staff (``staff.manage``).

What each action does, and its audit entry, is the domain's (``bot.admin.accounts``); this
page reads the forms, commits and says what happened. A password is never typed here: a new
account and a reset get a generated one, shown once on the page that answers the form (never
in a flash message, which the cookie would carry) for the member to be told in person. A
reset or an enabled account also lifts the account's lock-outs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from redis import RedisError
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from bot import clock
from bot.admin import accounts
from bot.admin.accounts import AccountError
from bot.admin.auth import permission_required
from bot.admin.console import bp, staff_body
from bot.db import get_session
from bot.models.staff import Staff
from bot.staff.roles import PERMISSIONS, ROLE_LABELS, Role, can
from bot.store import get_redis

ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class NewMemberForm(FlaskForm):
    username = StringField(
        "账号名",
        validators=[DataRequired("请填写账号名。")],
        description=accounts.USERNAME_RULE_CHINESE + "登录时使用，以后不能修改。",
    )
    display_name = StringField(
        "姓名",
        validators=[
            DataRequired("请填写姓名。"),
            Length(
                max=accounts.MAX_DISPLAY_NAME, message=f"姓名最多{accounts.MAX_DISPLAY_NAME}个字。"
            ),
        ],
        description="在工作台和操作日志中显示，如：王芳。",
    )
    #: No role is chosen for the administrator: the list starts at 请选择.
    role = SelectField(
        "角色", choices=[SelectChoice("", "请选择"), *ROLE_CHOICES], validate_choice=False
    )


class RoleForm(FlaskForm):
    role = SelectField("角色", choices=ROLE_CHOICES, validate_choice=False)


@bp.get("/staff")
@permission_required("staff.manage")
def staff_members() -> ResponseReturnValue:
    return _members_page(NewMemberForm(formdata=None))


@bp.post("/staff")
@permission_required("staff.manage")
def staff_add() -> ResponseReturnValue:
    form = NewMemberForm()
    if not form.validate():
        return _members_page(form)
    session = get_session()
    password = accounts.generate_password()
    try:
        member = accounts.add_account(
            session,
            g.staff,
            form.username.data,
            form.role.data,
            password,
            form.display_name.data,
            member_of=[staff_body()],
        )
    except AccountError as error:
        session.rollback()
        flash(error.chinese, "warning")
        return _members_page(form)
    session.commit()
    return _members_page(NewMemberForm(formdata=None), issued=(member, "新建了账号", password))


@bp.post("/staff/<int:member_id>/role")
@permission_required("staff.manage")
def staff_role(member_id: int) -> ResponseReturnValue:
    return _account_action(
        member_id,
        lambda member: accounts.change_role(
            member, g.staff, RoleForm().role.data or "", staff_body().id
        ),
        lambda member: (
            f"{_name(member)}的角色已改为{_role_here(member).label}，从其下一次打开页面起生效。"
        ),
    )


@bp.post("/staff/<int:member_id>/<any(disable, enable):change>")
@permission_required("staff.manage")
def staff_active(member_id: int, change: str) -> ResponseReturnValue:
    active = change == "enable"

    def done(member: Staff) -> str:
        if active:
            return f"已启用{_name(member)}，可以重新登录。{_lift_lockouts(member)}"
        return f"已停用{_name(member)}：不能再登录，已打开的页面也已退出。"

    return _account_action(
        member_id, lambda member: accounts.set_active(member, g.staff, active=active), done
    )


def _account_action(
    member_id: int, act: Callable[[Staff], bool], done: Callable[[Staff], str]
) -> ResponseReturnValue:
    """Carry out ``act`` on the member (False: nothing to do), commit, say what ``done``, or
    why it was refused; back to the list."""
    member, session = _member(member_id), get_session()
    try:
        changed = act(member)
    except AccountError as error:
        flash(error.chinese, "warning")
        return redirect(url_for("admin.staff_members"))
    session.commit()
    if changed:
        flash(done(member), "info")
    return redirect(url_for("admin.staff_members"))


@bp.post("/staff/<int:member_id>/password")
@permission_required("staff.manage")
def staff_password(member_id: int) -> ResponseReturnValue:
    member, session = _member(member_id), get_session()
    password = accounts.generate_password()
    accounts.change_password(member, g.staff, password)
    session.commit()
    flash(f"已重设{_name(member)}的密码，其已打开的页面已退出。{_lift_lockouts(member)}", "info")
    return _members_page(NewMemberForm(formdata=None), issued=(member, "重设了密码", password))


def _members_page(
    form: NewMemberForm, issued: tuple[Staff, str, str] | None = None
) -> ResponseReturnValue:
    """The list and the new-account form; ``issued`` (member, what was done, password) shows a
    password given out just now, once."""
    session = get_session()
    members = accounts.members(session, g.staff, staff_body().id)
    session.commit()
    now = clock.now()
    return render_template(
        "admin/staff.html",
        members=members,
        lockouts={member.id: _lockouts(member, now) for member in members},
        form=form,
        role_forms={
            member.id: RoleForm(formdata=None, role=_role_here(member).value) for member in members
        },
        role_here=_role_here,
        roles=[(ROLE_LABELS[role], _permissions(role)) for role in Role],
        issued=issued,
    )


def _permissions(role: Role) -> str:
    return "；".join(text for name, text in PERMISSIONS.items() if can(role, name))


def _member(member_id: int) -> Staff:
    """A member of the body the administrator works in (another body's: not found)."""
    member = get_session().get(Staff, member_id)
    if member is None or member.role_in(staff_body().id) is None:
        abort(404)
    return member


def _role_here(member: Staff) -> Role:
    """The member's role in the body the administrator works in."""
    return member.role_in(staff_body().id) or Role(member.role)


def _name(member: Staff) -> str:
    return f"{member.display_name}（{member.username}）"


def _lockouts(member: Staff, now: datetime) -> int | None:
    """From how many addresses the account is locked out now; None when the store cannot say."""
    try:
        return accounts.lockouts(get_redis(), member.username, now)
    except RedisError:
        return None


def _lift_lockouts(member: Staff) -> str:
    """Let every address try the account again; a sentence to add when that could not be done."""
    try:
        accounts.lift_lockouts(get_redis(), member.username)
    except RedisError:
        return "缓存服务暂时不可用，原有的登录锁定到期后自动解除。"
    return ""
