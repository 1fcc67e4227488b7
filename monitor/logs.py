"""One logging setup point. Structured ``key=value`` lines; secrets are redacted before they are written."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any

_SECRET_ENV_HINTS = ("PASSWORD", "SECRET", "TOKEN")


class RedactSecrets(logging.Filter):
    """Replaces the value of every secret-looking environment variable with ``***`` in log records."""

    def __init__(self) -> None:
        super().__init__()
        secrets = [v for k, v in os.environ.items() if any(h in k.upper() for h in _SECRET_ENV_HINTS) and len(v) >= 4]
        self._pattern = re.compile("|".join(re.escape(s) for s in secrets)) if secrets else None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is not None:
            message = record.getMessage()
            if self._pattern.search(message):
                record.msg = self._pattern.sub("***", message)
                record.args = None
        return True


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger once: level from the argument, $PRESS_MONITOR_LOG_LEVEL, or INFO."""
    name = (level or os.environ.get("PRESS_MONITOR_LOG_LEVEL") or "INFO").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, name, logging.INFO))
    # Scrapy and Twisted are chatty at INFO; their warnings still come through.
    for noisy in ("scrapy", "twisted", "filelock", "apscheduler.executors", "aiosmtplib", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Every failed fetch is reported once by our own "event=unreachable" line with its cause; Scrapy's
    # "Gave up retrying" ERROR says the same thing louder.
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)


def kv(event: str, **fields: Any) -> str:
    """A logfmt line: ``event=check outlet="The Moscow Times" failed=0`` (values with spaces quoted)."""
    parts = [f"event={event}"]
    for key, value in fields.items():
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        if not text or any(ch in text for ch in ' ="\n'):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    return " ".join(parts)
