"""OutboxChannel: parseable .eml files, written atomically, once per Message-ID."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from monitor.models import Change, Event
from monitor.notify import CHANNELS, OutboxChannel
from monitor.notify.outbox import safe_name
from monitor.notify.render import Renderer


def _message(message_id: str) -> EmailMessage:
    event = Event(1, "Meduza", "https://meduza.io/", "paywall", Change.ADDED, datetime(2026, 11, 25, tzinfo=UTC))
    return Renderer().alert([event], recipient="ed@example.org", sender="pm@example.org", message_id=message_id)


def _suffixes(folder: Path) -> list[str]:
    return sorted(p.suffix for p in folder.iterdir())


@pytest.mark.asyncio
async def test_writes_a_parseable_eml(tmp_path: Path) -> None:
    channel = OutboxChannel(tmp_path / "outbox")
    await channel.send(_message("delivery-1"))
    assert channel.last_path is not None
    assert channel.last_path.parent == tmp_path / "outbox"
    assert channel.last_path.name.endswith(f"-{safe_name('<delivery-1@press-monitor>')}.eml")
    parsed = message_from_bytes(channel.last_path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Meduza: paywall added"
    assert parsed["Message-ID"] == "<delivery-1@press-monitor>"
    assert "Meduza" in parsed.get_body(("plain",)).get_content()
    assert "Meduza" in parsed.get_body(("html",)).get_content()
    assert [p.name for p in (tmp_path / "outbox").iterdir() if p.name.startswith(".tmp")] == []


@pytest.mark.asyncio
async def test_same_message_id_is_written_once(tmp_path: Path) -> None:
    channel = CHANNELS["outbox"](tmp_path)
    await asyncio.gather(*(channel.send(_message("delivery-1")) for _ in range(5)))
    first = channel.last_path
    await channel.send(_message("delivery-1"))
    await channel.send(_message("delivery-2"))
    assert _suffixes(tmp_path) == [".eml", ".eml"]
    assert OutboxChannel(tmp_path).path_for("<delivery-1@press-monitor>") == first


@pytest.mark.parametrize("raw", ["<../../etc/passwd@x>", "<a/b\\c:d*?@x>", "<" + "x" * 500 + "@y>", "<>"])
def test_safe_names_stay_inside_the_folder(raw: str) -> None:
    name = safe_name(raw)
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert len(name) <= 100
    assert safe_name(raw) == name
    assert safe_name(raw + "z") != name


@pytest.mark.asyncio
async def test_unwritable_folder_is_temporary(tmp_path: Path) -> None:
    from monitor.errors import TemporaryDeliveryError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TemporaryDeliveryError, match="outbox"):
        await OutboxChannel(blocker / "outbox").send(_message("d"))
