"""``sunshine cases export``: every application and complaint, one record each (docs/product.md).

JSON keeps attachments, location and replies nested; CSV and XLSX have one row
per case with those as readable multi-line cells. Identity numbers, phones,
e-mail and postal addresses and complainants' names are masked unless the
export is made with contact details, as are ID numbers the resident typed into
the text, a name or an address (with contact details: as typed). Spreadsheet cells that would start a
formula (``=``, ``+``, ``-``, ``@``) are written as text: residents' words are
never executed by Excel. ``exported`` gives the records after writing who exports
how many, with or without contact details, to the audit log.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cases.privacy import mask_address, mask_email, mask_name, originals, unseal
from bot.clock import in_beijing
from bot.models.cases import Case
from bot.models.staff import Staff
from bot.staff import audit

COLUMNS = (
    "number",
    "kind",
    "category",
    "status",
    "openid",
    "applicant_kind",
    "organisation_kind",
    "name",
    "id_type",
    "id_number",
    "phone",
    "email",
    "address",
    "anonymous",
    "text",
    "form_wanted",
    "attachments",
    "location",
    "created_at",
    "received_on",
    "due_on",
    "due_provisional",
    "accept_due_on",
    "accept_due_provisional",
    "accepted_on",
    "replies",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A resident's contact details: masked unless the export is made with them.
CONTACT_FIELDS = ("name", "id_number", "phone", "email", "address")


def records(session: Session, body_id: int, *, with_contact: bool) -> list[dict[str, Any]]:
    """Every case of the body, one record each."""
    cases = session.scalars(
        select(Case)
        .options(selectinload(Case.attachments), selectinload(Case.replies))
        .where(Case.body_id == body_id)
        .order_by(Case.id)
    )
    return [record(case, with_contact=with_contact) for case in cases]


def exported(
    session: Session,
    body_id: int,
    actor: Staff | str,
    *,
    with_contact: bool,
    destination: str,
    command: str,
) -> list[dict[str, Any]]:
    """The body's records, after adding a ``case.export`` entry (how many, how many with
    contact details, where to and the command) to the session: the caller commits it before
    writing a record anywhere."""
    rows = records(session, body_id, with_contact=with_contact)
    contacts = with_contact_details(rows) if with_contact else 0
    audit.record(
        actor,
        "case.export",
        "case",
        None,
        body_id=body_id,
        cases=len(rows),
        contacts=contacts,
        file=destination,
        command=command,
    )
    return rows


def with_contact_details(rows: Iterable[dict[str, Any]]) -> int:
    """How many records name or reach a resident (the audit log counts those exported)."""
    return sum(any(row[field] for field in CONTACT_FIELDS) for row in rows)


def record(case: Case, *, with_contact: bool) -> dict[str, Any]:
    def revealed(sealed: str | None, masked: str | None) -> str | None:
        if sealed is None:
            return None
        return unseal(sealed) if with_contact else masked

    typed = originals(case.originals_sealed) if with_contact else {}
    name, id_type = typed.get("name", case.name), typed.get("id_type", case.id_type)
    if name and case.reporter_protected and not with_contact:
        name = mask_name(name)
    email, address = typed.get("email", case.email), typed.get("address", case.address)
    if not with_contact:
        email = mask_email(email) if email else None
        address = mask_address(address) if address else None
    location = None
    if case.latitude is not None and case.longitude is not None:
        location = {"latitude": case.latitude, "longitude": case.longitude, "place": case.place}
    return {
        "number": case.number,
        "kind": case.kind,
        "category": case.category,
        "status": case.status,
        "openid": case.openid,
        "applicant_kind": case.applicant_kind,
        "organisation_kind": case.organisation_kind,
        "name": name,
        "id_type": id_type,
        "id_number": revealed(case.id_number_sealed, case.id_number_masked),
        "phone": revealed(case.phone_sealed, case.phone_masked),
        "email": email,
        "address": address,
        "anonymous": case.anonymous,
        "text": typed.get("text", case.text),
        "form_wanted": case.form_wanted,
        "attachments": [
            {
                "type": a.kind,
                "media_id": a.media_id,
                "pic_url": a.pic_url,
                "stored_file": a.stored_file,
                "fetch_state": a.fetch_state,
            }
            for a in case.attachments
        ],
        "location": location,
        "created_at": in_beijing(case.created_at).isoformat(timespec="seconds"),
        "received_on": case.received_on.isoformat(),
        "due_on": case.due_on.isoformat(),
        "due_provisional": case.due_provisional,
        "accept_due_on": case.accept_due_on.isoformat() if case.accept_due_on else None,
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "accept_due_provisional": case.accept_due_provisional,
        "replies": [
            {
                "created_at": in_beijing(r.created_at).isoformat(timespec="seconds"),
                "author": r.author,
                "body": r.body,
            }
            for r in case.replies
        ],
    }


def write_json(rows: list[dict[str, Any]], out: IO[str]) -> None:
    json.dump(rows, out, ensure_ascii=False, indent=2)
    out.write("\n")


def flat(row: dict[str, Any]) -> list[str]:
    """A record as spreadsheet cells: nested parts as lines of text."""
    cells = {**row}
    cells["attachments"] = "\n".join(
        " ".join(
            part
            for part in (
                a["type"],
                a["media_id"],
                a["pic_url"] or "",
                a["stored_file"] or a["fetch_state"],
            )
            if part
        )
        for a in row["attachments"]
    )
    place = row["location"]
    cells["location"] = (
        f"{place['latitude']},{place['longitude']} {place['place'] or ''}".strip() if place else ""
    )
    cells["replies"] = "\n".join(
        f"{r['created_at']} {r['author'] or ''}: {r['body']}" for r in row["replies"]
    )
    return [_cell(cells[column]) for column in COLUMNS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _inert(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix a quote)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_inert(cell) for cell in flat(row)])


def write_xlsx(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "cases"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(flat(row))
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, even when it starts with "=": never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    book.save(out)
