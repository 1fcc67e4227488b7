"""Daily and weekly digests: each subscriber's new events since its last digest, queued in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from monitor.app import App
from monitor.config import Subscriber
from monitor.models import Event
from monitor.notify.routing import recipients


def subscribers_for(app: App, period: str) -> list[Subscriber]:
    return [s for s in app.config.subscribers if period in s.modes]


# A digest reaches back at most two periods: a new subscriber does not get the whole history, and a
# daemon that was down for a day still digests what happened meanwhile.
LOOKBACK = {"daily": timedelta(days=2), "weekly": timedelta(days=14)}


def pending_for(app: App, subscriber: Subscriber, period: str, now: datetime) -> list[Event]:
    """Events not yet digested for this subscriber and period that its filters select."""
    selected = []
    since = now - LOOKBACK.get(period, timedelta(days=14))
    for event in app.store.undigested_events(subscriber.email, period, since=since):
        outlet = next((o for o in app.config.outlets if o.name == event.outlet), None)
        wanted = recipients(
            event,
            [subscriber],
            period,
            outlet_tags=tuple(outlet.tags) if outlet else (),
            jurisdiction=outlet.jurisdiction if outlet else None,
        )
        if wanted:
            selected.append(event)
    return selected


def queue_digests(app: App, period: str, *, now: datetime) -> int:
    """Queue one digest per subscriber with something new; a digest with nothing new is not sent."""
    queued = 0
    for subscriber in subscribers_for(app, period):
        events = pending_for(app, subscriber, period, now)
        if events and app.store.create_digest(subscriber.email, period, events, now) is not None:
            queued += 1
    return queued


def preview(app: App, period: str, *, now: datetime) -> list[tuple[str, EmailMessage]]:
    """Render what the next digest would hold for each subscriber, without sending or recording anything."""
    previews = []
    for subscriber in subscribers_for(app, period):
        events = pending_for(app, subscriber, period, now)
        if events:
            message = app.renderer.digest(
                events,
                period=period,
                recipient=subscriber.email,
                sender=app.config.mail.sender,
                message_id="<preview@press-monitor>",
            )
            previews.append((subscriber.email, message))
    return previews
