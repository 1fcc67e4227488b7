"""A real SMTP server for tests: aiosmtpd on the test's own event loop, on 127.0.0.1, port 0.

Modelled on aiosmtplib's own test suite: a recording handler, optional AUTH, STARTTLS or
implicit TLS with a throwaway CA made by trustme, and scripted replies (``451`` once, ``550``)::

    async with SmtpTestServer(starttls=True, auth=("monitor", "s3cret")) as server:
        ...  # send to server.host / server.port, trusting server.ca_file
        message = await server.next_message()
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections import deque
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


class RecordingHandler:
    """Keeps every accepted message; replies from ``script`` first when it has any."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.script: deque[str] = deque()
        self.rejected: list[str] = []
        self._arrived: asyncio.Queue[EmailMessage] = asyncio.Queue()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.script:
            reply = self.script.popleft()
            self.rejected.append(reply)
            return reply
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append(envelope)
        self._arrived.put_nowait(message)
        return "250 2.0.0 OK: queued"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (self.username, self.password)
        return AuthResult(success=ok, handled=False)


class SmtpTestServer:
    """aiosmtpd on the running loop. ``starttls`` offers and requires STARTTLS; ``implicit_tls``
    wraps the socket in TLS from the first byte; ``auth`` = (user, password) requires AUTH."""

    def __init__(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth: tuple[str, str] | None = None,
        port: int = 0,
        ca: trustme.CA | None = None,
        workdir: Path | None = None,
    ) -> None:
        self.handler = RecordingHandler()
        self.starttls, self.implicit_tls, self.auth = starttls, implicit_tls, auth
        self.host, self.port = HOST, port
        self.ca = ca or trustme.CA()
        self._workdir = workdir
        self._server: asyncio.Server | None = None
        self.ca_file: str | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def fail_next(self, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` DATA commands with ``reply`` (e.g. ``"451 4.3.0 try later"``)."""
        self.handler.script.extend([reply] * times)

    async def next_message(self) -> EmailMessage:
        """Wait for the next accepted message (awaited, never polled; bounded so a bug cannot hang CI)."""
        async with asyncio.timeout(10):
            return await self.handler._arrived.get()

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(HOST, "localhost").configure_cert(context)
        return context

    def _write_ca_file(self) -> str:
        if self._workdir is not None:
            path = self._workdir / "smtp-test-ca.pem"
            self.ca.cert_pem.write_to_path(str(path))
            return str(path)
        # Without a workdir, trustme gives a temporary file that lives as long as the CA object.
        self._ca_tmp = self.ca.cert_pem.tempfile()
        return self._ca_tmp.__enter__()

    def _protocol(self, tls: ssl.SSLContext | None) -> SMTP:
        kwargs: dict[str, Any] = {"hostname": "smtp.test", "timeout": 30}
        if self.starttls:
            kwargs.update(tls_context=tls, require_starttls=True)
        if self.auth:
            kwargs.update(
                authenticator=_Authenticator(*self.auth),
                auth_required=True,
                # Plain connections may AUTH only in the plain-text tests; with TLS we demand it.
                auth_require_tls=self.starttls,
            )
        return SMTP(self.handler, **kwargs)

    async def start(self) -> Self:
        tls = self._tls_context() if (self.starttls or self.implicit_tls) else None
        if tls is not None:
            self.ca_file = self._write_ca_file()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._protocol(tls),
            host=self.host,
            port=self.port,
            ssl=tls if self.implicit_tls else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
        if getattr(self, "_ca_tmp", None) is not None:
            self._ca_tmp.__exit__(None, None, None)
