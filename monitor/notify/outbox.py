"""Deliver mail into a folder of ``.eml`` files: the default channel without SMTP, and what tests read.

Each message lands as ``<UTC timestamp>-<safe Message-ID>.eml``, written to a temporary file and
renamed into place, so a reader never sees half a message. Sending the same Message-ID again is a
no-op: the sender delivers at least once, and this channel turns that into exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from monitor.errors import TemporaryDeliveryError

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]+")


def safe_name(message_id: str) -> str:
    """A file-name-safe, collision-resistant form of a Message-ID (no separators, bounded length)."""
    core = _UNSAFE.sub("_", message_id.strip().strip("<>")).strip("._") or "message"
    digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:10]
    return f"{core[:80]}-{digest}"


class OutboxChannel:
    """A :class:`~monitor.notify.Channel` that writes each message to ``directory`` as an .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.last_path: Path | None = None
        # Serialises check-then-write, so two concurrent sends of one Message-ID make one file.
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"OutboxChannel({str(self.directory)!r})"

    async def send(self, message: EmailMessage) -> None:
        """Write ``message`` unless a file for its Message-ID is already there."""
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain="press-monitor.invalid")
        try:
            async with self._lock:
                self.last_path = await asyncio.to_thread(self._write, message)
        except OSError as exc:  # a full disk or a read-only folder may be fixed; retry later
            raise TemporaryDeliveryError(f"outbox {self.directory}: {exc}") from exc

    def path_for(self, message_id: str) -> Path | None:
        """The file already holding ``message_id``, if any."""
        matches = sorted(self.directory.glob(f"*-{safe_name(message_id)}.eml"))
        return matches[0] if matches else None

    def _write(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"])
        self.directory.mkdir(parents=True, exist_ok=True)
        existing = self.path_for(message_id)
        if existing is not None:
            logger.info("outbox: %s already delivered as %s", message_id, existing.name)
            return existing
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{safe_name(message_id)}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        logger.info("outbox: wrote %s to %s", message_id, final)
        return final
