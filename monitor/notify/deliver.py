"""Drain the delivery outbox: render each due delivery, send it, record what happened.

The guarantee is **at least once, with a stable Message-ID**. A delivery's Message-ID is fixed
when the store queues it, and every attempt reuses it; if the process dies between a successful
send and ``mark_sent``, the next drain sends the same message again with the same Message-ID,
which mail clients (and :class:`~monitor.notify.outbox.OutboxChannel`) de-duplicate.

Failures: a temporary one (a 4xx reply) is retried with exponential backoff until
``max_attempts``; a permanent one (5xx) is marked failed at once and never retried. When the
channel itself is down (connection refused, timeout, TLS failure), the delivery that found out is
rescheduled *without* a give-up limit, since an outage says nothing about the message, and the rest
of the round is left untouched for the next drain instead of spending an attempt of every queued
delivery on one outage. Backoff is capped at ``MAX_DELAY``, so mail flows within the hour after
the server comes back.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from monitor.errors import PermanentDeliveryError, TemporaryDeliveryError
from monitor.models import Event
from monitor.notify.base import Channel, ChannelUnavailableError

if TYPE_CHECKING:
    from monitor.notify.render import Renderer

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("alert", "daily", "weekly")
MAX_DELAY = timedelta(hours=1)  # backoff stops growing here: a long outage is still probed hourly
JITTER = 0.1  # up to +10%, so deliveries queued together do not retry in lockstep


class Delivery(Protocol):
    """One queued message as the store hands it over (``monitor.store`` defines the real one)."""

    @property
    def id(self) -> int: ...
    @property
    def recipient(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def message_id(self) -> str: ...


class DeliveryStore(Protocol):
    """The part of the store the sender needs. ``mark_retry`` is expected to count the attempt."""

    def due_deliveries(self, now: datetime) -> Sequence[Delivery]: ...
    def mark_sent(self, delivery_id: int, now: datetime) -> None: ...
    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime, *, count: bool = True) -> None: ...
    def mark_failed(self, delivery_id: int, error: str) -> None: ...


@dataclass
class DrainReport:
    """What one drain did. ``deferred``: left queued untouched because the channel was down."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Policy:
    max_attempts: int
    base_delay: float
    rng: random.Random | None


def backoff(attempt: int, base_delay: float, rng: random.Random | None = None) -> timedelta:
    """Delay after failed attempt number ``attempt`` (1-based): base * 2**(attempt-1), capped, + jitter."""
    exponent = min(max(attempt - 1, 0), 60)  # bounded: attempt counts grow without limit in outages
    delay = timedelta(seconds=min(base_delay * 2.0**exponent, MAX_DELAY.total_seconds()))
    spread = (rng or random).random() * JITTER
    return delay * (1 + spread)


def render_delivery(delivery: Delivery, renderer: Renderer, sender: str) -> EmailMessage:
    """The message for ``delivery``: an alert, or a digest named after its kind."""
    if delivery.kind not in KINDS:
        raise PermanentDeliveryError(f"unknown delivery kind {delivery.kind!r}")
    if not delivery.events:
        raise PermanentDeliveryError("nothing to send: the delivery has no events")
    common = {"recipient": delivery.recipient, "sender": sender, "message_id": delivery.message_id}
    if delivery.kind == "alert":
        return renderer.alert(delivery.events, **common)
    return renderer.digest(delivery.events, period=delivery.kind, **common)


async def _attempt(delivery: Delivery, channel: Channel, renderer: Renderer, sender: str) -> None:
    from jinja2 import TemplateError  # imported with the renderer: not by a process that never renders

    try:
        message = render_delivery(delivery, renderer, sender)
    except TemplateError as exc:
        # A broken (user) template may be fixed: count it as a temporary failure, not a lost message.
        raise TemporaryDeliveryError(f"rendering failed: {type(exc).__name__}: {exc}") from exc
    await channel.send(message)


async def drain(
    store: DeliveryStore,
    channel: Channel,
    renderer: Renderer,
    *,
    sender: str,
    now: Callable[[], datetime],
    max_attempts: int = 8,
    base_delay: float = 60.0,
    rng: random.Random | None = None,
) -> DrainReport:
    """Send every delivery that is due now; see the module docstring for the retry policy."""
    report, policy = DrainReport(), _Policy(max_attempts, base_delay, rng)
    due = list(store.due_deliveries(now()))
    for index, delivery in enumerate(due):
        try:
            await _attempt(delivery, channel, renderer, sender)
        except PermanentDeliveryError as exc:
            _give_up(store, delivery, str(exc), report)
        except TemporaryDeliveryError as exc:
            _retry(store, delivery, exc, report, now(), policy)
            if isinstance(exc, ChannelUnavailableError):
                report.deferred = len(due) - index - 1
                logger.warning("deliver: channel down, %d deliveries left for the next round", report.deferred)
                break
        except Exception as exc:  # a bug must not wedge the queue: count it as one failed attempt
            logger.exception("deliver: delivery %s raised unexpectedly", delivery.id)
            error = TemporaryDeliveryError(f"unexpected {type(exc).__name__}: {exc}")
            _retry(store, delivery, error, report, now(), policy)
        else:
            store.mark_sent(delivery.id, now())
            report.sent += 1
    return report


def _give_up(store: DeliveryStore, delivery: Delivery, error: str, report: DrainReport) -> None:
    store.mark_failed(delivery.id, error)
    report.failed += 1
    report.errors.append(f"delivery {delivery.id}: {error}")
    logger.error("deliver: delivery %s to %s failed for good: %s", delivery.id, delivery.recipient, error)


def _retry(
    store: DeliveryStore,
    delivery: Delivery,
    exc: TemporaryDeliveryError,
    report: DrainReport,
    now: datetime,
    policy: _Policy,
) -> None:
    attempt = delivery.attempts + 1
    if attempt >= policy.max_attempts and not isinstance(exc, ChannelUnavailableError):
        _give_up(store, delivery, f"gave up after {attempt} attempts: {exc}", report)
        return
    next_at = now + backoff(attempt, policy.base_delay, policy.rng)
    # An outage is no fault of this message: it must not use up the attempts a real 4xx may need later.
    store.mark_retry(delivery.id, str(exc), next_at, count=not isinstance(exc, ChannelUnavailableError))
    report.retried += 1
    report.errors.append(f"delivery {delivery.id}: {exc}")
    logger.warning("deliver: delivery %s attempt %d failed, retry at %s: %s", delivery.id, attempt, next_at, exc)
