"""Resident-facing capabilities, one module each.

A module creates a ``bot.router.Capability`` and declares on it the words, menu
keys, events, message types and dialogues it answers. ``Router.discover`` finds
every module here at start-up; nothing else needs editing to add one.
"""
