"""Subcommands. Each module exposes ``register(subparsers, config_parent)``; this list is the registry."""

from __future__ import annotations

from monitor.commands import control, inspect, pages, records, registry, rules, watch

REGISTRY = [
    pages.register,
    rules.register,
    watch.register,
    inspect.register,
    records.register,
    control.register,
    registry.register,
]
