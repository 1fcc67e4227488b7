"""The store: snapshots, findings, page state, events and the outbox (SQLAlchemy 2 + Alembic).

``Store.open("sqlite:///path/monitor.db")`` creates and migrates the database; see
:class:`monitor.store.sqlite.Store` for the API and :mod:`monitor.store.schema` for the tables.
"""

from __future__ import annotations

from monitor.store.records import Delivery, OutletSpec, PageSummary
from monitor.store.sqlite import Store

__all__ = ["Delivery", "OutletSpec", "PageSummary", "Store"]
