"""Render events into mail: one Jinja2 environment, a text part and an HTML part with inlined CSS.

Page text is hostile input. HTML templates are autoescaped (by name: ``*.html.j2``, and any name
that is not plain text), ``StrictUndefined`` turns a typo into an error instead of a blank, and
links are only made from http(s) URLs. Nothing from a page is ever marked ``|safe``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from monitor.errors import ConfigError
from monitor.models import Event
from monitor.notify.view import (
    alert_subject,
    clip,
    diff_segments,
    diff_text,
    digest_subject,
    format_message_id,
    group_by_outlet,
    headline,
    safe_href,
    stamp,
    when,
)
from monitor.resources import templates_dir as shipped_templates_dir

# How much of a banner's text each kind of mail quotes; a digest is a list, an alert the whole story.
ALERT_CLIP = 1500
DIGEST_CLIP = 400


class _TraversableLoader(BaseLoader):
    """Loads shipped templates through importlib.resources, so a zipped install works too."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        node = self.root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise TemplateNotFound(template)
            node = node.joinpath(part)
        if not node.is_file():
            raise TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), str(node), lambda: True


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Renderer:
    """Turns events into ready-to-send :class:`EmailMessage` objects (multipart/alternative).

    ``templates_dir`` (from config) overrides shipped templates by file name: copy
    ``digest.html.j2`` there and edit it. ``clock`` stamps the Date header.
    """

    def __init__(
        self,
        templates_dir: Path | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        loaders: list[BaseLoader] = []
        if templates_dir is not None:
            if not Path(templates_dir).is_dir():
                raise ConfigError(f"templates_dir: {templates_dir} is not a directory")
            loaders.append(FileSystemLoader(str(templates_dir)))
        loaders.append(_TraversableLoader(shipped_templates_dir()))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            # Escape by default: only templates named as plain text go out unescaped.
            autoescape=select_autoescape(
                enabled_extensions=("html", "htm", "html.j2", "xml"),
                disabled_extensions=("txt", "txt.j2"),
                default_for_string=True,
                default=True,
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            clip=clip, when=when, stamp=stamp, headline=headline, safe_href=safe_href, diff_text=diff_text
        )
        self.env.globals.update(diff_segments=diff_segments)
        self.clock = clock
        # Never fetch stylesheets named in a document: we only inline our own <style> block.
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

    def alert(self, events: Sequence[Event], *, recipient: str, sender: str, message_id: str) -> EmailMessage:
        """An immediate alert about ``events`` (usually one check's worth), grouped per outlet."""
        if not events:
            raise ValueError("an alert needs at least one event")
        ordered = sorted(events, key=lambda e: (when(e.created_at), e.id))
        context = {
            "kind": "alert",
            "subject": alert_subject(ordered),
            "groups": group_by_outlet(ordered, limit=None),
            "total": len(ordered),
            "clip_chars": ALERT_CLIP,
        }
        return self._message("alert", context, recipient=recipient, sender=sender, message_id=message_id)

    def digest(
        self,
        events: Sequence[Event],
        *,
        period: str,
        recipient: str,
        sender: str,
        message_id: str,
        max_per_outlet: int = 20,
    ) -> EmailMessage:
        """A ``period`` ("daily", "weekly") digest: per outlet, newest first, at most ``max_per_outlet``."""
        if max_per_outlet < 1:
            raise ValueError("max_per_outlet must be at least 1")
        ordered = sorted(events, key=lambda e: (when(e.created_at), e.id), reverse=True)
        groups = group_by_outlet(ordered, limit=max_per_outlet)
        context = {
            "kind": "digest",
            "period": period,
            "subject": digest_subject(ordered, period),
            "groups": groups,
            "total": len(ordered),
            "clip_chars": DIGEST_CLIP,
        }
        return self._message("digest", context, recipient=recipient, sender=sender, message_id=message_id)

    def render_parts(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """The text and the (CSS-inlined) HTML body of template pair ``name``."""
        text = self.env.get_template(f"{name}.txt.j2").render(context)
        html = self.env.get_template(f"{name}.html.j2").render(context)
        return text, self._inliner.inline(html)

    def _message(
        self, name: str, context: dict[str, Any], *, recipient: str, sender: str, message_id: str
    ) -> EmailMessage:
        now = self.clock()
        context = {**context, "recipient": recipient, "sender": sender, "generated_at": now}
        text, html = self.render_parts(name, context)
        message = EmailMessage()
        message["Subject"] = context["subject"]
        message["From"] = sender
        message["To"] = recipient
        message["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
        message["Message-ID"] = format_message_id(message_id)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message
