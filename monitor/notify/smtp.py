"""Deliver mail through an SMTP server with aiosmtplib.

Failures are sorted for the sender: anything that may pass (connection refused, timeouts, a 4xx
reply, a TLS problem) becomes :class:`TemporaryDeliveryError`; a 5xx reply becomes
:class:`PermanentDeliveryError`. The password comes from the environment variable the config
names, is read once, and is scrubbed from every error message we raise.
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, NoReturn

import aiosmtplib

from monitor.errors import ConfigError, DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from monitor.notify.base import ChannelUnavailableError

logger = logging.getLogger(__name__)

Security = Literal["starttls", "tls", "none"]
_SECURITY: tuple[str, ...] = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. No secrets here: ``password_env`` names a variable."""

    host: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    validate_certs: bool = True
    ca_file: str | None = None  # a private CA, e.g. the self-signed one tests make

    def __post_init__(self) -> None:
        if self.security not in _SECURITY:
            raise ConfigError(f"smtp.security: {self.security!r} is not one of {', '.join(_SECURITY)}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"smtp.port: {self.port} is not a TCP port")
        if self.timeout <= 0:
            raise ConfigError(f"smtp.timeout: {self.timeout} must be positive")
        if self.username and not self.password_env:
            raise ConfigError("smtp.password_env: required when smtp.username is set")


class SmtpChannel:
    """A :class:`~monitor.notify.Channel` that hands each message to one SMTP server."""

    def __init__(self, settings: SmtpSettings, environ: Mapping[str, str] = os.environ) -> None:
        self.settings = settings
        self._password: str | None = None
        if settings.password_env:
            # Read now so a missing secret stops the daemon at start, not at the first alert.
            value = environ.get(settings.password_env)
            if not value:
                raise ConfigError(
                    f"smtp.password_env: environment variable {settings.password_env} is not set or empty"
                )
            self._password = value

    def __repr__(self) -> str:
        s = self.settings
        return f"SmtpChannel({s.host}:{s.port}, security={s.security}, user={s.username!r})"

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its ``To`` recipients, mapping failures to the delivery error tree."""
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username if self._password else None,
                password=self._password,
                use_tls=s.security == "tls",
                # True demands STARTTLS (never fall back to plain text); False never tries it.
                start_tls=s.security == "starttls",
                validate_certs=s.validate_certs,
                cert_bundle=s.ca_file,
                timeout=s.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self._fail(exc)
        logger.info("smtp: sent %s to %s via %s:%s", message["Message-ID"], message["To"], s.host, s.port)

    def _fail(self, exc: BaseException) -> NoReturn:
        error = classify(exc, where=f"{self.settings.host}:{self.settings.port}")
        error = type(error)(self._redact(str(error)))
        logger.warning("smtp: %s", error)
        # ``from None``: the original may quote a server reply that echoes credentials.
        raise error from None

    def _redact(self, text: str) -> str:
        if not self._password:
            return text
        user = self.settings.username or ""
        secrets = {
            self._password,
            base64.b64encode(self._password.encode()).decode(),
            base64.b64encode(f"\0{user}\0{self._password}".encode()).decode(),
        }
        for secret in secrets:
            text = text.replace(secret, "***")
        return text


_SESSION_ERRORS = (
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPConnectResponseError,
)


def classify(exc: BaseException, *, where: str) -> DeliveryError:
    """Map an aiosmtplib/socket failure to Temporary (may pass) or Permanent (5xx) delivery errors."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        kind = PermanentDeliveryError if codes and all(c >= 500 for c in codes) else TemporaryDeliveryError
        return kind(f"SMTP {where}: recipients refused: {detail}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"SMTP {where}: server replied {exc.code} {exc.message}"
        if isinstance(exc, aiosmtplib.SMTPConnectResponseError) and exc.code < 500:
            return ChannelUnavailableError(text)
        if isinstance(exc, _SESSION_ERRORS):
            # Login refused, sender refused, TLS demanded: the setup is wrong, not this message. Every
            # message would fail the same way, so none may be marked failed for it: wait for a fix.
            return ChannelUnavailableError(f"{text} (check mail.smtp settings and the password variable)")
        return PermanentDeliveryError(text) if exc.code >= 500 else TemporaryDeliveryError(text)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # E.g. STARTTLS required but not offered: maybe a downgrade in transit; never send in clear.
        return ChannelUnavailableError(f"SMTP {where}: {exc}")
    if isinstance(exc, ssl.SSLError | OSError | TimeoutError | aiosmtplib.SMTPConnectError):
        return ChannelUnavailableError(f"SMTP {where}: cannot connect: {exc or type(exc).__name__}")
    return TemporaryDeliveryError(f"SMTP {where}: {type(exc).__name__}: {exc}")
