"""Staff accounts: usernames, argon2 password hashes, logging in with a lock-out, the demo accounts.

Lock-out is per account AND source address: after ``LockoutPolicy.max_failures``
wrong passwords in a row from one address, that address gets no login to that
account, right or wrong, for ``LockoutPolicy.duration``. So someone guessing from
afar locks only themself out, never the staff at the office. The counters are
rebuildable data, kept in the store (Redis); without it no login is checked (the
console says to try later), since guesses could not be counted.

So that the answers do not tell whether a username exists, a name with no account
behind it is counted and locked the same way, and every attempt (unknown name,
disabled or locked account) costs exactly one argon2 verification, against a dummy
hash when there is no account's own.

A disabled account answers like a wrong password (its failures count too), and
changing a password or disabling an account ends the member's open console
sessions (``bot.admin.auth`` ties each session to the password hash).

The actions on an account (``add_account``, ``change_password``, ``set_active``,
``change_role``, ``members``, ``authenticate``, ``log_out``) write their own audit entry, so the
console and the ``sunshine staff`` commands cannot forget it; the caller commits.
``create_staff`` and ``set_password`` are the building blocks and write none.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.models import Body
from bot.models.staff import Staff, StaffMembership
from bot.staff import audit, bodies
from bot.staff.roles import Role
from bot.store import KEY_PREFIX

MIN_PASSWORD_LENGTH = 10
#: Long enough for any passphrase, short enough that hashing it costs nothing extra.
MAX_PASSWORD_LENGTH = 256
USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,39}")
USERNAME_RULE = (
    "2 to 40 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter"
)
USERNAME_RULE_CHINESE = "账号名由2至40个小写字母、数字或 . _ - 组成，以字母开头。"
MAX_DISPLAY_NAME = 60


@dataclass(frozen=True)
class DemoAccount:
    """An account ``sunshine demo`` creates, and what it is there to try."""

    username: str
    role: Role
    display_name: str
    #: What this member does in the demo (printed beside the login, in English like the CLI).
    part: str


#: Two members, so that what needs two people (one prepares, another approves) can be tried
#: alone: ``demo`` drafts an item or asks to extend an application's period, ``demo-head``
#: reviews and publishes the draft or agrees to the extension (Art. 33).
DEMO_ACCOUNTS = (
    DemoAccount(
        "demo", Role.ADMIN, "演示管理员", "prepares: drafts items, handles cases, manages staff"
    ),
    DemoAccount(
        "demo-head",
        Role.HEAD,
        "演示负责人",
        "approves: reviews and publishes what demo drafted, agrees to extensions",
    ),
)
#: Letters and digits that cannot be mistaken for one another when read off a terminal.
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A request about an account that cannot be carried out: the message says why in English
    (for the ``sunshine staff`` commands), ``chinese`` says it to the console's staff."""

    def __init__(self, message: str, chinese: str) -> None:
        super().__init__(message)
        self.chinese = chinese


# ---- usernames and passwords ----


def normalise_username(raw: str) -> str:
    return raw.strip().lower()


def check_username(raw: str) -> str:
    username = normalise_username(raw)
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(f"a username is {USERNAME_RULE}", USERNAME_RULE_CHINESE)
    if username in audit.NON_STAFF_ACTORS:
        raise AccountError(
            f"'{username}' is reserved for the audit log; choose another username",
            f"“{username}”是操作日志保留的名称，请换一个账号名。",
        )
    return username


def check_password(password: str, username: str) -> None:
    if not password:
        raise AccountError("the password is empty", "请填写密码。")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long",
            f"密码至少{MIN_PASSWORD_LENGTH}个字符。",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters long",
            f"密码最多{MAX_PASSWORD_LENGTH}个字符。",
        )
    if password.strip().lower() == username:
        raise AccountError("the password must not be the username", "密码不能与账号名相同。")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows, with the real hashes' cost (made once per process)."""
    return _hasher.hash(secrets.token_hex(16))


def generate_password(length: int = 12) -> str:
    return "".join(secrets.choice(_READABLE) for _ in range(length))


# ---- accounts ----


def find(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == normalise_username(username)))


def get(session: Session, username: str) -> Staff:
    staff = find(session, username)
    if staff is None:
        name = normalise_username(username)
        raise AccountError(f"there is no staff account '{name}'", f"没有账号“{name}”。")
    return staff


def refuse_taken(session: Session, username: str) -> None:
    if find(session, username) is not None:
        raise AccountError(
            f"a staff account '{username}' already exists", f"账号“{username}”已经存在。"
        )


def checked_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as error:
        raise AccountError(
            f"unknown role '{role}'; one of: {', '.join(Role)}", "请从列表中选择角色。"
        ) from error


def create_staff(
    session: Session,
    username: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    member_of: Sequence[Body] | None = None,
) -> Staff:
    """Add an active account with ``role`` in each body of ``member_of`` (None: every body,
    as an upgraded install's accounts are; flushed, so it has an id; the caller commits);
    no audit entry: the action is ``add_account``."""
    username = check_username(username)
    refuse_taken(session, username)
    role = checked_role(role)
    name = (display_name or "").strip() or username
    if len(name) > MAX_DISPLAY_NAME:
        raise AccountError(
            f"the display name must be at most {MAX_DISPLAY_NAME} characters long",
            f"姓名最多{MAX_DISPLAY_NAME}个字。",
        )
    check_password(password, username)
    staff = Staff(
        username=username,
        display_name=name,
        role=role.value,
        password_hash=hash_password(password),
        active=True,
    )
    for body in bodies.listed(session) if member_of is None else member_of:
        staff.memberships.append(StaffMembership(body_id=body.id, role=role.value))
    session.add(staff)
    session.flush()
    return staff


def set_password(staff: Staff, password: str) -> None:
    """Replace the password (the caller commits, and lifts any lock-out); no audit entry:
    the action is ``change_password``."""
    check_password(password, staff.username)
    staff.password_hash = hash_password(password)


def add_account(
    session: Session,
    actor: Staff | str,
    username: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    member_of: Sequence[Body] | None = None,
) -> Staff:
    """Create an active account, a member of ``member_of`` (None: every body), and write
    ``staff.create`` (the caller commits)."""
    staff = create_staff(session, username, role, password, display_name, member_of)
    audit.record(
        actor,
        "staff.create",
        "staff",
        staff.id,
        username=staff.username,
        name=staff.display_name,
        role=staff.role,
        bodies=membership_text(session, staff),
    )
    return staff


def membership_text(session: Session, staff: Staff) -> str:
    """The member's bodies and roles in one line: ``town-a:handler, town-b:clerk``."""
    slugs = {body.id: body.slug for body in bodies.listed(session)}
    return ", ".join(f"{slugs[m.body_id]}:{m.role}" for m in staff.memberships)


def change_password(staff: Staff, actor: Staff | str, password: str) -> None:
    """Replace the password and write ``staff.password`` (the caller commits, and lifts any
    lock-out)."""
    set_password(staff, password)
    audit.record(actor, "staff.password", "staff", staff.id, username=staff.username)


def set_active(staff: Staff, actor: Staff | str, *, active: bool) -> bool:
    """Enable or disable the account and write ``staff.enable``/``staff.disable``; False (and
    no entry) when it already was (the caller commits, and lifts any lock-out). Nobody
    disables their own account at the console: someone who may manage staff always remains."""
    if staff.active == active:
        return False
    if not active and staff is actor:
        raise AccountError("you cannot disable your own account", "不能停用自己的账号。")
    staff.active = active
    action = "staff.enable" if active else "staff.disable"
    audit.record(actor, action, "staff", staff.id, username=staff.username)
    return True


def change_role(staff: Staff, actor: Staff | str, role: Role | str, body_id: int) -> bool:
    """Give the account another role in body ``body_id`` and write ``staff.role``; False (and
    no entry) when it already had it (the caller commits). An account of no body yet gets
    another account role. Nobody changes their own role at the console."""
    new = checked_role(role)
    membership = staff.membership_of(body_id)
    if membership is None and staff.memberships:
        raise AccountError(
            f"account {staff.username!r} is not a member of that body", "该账号不属于本机关。"
        )
    previous = membership.role if membership is not None else staff.role
    if previous == new.value:
        return False
    if staff is actor:
        raise AccountError("you cannot change your own role", "不能修改自己的角色。")
    if membership is not None:
        membership.role = new.value
    if membership is None or len(staff.memberships) == 1:
        staff.role = new.value  # the account role follows its only body's
    audit.record(
        actor,
        "staff.role",
        "staff",
        staff.id,
        body_id=body_id,
        username=staff.username,
        role=new.value,
        from_role=previous,
    )
    return True


def join_body(staff: Staff, actor: Staff | str, body: Body, role: Role | str) -> None:
    """Make the account a member of ``body`` with ``role`` and write ``staff.join`` (the
    caller commits); another role in a body it is in is ``change_role``."""
    new = checked_role(role)
    if staff.membership_of(body.id) is not None:
        raise AccountError(
            f"account {staff.username!r} is already a member of {body.slug!r}; "
            "change their role there with `sunshine staff role`",
            "该账号已属于这个机关。",
        )
    staff.memberships.append(StaffMembership(body_id=body.id, role=new.value))
    _follow_only_body(staff)
    audit.record(
        actor,
        "staff.join",
        "staff",
        staff.id,
        body_id=body.id,
        username=staff.username,
        role=new.value,
    )


def leave_body(staff: Staff, actor: Staff | str, body: Body) -> None:
    """End the account's membership of ``body`` and write ``staff.leave`` (the caller
    commits): from its next page it sees nothing of that body. An account keeps one body
    at least; one that should see none is disabled instead (the audit log names it)."""
    membership = staff.membership_of(body.id)
    if membership is None:
        raise AccountError(
            f"account {staff.username!r} is not a member of {body.slug!r}",
            "该账号不属于这个机关。",
        )
    if len(staff.memberships) == 1:
        raise AccountError(
            f"{body.slug!r} is the only body of account {staff.username!r}: "
            "disable the account instead (`sunshine staff disable`)",
            "这是该账号唯一的机关；不再工作的账号请停用。",
        )
    staff.memberships.remove(membership)
    _follow_only_body(staff)
    audit.record(
        actor,
        "staff.leave",
        "staff",
        staff.id,
        body_id=body.id,
        username=staff.username,
        from_role=membership.role,
    )


def _follow_only_body(staff: Staff) -> None:
    """The account role follows its body's role while it has a single body (as
    ``change_role`` keeps it)."""
    if len(staff.memberships) == 1:
        staff.role = staff.memberships[0].role


def members(session: Session, actor: Staff | str, body_id: int | None = None) -> list[Staff]:
    """Every account by username (of body ``body_id``'s members only, when given); reading
    the list is written as ``staff.list``."""
    query = select(Staff).order_by(Staff.username)
    if body_id is not None:
        query = query.where(Staff.memberships.any(StaffMembership.body_id == body_id))
    found = list(session.scalars(query))
    audit.record(actor, "staff.list", None, None, body_id=body_id, count=len(found))
    return found


def ensure_demo_accounts(session: Session) -> list[tuple[DemoAccount, str]]:
    """Create the ``DEMO_ACCOUNTS``, members of every body, or give each a new password (and
    the bodies added since); return each with its password.

    For ``sunshine demo`` only (its own SQLite database): each run prints fresh
    passwords, since the previous ones cannot be read back. Runs in an app context.
    """
    logins = []
    for account in DEMO_ACCOUNTS:
        password = generate_password()
        staff = find(session, account.username)
        if staff is None:
            add_account(
                session, audit.CLI, account.username, account.role, password, account.display_name
            )
        else:
            change_password(staff, audit.CLI, password)
            staff.active = True
            for body in bodies.listed(session):  # bodies added since the account was made
                if staff.role_in(body.id) is None:
                    staff.memberships.append(StaffMembership(body_id=body.id, role=staff.role))
        logins.append((account, password))
    session.commit()
    return logins


# ---- logging in ----


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    duration: timedelta

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.duration.total_seconds()) // 60))


class Outcome(StrEnum):
    OK = "ok"
    #: Wrong password, unknown username or disabled account: one answer for all three.
    REFUSED = "refused"
    #: Locked now or earlier: no login from that address succeeds until the lock-out ends.
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginAttempt:
    outcome: Outcome
    staff: Staff | None = None
    #: Why it was refused, for the audit log only (never shown on the login page).
    reason: str | None = None
    #: This attempt's failure locked the account.
    locked_now: bool = False
    #: The member's previous successful login, for the home page.
    previous_login: datetime | None = None


def authenticate(
    session: Session,
    store: redis.Redis,
    username: str,
    password: str,
    *,
    source: str,
    policy: LockoutPolicy,
    now: datetime,
) -> LoginAttempt:
    """Check a login from address ``source``, count a failure and write the attempt to the
    audit log (the caller commits). Raises ``redis.RedisError`` when the store is unreachable."""
    name = normalise_username(username)
    staff = find(session, name)
    matches = verify_password(staff.password_hash if staff else dummy_hash(), password)
    key = _lockout_key(name, source)
    if _locked(store, key, now):
        return _audited(LoginAttempt(Outcome.LOCKED, staff, reason="账号已锁定"), name, policy)
    if staff is not None and staff.active and matches:
        store.delete(key)
        previous = staff.last_login_at
        staff.last_login_at = now
        if _hasher.check_needs_rehash(staff.password_hash):
            staff.password_hash = hash_password(password)
        return _audited(LoginAttempt(Outcome.OK, staff, previous_login=previous), name, policy)
    reason = "账号不存在" if staff is None else "密码错误" if staff.active else "账号已停用"
    if _count_failure(store, key, policy, now):
        locked = LoginAttempt(Outcome.LOCKED, staff, reason=reason, locked_now=True)
        return _audited(locked, name, policy)
    return _audited(LoginAttempt(Outcome.REFUSED, staff, reason=reason), name, policy)


def _audited(attempt: LoginAttempt, username: str, policy: LockoutPolicy) -> LoginAttempt:
    """Write ``attempt``: a login as its member; a refusal (and a lock-out) as the system,
    with the name typed."""
    staff = attempt.staff
    target = staff.id if staff else None
    if attempt.outcome is Outcome.OK and staff is not None:  # a success names its member
        audit.record(staff, "auth.login", "staff", target)
        return attempt
    typed = username[:40]
    audit.record(
        audit.SYSTEM, "auth.login_failed", "staff", target, username=typed, reason=attempt.reason
    )
    if attempt.locked_now:
        audit.record(
            audit.SYSTEM, "auth.locked", "staff", target, username=typed, minutes=policy.minutes
        )
    return attempt


def log_out(session: Session, staff: Staff) -> None:
    """End the member's console sessions on every PC (their cookies name the old generation)
    and write ``auth.logout`` (the caller commits)."""
    session.execute(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(session_generation=Staff.session_generation + 1)
    )
    audit.record(staff, "auth.logout", "staff", staff.id)


# ---- lock-outs: one counter per account and source address ----

#: How long wrong passwords are remembered while they stay under the limit.
FAILURES_KEPT_S = 24 * 3600


def _name_key(username: str) -> str:
    return f"{KEY_PREFIX}admin:login:{hashlib.sha256(username.encode()).hexdigest()[:32]}:"


def _lockout_key(username: str, source: str) -> str:
    return _name_key(username) + hashlib.sha256(source.encode()).hexdigest()[:32]


def _locked(store: redis.Redis, key: str, now: datetime) -> bool:
    until = store.hget(key, "until")
    return until is not None and float(until) > now.timestamp()


def _count_failure(store: redis.Redis, key: str, policy: LockoutPolicy, now: datetime) -> bool:
    """Count a wrong password; True when it locks the address out of the account."""
    failures = store.hincrby(key, "failures", 1)
    if failures < policy.max_failures:
        store.expire(key, FAILURES_KEPT_S)
        return False
    until = now + policy.duration
    store.hset(key, mapping={"failures": 0, "until": until.timestamp()})
    store.expire(key, int(policy.duration.total_seconds()))
    return True


def lockouts(store: redis.Redis, username: str, now: datetime) -> int:
    """From how many addresses ``username`` is locked out now."""
    keys = store.scan_iter(match=_name_key(normalise_username(username)) + "*")
    return sum(_locked(store, key, now) for key in keys)


def lift_lockouts(store: redis.Redis, username: str) -> None:
    """Let every address try ``username`` again (a new password, an account enabled)."""
    for key in store.scan_iter(match=_name_key(normalise_username(username)) + "*"):
        store.delete(key)
