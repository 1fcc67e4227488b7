"""Export the evidence behind an event: the before/after WARC records, their extracted text, and a summary
a person can read — files that stand up outside this tool (``warcio check``, any WARC replay tool)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from monitor.app import App
from monitor.errors import MonitorError
from monitor.extract import ParsedPage, decode_html
from monitor.models import Event
from monitor.notify.view import printable


def export_evidence(app: App, event_id: int, out_dir: Path) -> list[Path]:
    """Write ``evidence.warc.gz``, ``before.txt``/``after.txt``, ``event.json`` and ``SUMMARY.md`` into out_dir."""
    event = app.store.event(event_id)
    if event is None:
        raise MonitorError(f"no event #{event_id}")
    before_ref, after_ref = app.store.event_archive_refs(event_id)
    refs = [ref for ref in (before_ref, after_ref) if ref]
    if not refs:
        raise MonitorError(f"event #{event_id} has no archived response behind it")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [app.archive.export(refs, out_dir)]
    for name, ref in (("before", before_ref), ("after", after_ref)):
        if ref:
            headers, body = app.archive.read(ref)
            path = out_dir / f"{name}.txt"
            path.write_text(visible_text(decode_html(body, headers.get("content-type"))), encoding="utf-8")
            written.append(path)
    (out_dir / "event.json").write_text(json.dumps(event.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "SUMMARY.md").write_text(summary(event, before_ref, after_ref), encoding="utf-8")
    return [*written, out_dir / "event.json", out_dir / "SUMMARY.md"]


def summary(event: Event, before_ref: str | None, after_ref: str | None) -> str:
    lines = [
        f"# Event #{event.id}: {printable(event.title)}",
        "",
        f"- Outlet: {printable(event.outlet)}",
        f"- Page: <{printable(event.url).replace('>', '%3E')}>",
        f"- Category: {event.category}; change: {event.change}",
        f"- Recorded: {event.created_at.isoformat()}",
        f"- Before: {before_ref or '—'} (the last snapshot that still showed the old state)",
        f"- After: {after_ref or '—'} (the snapshot that confirmed the change)",
        "",
        "`evidence.warc.gz` holds the HTTP request and response records of both snapshots (WARC/1.1);",
        "check it with `warcio check evidence.warc.gz` and replay it with any web-archive tool.",
        "`before.txt` and `after.txt` are the visible text extracted from each response.",
    ]
    for heading, text in (("Wording before", event.before), ("Wording after", event.after), ("Detail", event.detail)):
        if text:
            lines += ["", f"## {heading}", "", *fenced(text)]
    return "\n".join(lines) + "\n"


def fenced(text: str) -> list[str]:
    """Page text as a Markdown code block: never rendered as links, images or HTML, whatever it holds. The
    fence is longer than any run of backticks inside, and control characters are dropped."""
    clean = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", clean)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, clean, fence]


def visible_text(html: str) -> str:
    """The page's visible text as the detector reads it: one text block per line."""
    return "\n".join(block.text for block in ParsedPage.parse(html).blocks if block.text.strip())
