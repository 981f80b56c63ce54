"""``sunshine seed``: load the first content the account serves, idempotently.

The 2017 annual report of the first customer ships inside the package; what can
be read from it (the office's contact block, the report's sections and channel
figures) is parsed, not typed in again. Example items, marked as examples, fill
an empty catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.calendar import seed_calendar
from bot.content.examples import EXAMPLE_ITEMS
from bot.content.reports import parse_report, save_report, stored_report
from bot.models import Office
from bot.models.content import Item, ItemStatus, Report

REPORT_2017 = "maochengzi-2017-disclosure-report.txt"

_CONTACT = re.compile(
    r"(?P<name>[^，。（]*?办公室)联系方式（"
    r"地址：(?P<address>[^；]+)；邮编：(?P<postcode>\d+)；"
    r"电话：(?P<phone>[\d\-]+)；电子邮箱：(?P<email>[^）\s]+)）"
)
_ACCOUNT = re.compile(r"微信公众号（(?P<account>[^）]+)）")
_TITLE = re.compile(r"^(?P<title>.+?政府信息公开)\s*\n\s*\n?\s*工作年度报告", re.M)
#: A town's name: the county-level part, then the town (``公主岭市`` + ``毛城子镇``).
_TOWN = re.compile(r"^(?P<county>.+?[市县区旗])(?P<town>.+?(?:镇|乡|街道))")


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


def town_bodies(office_name: str) -> tuple[str | None, str | None]:
    """A town's people's government and the body that hears its reconsiderations: the
    county-level people's government (《行政复议法》 2023 Art. 24(1)(二)). None for an office
    that is not a town's: staff enter them at ``/admin/office``."""
    town = _TOWN.match(office_name)
    if town is None:
        return None, None
    return f"{town['county']}{town['town']}人民政府", f"{town['county']}人民政府"


def seed_office(session: Session) -> Office:
    """Create the office from the 2017 report, or leave staff's edits alone if it exists."""
    office = session.scalars(select(Office).limit(1)).first()
    if office is not None:
        return office
    text = report_text()
    contact = parse_contact(text)
    authority, reconsideration_body = town_bodies(contact.name)
    office = Office(
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
    session.add(office)
    return office


def seed_report(session: Session) -> Report:
    """Load the 2017 report (sections, figures) from its text, unless it is already held."""
    text = report_text()
    parsed = parse_report(text)
    report = stored_report(session, parsed.year)
    return report if report is not None else save_report(session, parsed, text)


def seed_examples(session: Session) -> int:
    """Put the example items in an empty catalogue; a catalogue with any item is left alone."""
    if session.scalar(select(Item.id).limit(1)) is not None:
        return 0
    session.add_all(
        Item(**fields, is_example=True, status=ItemStatus.PUBLISHED, attachments=[])
        for fields in EXAMPLE_ITEMS
    )
    return len(EXAMPLE_ITEMS)


def seed(session: Session) -> None:
    seed_office(session)
    seed_report(session)
    seed_examples(session)
    session.commit()
    seed_calendar(session)
