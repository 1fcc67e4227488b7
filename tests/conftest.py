"""Shared fixtures. The ``mockserver`` fixture lives here; other fixtures come from their own modules.

Nothing here imports ``twisted.internet.reactor``: installing a reactor in the pytest process would bind
it to one asyncio loop and fight pytest-asyncio's per-test loops. Crawls run in subprocesses instead
(see tests/test_crawl.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mockserver import MockServer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def mockserver() -> Iterator[MockServer]:
    """One real HTTP server for the whole session; routes are listed in tests/mockserver.py."""
    static = {
        "/seeds/": REPO / "seeds",
        "/corpus/": SHARED / "corpus",
        "/realworld/": SHARED / "realworld",
    }
    with MockServer(static) as server:
        yield server
