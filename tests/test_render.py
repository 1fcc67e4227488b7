"""Renderer: subjects, headers, both parts, escaping of hostile page text, diffs, digests, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

from monitor.errors import ConfigError
from monitor.models import Change, Event, WordOp
from monitor.notify.render import Renderer

T0 = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script><img src=x onerror="steal()">'


def event(
    id: int = 1,
    outlet: str = "Meduza",
    category: str = "foreign_agent_label",
    change: Change = Change.ADDED,
    **kwargs: object,
) -> Event:
    fields: dict[str, object] = {"url": f"https://{outlet.lower()}.example/page/{id}", "created_at": T0}
    fields.update(kwargs)
    return Event(id=id, outlet=outlet, category=category, change=change, **fields)  # type: ignore[arg-type]


def parts(message: EmailMessage) -> tuple[str, str]:
    """Round-trip through bytes, as a mail client would, and return (text, html)."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def alert(*events: Event, renderer: Renderer | None = None) -> EmailMessage:
    r = renderer or Renderer(clock=lambda: T0)
    return r.alert(list(events), recipient="ed@example.org", sender="pm@example.org", message_id="delivery-9")


def test_alert_headers_and_subject_say_what_happened() -> None:
    message = alert(event(change=Change.CHANGED))
    assert message["Subject"] == "Meduza: foreign-agent label changed"
    assert message["From"] == "pm@example.org"
    assert message["To"] == "ed@example.org"
    assert message["Message-ID"] == "<delivery-9@press-monitor>"
    assert message["Date"] == "Wed, 25 Nov 2026 08:30:00 +0000"


def test_message_id_is_stable_and_kept_when_already_formatted() -> None:
    r = Renderer(clock=lambda: T0)
    ids = [
        r.alert([event()], recipient="a@x.org", sender="b@x.org", message_id="<d-1.abc@pm.example>")["Message-ID"]
        for _ in range(2)
    ]
    assert ids == ["<d-1.abc@pm.example>"] * 2


@pytest.mark.parametrize(
    ("events", "subject"),
    [
        ([event(change=Change.REMOVED, category="paywall")], "Meduza: paywall removed"),
        (
            [event(1), event(2, category="donation_appeal")],
            "Meduza: foreign-agent label added and 1 more change",
        ),
        (
            [event(1), event(2, outlet="Dozhd"), event(3, outlet="Dozhd", category="paywall")],
            "press-monitor: 3 changes at 2 outlets",
        ),
        ([event(category="availability", change=Change.UNREACHABLE)], "Meduza: page unreachable"),
        ([event(category="availability", change=Change.RECOVERED)], "Meduza: page reachable again"),
    ],
)
def test_subjects(events: list[Event], subject: str) -> None:
    assert alert(*events)["Subject"] == subject


def test_both_parts_carry_every_event_grouped_per_outlet() -> None:
    message = alert(
        event(1, outlet="Zona", after="Mediazona is a foreign agent"),
        event(2, outlet="Meduza", category="paywall", change=Change.REMOVED, before="Subscribe to read"),
    )
    text, html = parts(message)
    for body in (text, html):
        assert "Zona" in body
        assert "Meduza" in body
        assert "https://zona.example/page/1" in body
        assert "2026-11-25 08:30 UTC" in body
        assert "press-monitor evidence 1" in body
        assert "press-monitor evidence 2" in body
        assert "Mediazona is a foreign agent" in body
        assert "Subscribe to read" in body
    # Outlets in alphabetical order, each once.
    assert text.index("== Meduza ==") < text.index("== Zona ==")
    assert "<style" not in html  # CSS went inline
    assert 'style="' in html


def test_hostile_page_text_is_escaped_in_html_and_verbatim_in_text() -> None:
    word_diff = (WordOp("equal", "label"), WordOp("insert", HOSTILE), WordOp("delete", "<b>old</b>"))
    message = alert(
        event(change=Change.CHANGED, before="<b>old</b> label", after=f"label {HOSTILE}", word_diff=word_diff),
        event(2, category="availability", change=Change.UNREACHABLE, detail="</td><script>x()</script>"),
    )
    text, html = parts(message)
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ins" in html
    assert "<del" in html
    assert HOSTILE in text


def test_word_diff_is_marked_in_both_parts() -> None:
    word_diff = (
        WordOp("equal", "НАСТОЯЩИЙ МАТЕРИАЛ"),
        WordOp("delete", "СОЗДАН"),
        WordOp("insert", "ПРОИЗВЕДЕН"),
        WordOp("equal", "ИНОСТРАННЫМ АГЕНТОМ"),
    )
    text, html = parts(alert(event(change=Change.CHANGED, word_diff=word_diff)))
    assert "НАСТОЯЩИЙ МАТЕРИАЛ [-СОЗДАН-] {+ПРОИЗВЕДЕН+} ИНОСТРАННЫМ АГЕНТОМ" in text
    assert "СОЗДАН</del>" in html
    assert "ПРОИЗВЕДЕН</ins>" in html


def test_links_only_for_http_urls() -> None:
    _, html = parts(alert(event(url="javascript:alert(1)")))
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html  # shown as text, not a link


def test_header_injection_through_outlet_name_is_flattened() -> None:
    message = alert(event(outlet="Evil\r\nBcc: victim@example.org"))
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_naive_timestamps_are_read_as_utc() -> None:
    text, _ = parts(alert(event(created_at=datetime(2026, 1, 2, 3, 4))))
    assert "2026-01-02 03:04 UTC" in text


def _many(count: int, outlets: int) -> list[Event]:
    return [
        event(
            i,
            outlet=f"Outlet {i % outlets:02d}",
            category=("paywall", "donation_appeal", "foreign_agent_label")[i % 3],
            change=(Change.ADDED, Change.REMOVED, Change.CHANGED)[i % 3],
            created_at=T0 - timedelta(minutes=i),
            before="old " * 300,
            after=f"new {i} " * 300,
        )
        for i in range(count)
    ]


def test_digest_with_hundreds_of_events_is_grouped_and_truncated_per_outlet() -> None:
    events = _many(600, outlets=12)  # 50 per outlet
    message = Renderer(clock=lambda: T0).digest(
        events, period="daily", recipient="ed@example.org", sender="pm@example.org", message_id="dig-1"
    )
    assert message["Subject"] == "press-monitor daily digest: 600 changes at 12 outlets"
    text, html = parts(message)
    for body in (text, html):
        assert body.count("press-monitor evidence ") == 12 * 20 + 1  # + the footer's pointer
        assert body.count("and 30 more changes at Outlet") == 12
    # Newest first inside an outlet: event 0 (T0) before event 12 (T0 - 12 min).
    assert text.index("evidence 0\n") < text.index("evidence 12\n")
    # Long page text is clipped, so the mail stays readable.
    assert len(html) < 1_500_000
    assert "new 0 new 0" in text
    assert ("new 0 " * 300).strip() not in text


def test_digest_summary_and_empty_digest() -> None:
    r = Renderer(clock=lambda: T0)
    empty = r.digest([], period="weekly", recipient="a@x.org", sender="b@x.org", message_id="w-1")
    assert empty["Subject"] == "press-monitor weekly digest: no changes"
    text, _ = parts(empty)
    assert "Nothing changed" in text
    one = r.digest([event()], period="weekly", recipient="a@x.org", sender="b@x.org", message_id="w-2")
    assert one["Subject"] == "press-monitor weekly digest: 1 change at 1 outlet"
    text, html = parts(one)
    assert "Meduza: 1 (foreign-agent label added)" in text
    assert "Weekly digest" in html


def test_user_templates_override_shipped_ones_by_name(tmp_path: Path) -> None:
    (tmp_path / "alert.txt.j2").write_text("Custom: {{ subject }} for {{ recipient }}\n", encoding="utf-8")
    text, html = parts(alert(event(), renderer=Renderer(tmp_path, clock=lambda: T0)))
    assert text == "Custom: Meduza: foreign-agent label added for ed@example.org\n"
    assert "press-monitor evidence 1" in html  # the HTML part still comes from the shipped template


def test_user_html_templates_are_autoescaped_and_strict(tmp_path: Path) -> None:
    (tmp_path / "alert.html.j2").write_text(
        "{% for g in groups %}{% for e in g.events %}{{ e.after }}{% endfor %}{% endfor %}", encoding="utf-8"
    )
    _, html = parts(alert(event(after=HOSTILE), renderer=Renderer(tmp_path)))
    assert "<script" not in html
    (tmp_path / "alert.html.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(UndefinedError):
        alert(event(), renderer=Renderer(tmp_path))


def test_missing_templates_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="templates_dir"):
        Renderer(tmp_path / "nope")


def test_alert_needs_events() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        Renderer().alert([], recipient="a@x.org", sender="b@x.org", message_id="x")


def test_unencodable_and_control_characters_do_not_break_the_mail() -> None:
    nasty = "x\ud800y\x00z\x1b[31m\u202eevil"
    word_diff = (WordOp("insert", nasty), WordOp("delete", "слово " * 5000))
    text, html = parts(alert(event(change=Change.CHANGED, before=nasty, after=nasty, word_diff=word_diff)))
    for body in (text, html):
        assert "x\ufffdyz[31mevil" in body
        assert "\x1b" not in body
        assert body.count("слово") < 200  # a huge deleted run is clipped


PAGE_TEXT = st.text(st.characters(blacklist_categories=()), max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    before=PAGE_TEXT,
    after=PAGE_TEXT,
    ops=st.lists(st.tuples(st.sampled_from(["equal", "insert", "delete"]), PAGE_TEXT)),
)
def test_any_page_text_renders_and_never_becomes_markup(before: str, after: str, ops: list[tuple[str, str]]) -> None:
    word_diff = tuple(WordOp(op, f"<i>{t}") for op, t in ops)
    message = alert(event(change=Change.CHANGED, before=f"<b>{before}", after=f"<u>{after}", word_diff=word_diff))
    _, html = parts(message)
    assert "<b>" not in html
    assert "<u>" not in html
    assert "<i>" not in html
