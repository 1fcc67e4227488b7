"""The channel seam, kept apart from ``__init__`` so channels can import it without a cycle."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from monitor.errors import TemporaryDeliveryError


class Channel(Protocol):
    """Something that can deliver one message."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise Temporary/PermanentDeliveryError."""
        ...


class ChannelUnavailableError(TemporaryDeliveryError):
    """The channel itself is down (server unreachable, TLS handshake failed).

    Nothing else can be sent through it right now, so a sender should stop this round instead of
    spending one attempt of every queued delivery on the same outage.
    """
