"""联系: how to reach the disclosure office, from the office's record (seeded from the report).

The answer always says when the office is open: the hours staff entered at
``/admin/office`` or, until they do, working days; and whether today is one, from the
statutory calendar (``你们周六上班不``, ``国庆放假你们上班吗``).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from bot import clock
from bot.cases.calendar import work_calendar
from bot.db import get_session
from bot.engine.router import Capability, Context
from bot.engine.sentences import Stage

capability = Capability("联系我们", order=800)

WEEKDAYS = "一二三四五六日"
#: How far ahead the next working day is looked for (the Spring Festival is the longest break).
LOOK_AHEAD = 30
UNSET_HOURS = "工作日办公（周末和法定节假日休息），具体时间请先打电话确认"

#: Asking how, where or when to reach the office (``镇政府电话是多少``, ``几点上班``).
REACHING = (
    "电话",
    "电化",
    "dianhua",
    "联系",
    "座机",
    "手机号",
    "人工",
    "地址",
    "办公地点",
    "在哪办公",
    "在哪上班",
    "上班",
    "办公吗",
    "办公不",
    "位置",
    "休息吗",
    "休息不",
    "午休",
    "下班",
    "开门",
    "关门",
    "有人值班",
    "值班没",
    "值班吗",
    "值班不",
    "找你们",
    "几楼",
    "老地方",
    "搬了",
)


@capability.command(
    "联系", "联系方式", "电话", "地址", help="联系 — 办公地址、电话和办公时间", stateless=True
)
@capability.menu("CONTACT")
@capability.sense(
    Stage.ANSWER,
    words=REACHING,
    patterns=(
        r"(?:镇政府|政府|办公室|你们)\s*(?:在哪|在什么地方|怎么走|咋走)",
        r"找(?:到|着)?你们",
    ),
    max_chars=60,
)
def contact(ctx: Context) -> str:
    session = get_session()
    office = ctx.body
    lines = [office.name]
    for label, value in (
        ("地址", office.address),
        ("邮编", office.postcode),
        ("电话", office.phone),
        ("邮箱", office.email),
        ("办公时间", office.hours or UNSET_HOURS),
    ):
        if value:
            lines.append(f"{label}：{value}")
    lines.append(today_open(session, clock.today()))
    lines.append("发送“帮助”可查看其他功能。")
    return "\n".join(lines)


def today_open(session: Session, today: date) -> str:
    """Whether the office works today and, if not, the next day it does."""
    calendar = work_calendar(session, today - timedelta(days=1), today + timedelta(LOOK_AHEAD))
    if calendar.is_working_day(today):
        return f"今天（{_day(today)}）是工作日。"
    following = (today + timedelta(days=n) for n in range(1, LOOK_AHEAD + 1))
    reopens = next((day for day in following if calendar.is_working_day(day)), None)
    rest = f"今天（{_day(today)}）休息"
    return f"{rest}，{_day(reopens)}起上班。" if reopens else f"{rest}。"


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日，星期{WEEKDAYS[day.weekday()]}"
