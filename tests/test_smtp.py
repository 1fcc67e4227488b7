"""SmtpChannel against a real aiosmtpd server: plain, STARTTLS + AUTH, implicit TLS, and failures."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from smtp_server import SmtpTestServer

from monitor.errors import ConfigError, PermanentDeliveryError, TemporaryDeliveryError
from monitor.models import Change, Event
from monitor.notify import CHANNELS, ChannelUnavailableError, SmtpChannel, SmtpSettings
from monitor.notify.render import Renderer

PASSWORD = "correct-horse-Пароль-42"
ENV = {"PM_SMTP_PASSWORD": PASSWORD}
HOSTILE = "<script>alert(1)</script> ДАННОЕ СООБЩЕНИЕ СОЗДАНО ИНОСТРАННЫМ АГЕНТОМ"


def _message(message_id: str = "delivery-1") -> EmailMessage:
    event = Event(
        id=7,
        outlet="Meduza",
        url="https://meduza.io/feature/1",
        category="foreign_agent_label",
        change=Change.ADDED,
        created_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        after=HOSTILE,
    )
    return Renderer().alert([event], recipient="editor@example.org", sender="pm@example.org", message_id=message_id)


def _secrets() -> list[str]:
    return [
        PASSWORD,
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(f"\0monitor\0{PASSWORD}".encode()).decode(),
    ]


@pytest.mark.asyncio
async def test_plain_delivery_arrives_as_multipart_with_both_parts() -> None:
    async with SmtpTestServer() as server:
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port, security="none"))
        await channel.send(_message())
        received = await server.next_message()
    assert received["Subject"] == "Meduza: foreign-agent label added"
    assert received["Message-ID"] == "<delivery-1@press-monitor>"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Meduza" in text
    assert "ИНОСТРАННЫМ АГЕНТОМ" in text
    assert "<script>alert(1)</script>" in text
    assert "ИНОСТРАННЫМ АГЕНТОМ" in html
    assert "https://meduza.io/feature/1" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert server.handler.envelopes[0].rcpt_tos == ["editor@example.org"]


@pytest.mark.asyncio
async def test_starttls_with_auth_and_the_password_never_leaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with SmtpTestServer(starttls=True, auth=("monitor", PASSWORD), workdir=tmp_path) as server:
        settings = SmtpSettings(
            host=server.host,
            port=server.port,
            security="starttls",
            username="monitor",
            password_env="PM_SMTP_PASSWORD",
            ca_file=server.ca_file,
        )
        channel = SmtpChannel(settings, environ=ENV)
        await channel.send(_message())
        await server.next_message()
        assert PASSWORD not in repr(channel)
        # Wrong password: a 535 holds the whole queue (no message is to blame) and names no secret.
        wrong = SmtpChannel(settings, environ={"PM_SMTP_PASSWORD": PASSWORD + "x"})
        with pytest.raises(ChannelUnavailableError) as info:
            await wrong.send(_message("delivery-2"))
    assert "535" in str(info.value)
    assert len(server.messages) == 1
    # aiosmtpd's own "mail.log" records the AUTH line the client sent: that is the fake server
    # talking, not us; every other logger (ours, aiosmtplib, asyncio) must stay clean.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name.startswith("monitor.notify") for r in ours)
    for secret in [*_secrets(), PASSWORD + "x"]:
        assert secret not in str(info.value)
        assert all(secret not in r.getMessage() for r in ours)


@pytest.mark.asyncio
async def test_starttls_refuses_an_untrusted_certificate(tmp_path: Path) -> None:
    async with SmtpTestServer(starttls=True, workdir=tmp_path) as server:
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port))  # system CAs only
        with pytest.raises(ChannelUnavailableError):
            await channel.send(_message())
    assert server.messages == []


@pytest.mark.asyncio
async def test_implicit_tls(tmp_path: Path) -> None:
    async with SmtpTestServer(implicit_tls=True, workdir=tmp_path) as server:
        settings = SmtpSettings(host=server.host, port=server.port, security="tls", ca_file=server.ca_file)
        await CHANNELS["smtp"](settings).send(_message())
        received = await server.next_message()
    assert received["To"] == "editor@example.org"


@pytest.mark.asyncio
async def test_server_down_is_temporary_and_says_where() -> None:
    server = await SmtpTestServer().start()
    port = server.port
    await server.stop()
    channel = SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5))
    with pytest.raises(ChannelUnavailableError, match=f"127.0.0.1:{port}"):
        await channel.send(_message())


@pytest.mark.asyncio
async def test_4xx_is_temporary_then_accepted() -> None:
    async with SmtpTestServer() as server:
        server.fail_next("451 4.3.0 Mailbox busy, try later")
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port, security="none"))
        with pytest.raises(TemporaryDeliveryError, match="451") as info:
            await channel.send(_message())
        assert not isinstance(info.value, ChannelUnavailableError)
        await channel.send(_message())
        received = await server.next_message()
    assert received["Message-ID"] == "<delivery-1@press-monitor>"


@pytest.mark.asyncio
async def test_5xx_is_permanent() -> None:
    async with SmtpTestServer() as server:
        server.fail_next("550 5.1.1 No such user")
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port, security="none"))
        with pytest.raises(PermanentDeliveryError, match="550"):
            await channel.send(_message())
    assert server.messages == []


@pytest.mark.asyncio
async def test_starttls_required_but_not_offered_never_sends_in_clear() -> None:
    async with SmtpTestServer() as server:  # a plain server: no STARTTLS in EHLO
        channel = SmtpChannel(SmtpSettings(host=server.host, port=server.port, security="starttls"))
        with pytest.raises(TemporaryDeliveryError):
            await channel.send(_message())
    assert server.messages == []


def test_missing_password_variable_is_named_without_values() -> None:
    settings = SmtpSettings(host="mail.example.org", username="monitor", password_env="PM_SMTP_PASSWORD")
    with pytest.raises(ConfigError, match="PM_SMTP_PASSWORD"):
        SmtpChannel(settings, environ={"OTHER": PASSWORD})


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"security": "ssl"}, "smtp.security"),
        ({"port": 0}, "smtp.port"),
        ({"timeout": 0}, "smtp.timeout"),
        ({"username": "u"}, "smtp.password_env"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        SmtpSettings(host="mail.example.org", **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_server_that_never_answers_times_out_as_temporary() -> None:
    accepted = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await reader.read()  # says nothing until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        channel = SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=0.3))
        with pytest.raises(ChannelUnavailableError, match=r"127\.0\.0\.1"):
            await channel.send(_message())
    assert accepted.is_set()


@pytest.mark.parametrize("echo", _secrets())
def test_a_server_reply_that_echoes_credentials_is_redacted(echo: str) -> None:
    settings = SmtpSettings(host="mail.example.org", username="monitor", password_env="PM_SMTP_PASSWORD")
    channel = SmtpChannel(settings, environ=ENV)
    with pytest.raises(ChannelUnavailableError) as info:
        channel._fail(aiosmtplib.SMTPAuthenticationError(535, f"5.7.8 rejected AUTH PLAIN {echo}"))
    assert echo not in str(info.value)
    assert "***" in str(info.value)
    assert info.value.__cause__ is None
