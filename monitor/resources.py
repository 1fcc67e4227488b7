"""Where shipped data files live, in a source checkout and in an installed wheel alike."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def templates_dir() -> Traversable:
    """The shipped Jinja2 templates: ``templates/`` in a checkout, ``monitor/templates`` in a wheel."""
    try:
        return importlib.resources.files("monitor.templates")
    except ModuleNotFoundError:
        # Running from a source checkout that shadows the installed package: use the top-level folder.
        return _SOURCE_ROOT / "templates"


def rules_dir() -> Traversable:
    """The shipped rule packs (``monitor/rules/*.yaml``)."""
    return importlib.resources.files("monitor.rules")
