"""Render a sample alert and digest to .eml, .html and (with headless Chromium) .png, to look at.

    .venv/bin/python scripts/render_preview.py [--out build/preview] [--templates DIR]

Mail that looks broken is broken: open the PNGs after changing a template. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.models import Change, Event, WordOp
from monitor.notify.render import Renderer

T0 = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
OLD = "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ"
NEW = "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН И РАСПРОСТРАНЕН ИНОСТРАННЫМ АГЕНТОМ"


def sample_events() -> list[Event]:
    """A label rewording with a word diff, an appeal, a paywall, an outage and hostile page text."""
    diff = (
        WordOp("delete", "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО"),
        WordOp("insert", "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН И РАСПРОСТРАНЕН"),
        WordOp("equal", "ИНОСТРАННЫМ"),
        WordOp("delete", "СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ"),
        WordOp("insert", "АГЕНТОМ"),
    )
    return [
        Event(
            1,
            "Meduza",
            "https://meduza.io/feature/2026/11/25/x",
            "foreign_agent_label",
            Change.CHANGED,
            T0,
            before=OLD,
            after=NEW,
            word_diff=diff,
        ),
        Event(
            2,
            "Meduza",
            "https://meduza.io/",
            "donation_appeal",
            Change.ADDED,
            T0 + timedelta(minutes=3),
            after="Поддержите «Медузу»! Нам нужна ваша помощь. <script>alert('xss')</script>",
        ),
        Event(
            3,
            "TV Rain",
            "https://tvrain.tv/",
            "paywall",
            Change.REMOVED,
            T0 + timedelta(minutes=9),
            before="Subscribe to continue reading",
        ),
        Event(
            4,
            "Mediazona",
            "https://zona.media/",
            "availability",
            Change.UNREACHABLE,
            T0 + timedelta(minutes=12),
            detail="HTTP 503 on 3 checks in a row",
        ),
        Event(
            5,
            "Mediazona",
            "https://zona.media/",
            "availability",
            Change.RECOVERED,
            T0 + timedelta(hours=2),
            detail="was: HTTP 503",
        ),
    ]


def many_events(count: int) -> list[Event]:
    """``count`` events spread over five outlets, cycling through the sample kinds, newest first."""
    base = sample_events()[:4]
    outlets = {
        "Meduza": "https://meduza.io/",
        "TV Rain": "https://tvrain.tv/",
        "Mediazona": "https://zona.media/",
        "The Insider": "https://theins.ru/",
        "Novaya Gazeta Europe": "https://novayagazeta.eu/",
    }
    names = list(outlets)
    events = []
    for i in range(count):
        like, outlet = base[i % len(base)], names[i % len(names)]
        events.append(
            Event(
                100 + i,
                outlet,
                outlets[outlet],
                like.category,
                like.change,
                T0 - timedelta(minutes=7 * i),
                before=like.before,
                after=like.after,
                word_diff=like.word_diff,
                detail=like.detail,
            )
        )
    return events


def screenshot(html: Path, png: Path, height: int) -> bool:
    """PNG of ``html`` via headless Chromium; False if no browser is installed."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        return False
    args = [
        browser,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size=760,{height}",
        f"--screenshot={png}",
        html.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/preview"))
    parser.add_argument("--templates", type=Path, default=None, help="a user templates folder to try")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(args.templates, clock=lambda: T0 + timedelta(hours=3))
    who = {"recipient": "editor@example.org", "sender": "press-monitor@example.org"}
    messages = {
        "alert": (renderer.alert(sample_events(), message_id="preview-alert", **who), 2600),
        "digest": (
            renderer.digest(many_events(60), period="daily", message_id="preview-digest", max_per_outlet=4, **who),
            5200,
        ),
    }
    for name, (message, height) in messages.items():
        (args.out / f"{name}.eml").write_bytes(message.as_bytes())
        (args.out / f"{name}.txt").write_text(message.get_body(("plain",)).get_content(), encoding="utf-8")
        html = args.out / f"{name}.html"
        html.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
        shot = screenshot(html, args.out / f"{name}.png", height)
        print(f"{name}: {message['Subject']!r} -> {html}" + (" (+ .png)" if shot else " (no browser: no .png)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
