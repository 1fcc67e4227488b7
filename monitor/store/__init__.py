"""The store: snapshots, findings, page state, events and the outbox (SQLAlchemy 2 + Alembic).

``Store.open("sqlite:///path/monitor.db")`` creates and migrates the database; see
:class:`monitor.store.sqlite.Store` for the API and :mod:`monitor.store.schema` for the tables.
"""

from __future__ import annotations

from monitor.store.evidence import PruneReport
from monitor.store.records import (
    CategoryState,
    Delivery,
    OutletCoverage,
    OutletSpec,
    PageInfo,
    PagePresence,
    PageSummary,
)
from monitor.store.sqlite import Store

__all__ = [
    "CategoryState",
    "Delivery",
    "OutletCoverage",
    "OutletSpec",
    "PageInfo",
    "PagePresence",
    "PageSummary",
    "PruneReport",
    "Store",
]
