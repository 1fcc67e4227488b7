"""Notifications: render events into mail, route them to subscribers, deliver them through a channel.

The one seam here is :class:`Channel`: anything with ``async send(message)`` that raises
:class:`~monitor.errors.TemporaryDeliveryError` (try again later) or
:class:`~monitor.errors.PermanentDeliveryError` (give up). Built-in channels are listed in the
explicit :data:`CHANNELS` registry; there is no import-time magic.

    render.Renderer       events -> email.message.EmailMessage (text + inlined-CSS HTML)
    routing.recipients    which subscribers get an event, in which mode
    deliver.drain         sends due deliveries from the store with retries and backoff
    smtp.SmtpChannel      aiosmtplib (STARTTLS, implicit TLS or plain; AUTH; timeouts)
    outbox.OutboxChannel  .eml files in a folder (the default when no SMTP is configured)
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.notify.base import Channel, ChannelUnavailableError
from monitor.notify.outbox import OutboxChannel
from monitor.notify.smtp import SmtpChannel, SmtpSettings

CHANNELS: dict[str, Callable[..., Channel]] = {
    "smtp": SmtpChannel,
    "outbox": OutboxChannel,
}

__all__ = ["CHANNELS", "Channel", "ChannelUnavailableError", "OutboxChannel", "SmtpChannel", "SmtpSettings"]
