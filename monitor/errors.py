"""The one exception tree of press-monitor.

    MonitorError                 base of everything we raise on purpose
    ├── ConfigError              config.yaml (or a rule pack) is invalid; carries file:line:column
    ├── RulePackError            a rule pack file is malformed or its own examples fail
    ├── StoreError               the database cannot be opened, migrated or written
    ├── FetchError               a page could not be fetched (recorded as an outcome, never fatal)
    └── DeliveryError            a message could not be delivered
        ├── TemporaryDeliveryError   retry later (connection refused, 4xx)
        └── PermanentDeliveryError   give up and mark failed (5xx)

A bad page never raises out of a check: it becomes a failed fetch outcome and, after enough
of them, an ``unreachable`` event.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class for errors press-monitor raises on purpose."""


class ConfigError(MonitorError):
    """Invalid configuration. ``problems`` holds one line per problem: ``file:line:col: key: message``."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class RulePackError(ConfigError):
    """A rule pack is malformed, or one of its own examples does not behave as declared."""


class StoreError(MonitorError):
    """The database cannot be opened, migrated or written."""


class FetchError(MonitorError):
    """A page could not be fetched."""


class DeliveryError(MonitorError):
    """A message could not be delivered."""


class TemporaryDeliveryError(DeliveryError):
    """Delivery failed for a reason that may pass: retry later."""


class PermanentDeliveryError(DeliveryError):
    """Delivery failed for good (the server said 5xx): do not retry."""
