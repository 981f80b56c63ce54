"""A body's office details (单位信息) that residents and formal replies show, and their change.

The contact block (address, phone, e-mail, hours) is what ``联系`` answers; the
authority (行政机关) signs the formal replies (答复书); the reconsideration body is
named in every remedy notice (``bot.cases.outcomes.remedy_notice``), so an
application cannot be closed while it is empty. ``sunshine seed`` fills them from
the annual report; staff change them at ``/admin/office`` through ``save``, which
writes the fields that changed to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from bot.models import Body
from bot.models.staff import Staff
from bot.staff import audit

#: The fields staff edit, in the order of the page, with their labels.
FIELDS = {
    "authority": "行政机关",
    "reconsideration_body": "行政复议机关",
    "name": "信息公开工作机构",
    "address": "地址",
    "postcode": "邮编",
    "phone": "电话",
    "email": "电子邮箱",
    "hours": "办公时间",
}
REQUIRED = ("authority", "reconsideration_body", "name")


def save(
    session: Session, actor: Staff | str, office: Body, values: Mapping[str, str | None]
) -> list[str]:
    """Store a body's details (blank text as none) and write ``office.edit`` naming the fields
    that changed; return their labels (the caller commits)."""
    changed = []
    for key in FIELDS:
        value = (values.get(key) or "").strip() or None
        if getattr(office, key) != value:
            setattr(office, key, value)
            changed.append(FIELDS[key])
    if changed:
        session.flush()
        audit.record(
            actor, "office.edit", "office", office.id, body_id=office.id, changed="、".join(changed)
        )
    return changed
