"""Console pages for applications and complaints: the lists, a case's page, and handling it.

- ``inbox``: ``/admin/cases`` (overdue first, then due soonest; filters, search,
  closed cases by filter; paged in the database by ``bot.cases.inbox``) and
  ``/admin/callbacks`` (cases rated 不满意/很不满意, waiting for a call-back);
- ``page``: ``/admin/cases/<number>``, its photos and 显示 (who sees whom is
  ``bot.cases.access``'s to say);
- ``actions``: the page's forms as one table, each a call of ``bot.cases.handling``
  (which fires the case's state machine and writes the audit log); replies are
  delivered after the commit (``bot.cases.replies``);
- ``labels``: what the pages call kinds, steps, outcomes and approvers.
"""

from __future__ import annotations

# Importing the pages registers their views on the console's blueprint.
from bot.admin.cases import actions, inbox, page  # noqa: F401
