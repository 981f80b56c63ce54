"""Resident-facing capabilities, one module each.

A module creates a ``bot.engine.router.Capability`` and declares on it the words, menu
keys, events, message types and dialogues it answers. To add one, write the module
and add it to the line below: ``create_app`` builds the router from ``CAPABILITIES``.
"""

from __future__ import annotations

from bot.engine.router import Capability
from handlers import (
    apply,
    complaint,
    contact,
    correction,
    courtesy,
    latest,
    progress,
    rating,
    report,
    search,
    stats,
)
from handlers import help as help_

MODULES = (
    apply,
    complaint,
    contact,
    correction,
    courtesy,
    help_,
    latest,
    progress,
    rating,
    report,
    search,
    stats,
)
CAPABILITIES: tuple[Capability, ...] = tuple(module.capability for module in MODULES)
