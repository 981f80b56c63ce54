"""The staff console at ``/admin``: accounts, login, the pages, and the page shell.

Roles (what each may do) and the audit log are the staff kernel's (``bot.staff``).

- ``accounts``: usernames, argon2 passwords, lock-out, roles, the demo accounts;
- ``console``: the ``admin`` blueprint, its navigation, headers and error pages;
- ``auth``: login/logout, session expiry, CSRF, ``login_required`` and
  ``permission_required``;
- ``views``: the home page and the audit-log page;
- ``items``, ``reports``, ``publishing``: the catalogue's items and the annual reports, written,
  imported, reviewed (预先审查, 保密审查) and published (rules in ``bot.content.review``);
- ``cases``, ``dashboard``, ``annual``: applications and complaints (inbox, a case, handling,
  call-backs), supervision (dashboard, printable digest), the annual report's tables;
- ``formal``: a closed application's formal reply (答复书), previewed, printed, as PDF;
- ``county``: the county supervisor's league table, 督办 and summary of the annual tables;
- ``office``: the office's details (contact, authority, reconsideration body);
- ``members``: the staff accounts (list, add, role, disable, enable, password reset);
- ``cli``: ``sunshine staff add|list|passwd|role|disable|enable``.

The page modules are imported inside ``init_app``, not at the top, so that a command
importing one module (``bot.launch`` imports ``accounts``) does not load every page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Page modules register their views on bp when imported: views (home, audit log),
    # items and reports (publishing), cases, dashboard and annual (applications, complaints).
    from bot.admin import (  # noqa: F401
        annual,
        auth,
        cases,
        cli,
        county,
        dashboard,
        formal,
        items,
        members,
        office,
        reports,
        views,
    )
    from bot.admin.console import ConsoleSessionInterface, bp, csrf

    config = app.config
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config["COOKIE_SECURE"])
    app.session_interface = ConsoleSessionInterface()
    # CSRF is checked for the console's blueprint only (in auth._guard): /wechat and the
    # public pages take POSTs that carry no token.
    config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # A form stays usable as long as the login that displayed it.
    config.setdefault("WTF_CSRF_TIME_LIMIT", int(config["ADMIN_SESSION_LIFETIME"]))
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.staff_group)
    auth.check_settings(app)
