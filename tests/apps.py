"""The app as gunicorn serves it in the multi-process tests, with the tests' extra handlers."""

from flask import Flask

from bot import create_app
from bot.router import Router, discover_capabilities
from tests.extra_handlers import capability


def create_test_app() -> Flask:
    app = create_app()
    app.extensions["sunshine.router"] = Router([*discover_capabilities(), capability])
    return app
