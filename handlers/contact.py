"""联系: how to reach the disclosure office, from the office's record (seeded from the report)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.models import Office

capability = Capability("联系我们", order=800)


@capability.command(
    "联系", "联系方式", "电话", "地址", help="联系 — 办公地址、电话和邮箱", stateless=True
)
@capability.menu("CONTACT")
def contact(ctx: Context) -> str:
    office = get_session().scalars(select(Office).limit(1)).first()
    if office is None:
        return "联系方式还没有登记，请稍后再试。发送“帮助”可查看其他功能。"
    lines = [office.name]
    for label, value in (
        ("地址", office.address),
        ("邮编", office.postcode),
        ("电话", office.phone),
        ("邮箱", office.email),
        ("办公时间", office.hours),
    ):
        if value:
            lines.append(f"{label}：{value}")
    lines.append("发送“帮助”可查看其他功能。")
    return "\n".join(lines)
