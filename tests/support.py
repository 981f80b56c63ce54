"""What the tests share besides fixtures (those are in ``conftest.py``): the test settings,
a resident's phone, a staff member's console, the cases and items they make, and readers of
what the app writes.

Test modules import from here, never from one another.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import Result
from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from pypdf import PdfReader
from sqlalchemy import JSON, Column, Connection, Table, inspect, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.test import TestResponse

from bot import create_app, db
from bot.admin import accounts, auth
from bot.content.review import Stage, records_of, standing
from bot.models import Body
from bot.models.cases import APPLICATION, COMPLAINT, PENDING, PROCESSING, Attachment, Case
from bot.models.content import Item, Report
from bot.models.staff import AuditEntry, Staff
from bot.pdf import NO_LINE_END, NO_LINE_START
from bot.staff import audit, bodies
from bot.wechat.chat import ChatClient, describe
from bot.wechat.protocol import Keys
from tests import fake_wechat

# ---- settings and services ----

IN_CI = os.environ.get("CI") == "true"
TOKEN = "test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = fake_wechat.APPID
PUBLIC_URL = "https://gzl.example.gov.cn"
CHROMIUM = os.environ.get("SUNSHINE_TEST_CHROMIUM", "/usr/bin/chromium")
#: Headless on a machine with no network but loopback: no background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The browser tests' window: an office PC's screen.
OFFICE_PC = {"width": 1366, "height": 768}
#: Screenshots the browser tests save for people to look at (not committed).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

ProgramPath = TypeVar("ProgramPath", str, Path)


@dataclass(frozen=True)
class Services:
    redis_url: str | None
    database_url: str | None


def needs_program(path: ProgramPath | None, reason: str) -> ProgramPath:
    """A system program a test runs: skipped without it, except under CI=true (``.ci/run``
    installs every one, so a missing program there is a broken CI machine)."""
    if path is None:
        if IN_CI:
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return path


def needs_redis(services: Services) -> str:
    """Skip (or, in CI, fail) a test that needs a store shared between processes."""
    return _needs(services.redis_url, "Redis", "SUNSHINE_TEST_REDIS_URL")


def needs_postgresql(services: Services) -> str:
    """Skip (or, in CI, fail) a test that needs PostgreSQL itself (row locks, time-outs)."""
    return _needs(services.database_url, "PostgreSQL", "SUNSHINE_TEST_DATABASE_URL")


def _needs(url: str | None, service: str, variable: str) -> str:
    if url is None:
        if IN_CI:
            pytest.fail(f"CI=true: this test needs real {service}")
        pytest.skip(f"needs real {service} (set {variable})")
    return url


def town(session: Session) -> Body:
    """The body the tests' app was seeded with: the default (first) one."""
    body = bodies.default(session)
    assert body is not None, "the app was not seeded"
    return body


def town_id(session: Session) -> int:
    return town(session).id


def base_config(database_url: str, redis_url: str | None, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "WECHAT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": PUBLIC_URL,
        "SECRET_KEY": "test-secret-key",
        "WECHAT_MAX_SKEW": 300,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }


#: Where ``empty_app`` builds the schema on PostgreSQL, beside the other tests' tables.
EMPTY_SCHEMA = "sunshine_migrations"


def app_on(url: str, tmp_path: Path) -> Flask:
    """The app the way ``sunshine db upgrade`` builds it (same engine, same SQLite pragmas)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path),
            "WECHAT_TOKEN": "test-token",
        }
    )


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates kept in memory for every app of the run: a test builds its
    own app, and compiling the console's templates anew for each cost a tenth of the suite."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])  # checked against the source

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    """Run a ``sunshine`` command in-process against ``app`` (``input``: its stdin)."""
    return app.test_cli_runner().invoke(args=list(args), input=input)


# ---- a resident's phone ----


def flask_transport(
    app: Flask, path: str = "/wechat"
) -> Callable[[dict[str, str], bytes], tuple[int, str]]:
    test_client = app.test_client()

    def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = test_client.post(path, query_string=query, data=body, content_type="text/xml")
        return response.status_code, response.get_data(as_text=True)

    return post


class Resident:
    """A resident's phone, talking to an app through the real webhook: to the configured
    account at ``/wechat``, or to the named ``account`` (whose ``keys`` sign) at its own."""

    def __init__(
        self,
        app: Flask,
        *,
        openid: str = "o-resident-1",
        safe_mode: bool = False,
        account: str = "",
        keys: Keys | None = None,
    ):
        config = app.config
        if keys is None:
            keys = Keys(config["WECHAT_TOKEN"], config["WECHAT_AES_KEY"], config["WECHAT_APPID"])
        path = f"/wechat/{account}" if account else "/wechat"
        self.chat = ChatClient(flask_transport(app, path), keys, safe_mode=safe_mode, openid=openid)

    def says(self, line: str) -> str:
        return describe(self.chat.line(line))


def fill(resident: Resident, steps: list[str]) -> str:
    """Send ``steps`` one by one; the last reply."""
    reply = ""
    for line in steps:
        reply = resident.says(line)
    return reply


# ---- cases as residents file them ----

ID_NUMBER = "220381198001011230"
PHONE = "13812341234"
ADDRESS = "吉林省公主岭市毛城子镇某村3组"
#: A person applying with an ID card and a phone, for paper copies by post.
PERSON_STEPS = [
    "申请",
    "1",
    "张三",
    "1",
    ID_NUMBER,
    PHONE,
    "2025年村务公开的财务收支明细",
    "1",
    "1",
    ADDRESS,
]
REPORTER_PHONE = "13987654321"
REPORTER_NAME = "李举报"
PHOTO_URL = "https://mmbiz.qpic.cn/mmbiz_jpg/public-photo.jpg"


def number_in(receipt: str) -> str:
    found = re.search(r"编号：((?:SQ|TS)\d{8}-\d{4})", receipt)
    assert found, receipt
    return found.group(1)


def file_application(resident: Resident, text: str = "2025年村务公开的财务收支明细") -> str:
    steps = [*PERSON_STEPS]
    steps[6] = text
    for line in steps:
        resident.says(line)
    return number_in(resident.says("确认"))


def file_complaint(
    resident: Resident,
    text: str = "村口路灯坏了三天了",
    *,
    category: str = "投诉",
    phone: str | None = REPORTER_PHONE,
    name: str | None = REPORTER_NAME,
    photo: bool = False,
    location: bool = False,
) -> str:
    resident.says(category)
    resident.says(text)
    if photo:
        resident.says(f"/image {PHOTO_URL}")
    if location:
        resident.says("/location 43.52 124.81 毛城子镇前进村")
    resident.says("好了")
    if phone is None:
        resident.says("跳过")
    else:
        resident.says(phone)
        resident.says(name or "跳过")
    return number_in(resident.says("确认"))


def file_anonymous_complaint(resident: Resident, text: str = "路灯坏了") -> str:
    """A complaint of one message, without a phone: its number."""
    for line in ("投诉", text, "好了", "跳过"):
        resident.says(line)
    receipt = resident.says("确认")
    return receipt.split("编号：")[1].split("\n")[0]


def case_row(app: Flask, number: str) -> Case:
    """The case as stored, with what hangs on it, to read outside the app context."""
    loaded = [
        selectinload(getattr(Case, name))
        for name in (
            "replies",
            "assignment",
            "rating",
            "extensions",
            "supplements",
            "notes",
            "pauses",
        )
    ]
    with app.app_context():
        query = select(Case).options(*loaded).where(Case.number == number)
        return db.get_session().scalars(query).one()


def backdate(app: Flask, number: str, days: int) -> None:
    """As if the case had been received ``days`` days earlier."""
    with app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case.received_on -= timedelta(days=days)
        case.due_on -= timedelta(days=days)
        if case.accept_due_on:
            case.accept_due_on -= timedelta(days=days)
        session.commit()


def wait_for_fetch(app: Flask, timeout: float = 5.0) -> list[Attachment]:
    """The attachments, once none waits for its download (or after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            attachments = list(db.get_session().scalars(select(Attachment)))
        if all(a.fetch_state != PENDING for a in attachments) or time.monotonic() > deadline:
            return attachments
        time.sleep(0.05)


#: What the State Council might publish for 2027 (the tests need days only, not the real ones).
SCHEDULE_2027 = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
    "days_off": {"2027-01-01..2027-01-03": "元旦", "2027-02-05..2027-02-13": "春节"},
    "working_days": {"2027-02-14": "春节"},
}


# ---- staff at the console ----

PASSWORD = "long enough 10"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def add_staff(
    app: Flask,
    username: str,
    role: str = "admin",
    *,
    name: str | None = None,
    password: str = PASSWORD,
    member_of: Sequence[str] | None = None,
) -> int:
    """A staff account, with ``role`` in the bodies of these slugs (None: every body)."""
    with app.app_context():
        session = db.get_session()
        chosen = None if member_of is None else [bodies.chosen(session, s) for s in member_of]
        staff = accounts.create_staff(session, username, role, password, name, chosen)
        session.commit()
        return staff.id


# ---- several towns (tests/test_county_staff.py, tests/test_county_browser.py) ----

CASE_SEQUENCE = count(1)


def add_town(session: Session, slug: str, name: str) -> Body:
    body = bodies.add(session, audit.CLI, slug, name)
    session.commit()
    return body


def add_case(
    session: Session, body: Body, kind: str, due: date, status: str = PROCESSING, **fields: object
) -> Case:
    """A case of ``body`` falling due on ``due`` (flushed: it has its id)."""
    n = next(CASE_SEQUENCE)
    prefix = "SQ" if kind == APPLICATION else "TS"
    fields = {"text": f"第{n}件", **fields}
    case = Case(
        body_id=body.id,
        number=f"{prefix}20260301-{n:04d}",
        kind=kind,
        category="投诉" if kind == COMPLAINT else None,
        status=status,
        submission_id=f"county-test-{n}",
        openid="o-county-test",
        created_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        received_on=date(2026, 3, 1),
        due_on=due,
        **fields,
    )
    session.add(case)
    session.flush()
    return case


def member(session: Session, username: str, role: str, *member_of: Body) -> Staff:
    staff = accounts.create_staff(session, username, role, PASSWORD, member_of=list(member_of))
    session.commit()
    return staff


def staff_row(app: Flask, username: str) -> Staff:
    with app.app_context():
        return accounts.get(db.get_session(), username)


class Console:
    """A browser's view of the console, through Flask's test client."""

    def __init__(self, app: Flask, **client_options: object) -> None:
        self.client = app.test_client(**client_options)

    def token(self, path: str = "/admin/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = CSRF_FIELD.search(page)
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    def login(
        self, username: str, password: str = PASSWORD, *, next: str | None = None
    ) -> TestResponse:
        path = "/admin/login" + (f"?next={next}" if next else "")
        return self.client.post(
            path, data={"username": username, "password": password, "csrf_token": self.token(path)}
        )

    def logout(self) -> TestResponse:
        return self.client.post("/admin/logout", data={"csrf_token": self.token("/admin/")})

    def page(self, path: str) -> str:
        response = self.client.get(path, follow_redirects=True)
        return response.get_data(as_text=True)

    def logged_in(self) -> bool:
        return self.client.get("/admin/").status_code == 200

    def age_session(self, **seconds: float) -> None:
        """Move the login's clocks back: ``login=``, ``seen=`` seconds ago."""
        with self.client.session_transaction() as session:
            if "login" in seconds:
                session[auth.LOGIN_AT] = time.time() - seconds["login"]
            if "seen" in seconds:
                session[auth.SEEN_AT] = time.time() - seconds["seen"]


def from_address(app: Flask, address: str) -> Console:
    console = Console(app)
    console.client.environ_base["REMOTE_ADDR"] = address
    return console


def logged_in(
    app: Flask,
    username: str,
    role: str,
    name: str | None = None,
    member_of: Sequence[str] | None = None,
) -> Console:
    add_staff(app, username, role, name=name, member_of=member_of)
    console = Console(app)
    console.login(username)
    return console


def post(console: Console, path: str, **data: str) -> TestResponse:
    """Post a console form (with its CSRF token)."""
    token = console.token("/admin/cases")
    return console.client.post(path, data={"csrf_token": token, **data})


def audit_entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db.get_session().scalars(query))


def audit_actions(app: Flask, target_type: str, target_id: object) -> list[tuple[str, str]]:
    with app.app_context():
        entries = db.get_session().scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
            .order_by(AuditEntry.id)
        )
        return [(entry.actor, entry.action) for entry in entries]


def scripts_not_our_own(html: str) -> list[str]:
    """Script tags other than this site's own files (``/static/…``): inline code, or another
    site's, which the pages must do without (the console's CSP forbids both)."""
    return re.findall(r'<script(?![^>]*\bsrc="/static/)[^>]*>', html)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, in one line."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# ---- publishing: items and reports ----

TITLE = "关于开展秸秆禁烧专项巡查的通告"
FORM = {
    "title": TITLE,
    "category": "公示公告",
    "doc_number": "毛政发[2026]31号",
    "publisher": "毛城子镇人民政府",
    "published_on": "2026-11-20",
    "channel": "wechat",
    "summary": "11月20日起开展秸秆禁烧专项巡查。",
    "body": "各村：\n为改善空气质量，自11月20日起开展秸秆禁烧专项巡查。",
    "link": "",
    "attachments": "巡查安排.xlsx|https://example.gov.cn/files/xuncha.xlsx",
}


class Desk:
    """A staff member at the console (Flask's test client), logged in."""

    def __init__(self, app: Flask, username: str, password: str = PASSWORD) -> None:
        self.app = app
        self.console = Console(app)
        response = self.console.login(username, password)
        assert response.status_code == 302, f"{username} could not log in"

    def get(self, path: str) -> TestResponse:
        return self.console.client.get(path)

    def page(self, path: str) -> str:
        return visible_text(self.console.page(path))

    def post(self, path: str, data: dict[str, Any] | None = None, **options: Any) -> TestResponse:
        token = self.console.token("/admin/")
        return self.console.client.post(path, data={"csrf_token": token, **(data or {})}, **options)

    def says(self, path: str, data: dict[str, Any] | None = None) -> str:
        """Post, follow the redirect and return the page's text (with its flash message)."""
        return visible_text(self.post(path, data, follow_redirects=True).get_data(as_text=True))

    # ---- items ----

    def create_item(self, **fields: str) -> int:
        response = self.post("/admin/items/new", {**FORM, **fields})
        assert response.status_code == 302, visible_text(response.get_data(as_text=True))
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def edit_item(self, item_id: int, **fields: str) -> str:
        data = {**FORM, "revision": revision_of(self.app, f"/admin/items/{item_id}"), **fields}
        return self.says(f"/admin/items/{item_id}/edit", data)

    def review(self, target: str, step: str, decision: str = "pass", comment: str = "") -> str:
        """Decide a review step of ``target`` (``/admin/items/ID`` or ``/admin/reports/YEAR``)."""
        return self.act(target, "review", step=step, decision=decision, comment=comment)

    def act(self, target: str, action: str, **data: str) -> str:
        """Post one of the review panel's forms for the current revision of ``target``."""
        revision = revision_of(self.app, target)
        return self.says(f"{target}/{action}", {"revision": revision, **data})


def at(item_id: int) -> str:
    """The console page of an item."""
    return f"/admin/items/{item_id}"


def revision_of(app: Flask, target: str) -> int:
    """The current revision of ``/admin/items/ID`` or ``/admin/reports/YEAR``."""
    kind, key = target.rstrip("/").split("/")[-2:]
    with app.app_context():
        session = db.get_session()
        if kind == "items":
            return session.get(Item, int(key)).revision
        return session.scalars(select(Report).where(Report.year == int(key))).one().revision


def item_row(app: Flask, item_id: int) -> Item:
    with app.app_context():
        found = db.get_session().get(Item, item_id)
        assert found is not None
        return found


def stage_of(app: Flask, item_id: int) -> Stage:
    with app.app_context():
        session = db.get_session()
        found = session.get(Item, item_id)
        return standing(found, records_of(session, found)).stage


# ---- what the app writes ----


def pdf_lines(data: bytes) -> list[str]:
    """The PDF's lines as a reader extracts them, each stripped, empty ones left out."""
    reader = PdfReader(io.BytesIO(data))
    lines = (line.strip() for page in reader.pages for line in page.extract_text().splitlines())
    return [line for line in lines if line]


def badly_broken(lines: list[str]) -> list[str]:
    """The lines that break the rules of 避头尾: starting with a closing mark, ending with an
    opening one."""
    return [line for line in lines if line[0] in NO_LINE_START or line[-1] in NO_LINE_END]


def pdf_text(data: bytes) -> str:
    """The text a reader extracts from the PDF, whitespace removed (extractors space CJK)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


SAMPLE_TEXT = "阳光 O'Brien ]]> <b>&amp; 0434-6100000"


def generated_row(connection: Connection, table: Table) -> dict[str, Any]:
    """A row ``table`` accepts, as an office running an earlier release would have written."""
    checks = inspect(connection).get_check_constraints(table.name)
    return {
        column.name: generated_value(connection, table, column, checks)
        for column in table.columns
        if not (column.primary_key and (column.server_default or column.identity))
    }  # a key the database numbers itself (PostgreSQL's serial) is left to it, as the app does


def generated_value(
    connection: Connection, table: Table, column: Column, checks: list[dict]
) -> Any:
    """A value the column accepts: an allowed literal, a referenced key, or one of its type."""
    for check in checks:  # "status IN ('draft', ...)", or PostgreSQL's "... = ANY (ARRAY[...])"
        literals = re.findall(r"'([^']*)'", check["sqltext"])
        if literals and re.search(rf"\b{re.escape(column.name)}\b", check["sqltext"]):
            return literals[0]
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column
        return connection.execute(select(target).limit(1)).scalar_one()
    if isinstance(column.type, JSON):
        return {"键": ["值", 1]}
    kind = column.type.python_type
    if kind is str:
        length = getattr(column.type, "length", None)
        return SAMPLE_TEXT[:length] if length else SAMPLE_TEXT * 3
    if kind is bool:
        return True
    if kind is int:
        return 2017
    if kind is float:
        return 43.5
    if kind is Decimal:
        return Decimal("12.50")
    if kind is datetime:
        return datetime(2017, 12, 31, 8, 30, tzinfo=UTC)
    if kind is date:
        return date(2017, 12, 31)
    if kind is bytes:
        return b"%PDF-1.4\x00\xff"
    raise NotImplementedError(f"{table.name}.{column.name}: add a row for it to ROWS")


# ---- items imported from a spreadsheet ----

HEADER = ["序号", "标题", "类别", "文号", "发布机构", "发布日期", "渠道", "摘要", "附件"]


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as file:
        csv.writer(file).writerows([HEADER, *rows])
    return path


GOOD = [
    [1, "2018年第一季度低保资金发放情况", "民生保障", "毛民发[2018]3号", "镇民政办", "2018/4/2", "网站",
     "本季度低保资金发放明细。", "发放表|https://example.gov.cn/a.xlsx"],
    [2, "2018年春季防汛物资储备情况", "应急管理", "", "镇政府办公室", "2018年4月9日", "微信", "", ""],
]  # fmt: skip


# ---- what a dump of the store would show ----


def redis_dump(app: Flask) -> bytes:
    """Every value in the store, as a dump of it would show them."""
    store = app.extensions["sunshine.redis"]
    values = []
    for key in store.scan_iter():
        kind = store.type(key)
        if kind == b"string":
            values.append(store.get(key))
        elif kind == b"hash":
            values += [name + b"=" + value for name, value in store.hgetall(key).items()]
        elif kind == b"list":
            values += store.lrange(key, 0, -1)
        elif kind == b"set":
            values += store.smembers(key)
        elif kind == b"zset":
            values += store.zrange(key, 0, -1)
    return b"\n".join(values)
