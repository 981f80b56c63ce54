"""``sunshine seed``: load the first content the account serves, idempotently.

The 2017 annual report of the first customer ships inside the package; what can
be read from it (the office's contact block, the report's sections and channel
figures) is parsed, not typed in again. Example items, marked as examples, fill
an empty catalogue. ``sunshine demo --county`` adds a second town (``seed_demo_town``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.calendar import seed_calendar
from bot.content.examples import EXAMPLE_ITEMS
from bot.content.reports import parse_report, save_report, stored_report
from bot.models import Body
from bot.models.content import Item, ItemStatus, Report
from bot.staff import audit
from bot.staff.bodies import add as add_body
from bot.staff.bodies import by_slug, town_bodies

REPORT_2017 = "maochengzi-2017-disclosure-report.txt"

_CONTACT = re.compile(
    r"(?P<name>[^，。（]*?办公室)联系方式（"
    r"地址：(?P<address>[^；]+)；邮编：(?P<postcode>\d+)；"
    r"电话：(?P<phone>[\d\-]+)；电子邮箱：(?P<email>[^）\s]+)）"
)
_ACCOUNT = re.compile(r"微信公众号（(?P<account>[^）]+)）")
_TITLE = re.compile(r"^(?P<title>.+?政府信息公开)\s*\n\s*\n?\s*工作年度报告", re.M)


@dataclass(frozen=True)
class Contact:
    name: str
    address: str
    postcode: str
    phone: str
    email: str
    account_name: str | None


def report_text(name: str = REPORT_2017) -> str:
    return resources.files("bot.data").joinpath(name).read_text(encoding="utf-8")


def parse_contact(text: str) -> Contact:
    """Read the office's contact block, e.g. ``…办公室联系方式（地址：…；邮编：…；…）``."""
    found = _CONTACT.search(text)
    if found is None:
        raise ValueError("no contact block (…联系方式（地址：…；邮编：…；电话：…；电子邮箱：…）)")
    account = _ACCOUNT.search(text)
    return Contact(
        name=found["name"].strip(),
        address=found["address"].strip(),
        postcode=found["postcode"],
        phone=found["phone"],
        email=found["email"].strip(),
        account_name=account["account"] if account else None,
    )


def report_title(text: str) -> str:
    found = _TITLE.search(text)
    return f"{found['title']}工作年度报告" if found else "政府信息公开工作年度报告"


def first_body_slug() -> str:
    return current_app.config["FIRST_BODY_SLUG"] if has_app_context() else "town"


def seed_body(session: Session) -> Body:
    """The first body, its details read from the 2017 report; a deployment that has a body
    already keeps its bodies as they are (staff's edits too) and is given the default one."""
    body = session.scalars(select(Body).order_by(Body.id).limit(1)).first()
    if body is not None:
        return body
    text = report_text()
    contact = parse_contact(text)
    authority, reconsideration_body = town_bodies(contact.name)
    body = Body(
        slug=first_body_slug(),
        name=contact.name,
        account_name=contact.account_name,
        address=contact.address,
        postcode=contact.postcode,
        phone=contact.phone,
        email=contact.email,
        hours=None,
        source=report_title(text),
        authority=authority,
        reconsideration_body=reconsideration_body,
    )
    session.add(body)
    session.flush()
    return body


def seed_report(session: Session, body: Body) -> Report:
    """Load the 2017 report (sections, figures) from its text, unless the body holds it."""
    text = report_text()
    parsed = parse_report(text)
    report = stored_report(session, body.id, parsed.year)
    return report if report is not None else save_report(session, body.id, parsed, text)


def seed_examples(session: Session, body: Body) -> int:
    """Put the example items in a body's empty catalogue; one with any item is left alone."""
    if session.scalar(select(Item.id).where(Item.body_id == body.id).limit(1)) is not None:
        return 0
    session.add_all(
        Item(
            **fields,
            body_id=body.id,
            is_example=True,
            status=ItemStatus.PUBLISHED,
            attachments=[],
        )
        for fields in EXAMPLE_ITEMS
    )
    return len(EXAMPLE_ITEMS)


#: The second town of ``sunshine demo --county``: invented details, and the example items.
DEMO_TOWN = {
    "slug": "huaide",
    "name": "公主岭市怀德镇人民政府",
    "address": "公主岭市怀德镇政府院内（示例）",
    "phone": "0434-6200000（示例）",
    "hours": "工作日 8:30—11:30，13:00—16:30",
}


def seed_demo_town(session: Session) -> Body:
    """The demo's second town with its example items (the one already there is kept)."""
    body = by_slug(session, DEMO_TOWN["slug"])
    if body is None:
        body = add_body(session, audit.SYSTEM, DEMO_TOWN["slug"], DEMO_TOWN["name"])
        body.address, body.phone, body.hours = (
            DEMO_TOWN["address"],
            DEMO_TOWN["phone"],
            DEMO_TOWN["hours"],
        )
    seed_examples(session, body)
    session.commit()
    return body


def seed(session: Session, body: Body | None = None) -> Body:
    """Seed ``body`` (default: the first body, created from the 2017 report if there is none)
    with the 2017 report and the example items, and load the holiday calendars."""
    body = body or seed_body(session)
    seed_report(session, body)
    seed_examples(session, body)
    session.commit()
    seed_calendar(session)
    return body
