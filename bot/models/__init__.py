"""Database tables, one module per area; the schema itself changes only through Alembic.

Every model module is imported here so that ``Base.metadata`` (used by Alembic's
autogenerate and by the tests) knows every table.
"""

from bot.models import (
    cases,  # noqa: F401  (applications, complaints: import from bot.models.cases)
    content,  # noqa: F401  (items, reports: import from bot.models.content)
    county,  # noqa: F401  (督办: import from bot.models.county)
    staff,  # noqa: F401  (console accounts, audit log: import from bot.models.staff)
    wechat,  # noqa: F401  (official accounts besides the configured one: bot.models.wechat)
)
from bot.models.core import Base, Body, DialogueMark

__all__ = ["Base", "Body", "DialogueMark"]
