"""Site-template evidence: what repeats across an outlet's pages is a banner (issue #3).

A label printed as the opening paragraph of every article body reads, on one page, like the article
discussing the law: the single-page detector rejects it. Across the outlet's pages the same block
repeats, and a check accepts it, saying so (``template_pages``). Everything else stays rejected, and
recognition alone (the page did not change) never becomes an event.

Checks run through the CLI against the mockserver's ``/mutable/`` pages and a real SQLite store.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from cli_helpers import cli, put, watchlist
from mockserver import MockServer

from monitor.detect import Detector
from monitor.extract import ParsedPage
from monitor.observe import PageState, SiteTemplate
from monitor.store import Store

# An outlet's statement about itself, set as article prose: the single-page judge cannot tell it from
# an article reporting on someone else's designation (rule en-fa-statement-outlet, prose: deny).
LABEL = 'This outlet has been designated a "foreign agent" by the Russian Ministry of Justice.'
# The same kind of sentence in places the template must never lift it out of.
TEASER = 'The Lantern Post was designated a "foreign agent" by the Kremlin on Friday.'
HEADLINE = 'Why the Kremlin Review was designated a "foreign agent" by the ministry'
LAW = 'Under the law, any outlet that has been designated a "foreign agent" must print a disclaimer.'
STORIES = (
    ("Fishing quotas cut again", "Regional authorities cut the fishing quotas for the third year in a row."),
    ("A bridge closes for repairs", "The only bridge across the river closes for six weeks from Monday."),
    ("Snow arrives early", "The first snow fell two weeks earlier than the long-term average."),
)


def article(title: str, body: str, *, label: bool = True, extra: str = "") -> str:
    """One article page of the outlet: the site's header, a run of paragraphs, a "Read also" box."""
    opening = f"<p>{LABEL}</p>" if label else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><a href="/">The Northern Ledger</a></header>
<main><article><h1>{title}</h1><div class="article-body">
{opening}
<p>{body} Officials said the decision was final and would not be reviewed this year.</p>
<p>Residents told our correspondent they had expected the news but were still disappointed.</p>
{extra}
<p><strong>Read also:</strong> <a href="/kremlin-review">{HEADLINE}</a></p>
</div>
<section><h3>Read also</h3>
<ul><li><a href="/lantern">Moscow targets another newsroom</a><p>{TEASER}</p></li></ul></section>
</article></main><footer><p>Contact the newsroom: desk@example.org</p></footer></body></html>"""


def outlet(urls: list[str]) -> str:
    pages = ", ".join(urls)
    return f"  - name: Northern Ledger\n    homepage: {urls[0]}\n    pages: [{pages}]\n    languages: [en]\n"


@pytest.fixture
def pages(mockserver: MockServer) -> list[str]:
    return [mockserver.url(f"/mutable/{uuid.uuid4().hex}") for _ in STORIES]


def publish(urls: list[str], *, label: bool = True, extra: str = "") -> None:
    for i, (url, (title, body)) in enumerate(zip(urls, STORIES, strict=True)):
        put(url, article(title, body, label=label, extra=extra if i == 0 else ""))


def check(config: Path) -> None:
    ran = cli("check", "--once", "--config", str(config))
    assert ran.code == 0, ran.err


def states(config: Path, urls: list[str]) -> list[PageState]:
    with Store.open(f"sqlite:///{config.parent / 'state' / 'monitor.db'}") as store:
        found = [store.page_state(url) for url in urls]
    assert all(s is not None for s in found)
    return [s for s in found if s is not None]


def statements(state: PageState) -> list[tuple[str, int]]:
    return [(f.text, f.template_pages) for f in state.confirmed if f.category == "foreign_agent_statement"]


def events(config: Path, *, pages_only: bool = False) -> list[tuple[str, str, str]]:
    """(url, category, change) of the recorded events; ``pages_only``: without outlet-level coverage events."""
    found = [(e["url"], e["category"], e["change"]) for e in cli("history", "--json", "--config", str(config)).json()]
    return [e for e in found if not (pages_only and e[2].startswith("coverage_"))]


def test_a_label_opening_every_article_is_a_finding_with_template_evidence(tmp_path: Path, pages: list[str]) -> None:
    publish(pages, extra=f"<p>{LAW}</p>")
    config = watchlist(tmp_path, outlet(pages))
    # A page checked before the others of its pass is recognised on the next check: results stream in.
    check(config)
    check(config)
    for state in states(config, pages):
        # Only the label: not the law quoted in one article, not the "Read also" line or box.
        ((text, repeated),) = statements(state)
        assert text == LABEL
        assert repeated >= 2
    # The baseline, then recognition alone: nothing was added, and the outlet's coverage did not move either.
    assert events(config) == []

    single = tmp_path / "one.html"
    single.write_text(article(*STORIES[0]), encoding="utf-8")
    alone = cli("detect", str(single), "--json")
    assert alone.code == 0, alone.err
    assert alone.json() == []  # one page judged alone: the label is article prose, as before


def test_recognition_alone_is_no_event_and_a_new_label_is_added_once_confirmed(
    tmp_path: Path, pages: list[str]
) -> None:
    first, second = pages[:2]
    put(first, article(*STORIES[0]))  # the first page carries the label paragraph from the start
    put(second, article(*STORIES[1], label=False))
    config = watchlist(tmp_path, outlet([first, second]))
    check(config)
    check(config)
    assert statements(states(config, [first])[0]) == []  # alone on one page: article prose

    put(second, article(*STORIES[1]))  # the outlet adds it to its second page too
    for _ in range(3):
        check(config)
    # The second page newly carries the label: one confirmed event. The first page did not change;
    # that the template now recognises its paragraph is no event.
    assert events(config, pages_only=True) == [(second, "foreign_agent_statement", "added")]
    assert all(statements(s) == [(LABEL, 2)] for s in states(config, [first, second]))


@pytest.mark.parametrize("workers", [0, 1], ids=["inline", "worker-process"])
def test_a_label_added_to_every_page_is_added_on_each(tmp_path: Path, pages: list[str], workers: int) -> None:
    publish(pages, label=False)
    config = watchlist(tmp_path, outlet(pages), extra=f"detection: {{workers: {workers}}}\n")
    check(config)
    publish(pages)
    check(config)
    assert events(config) == []  # seen once: awaiting confirmation (confirmations: 2 by default)
    check(config)
    check(config)
    added = sorted((url, "foreign_agent_statement", "added") for url in pages)
    assert sorted(events(config, pages_only=True)) == added
    # A real change of the outlet's pages moves its coverage: that is an outlet-level event.
    assert [e[1:] for e in events(config) if e not in added] == [("foreign_agent_statement", "coverage_reached")]


def test_a_state_written_before_template_evidence_loads_and_upgrades_silently(tmp_path: Path, pages: list[str]) -> None:
    old = {"confirmed": [], "pending": None, "pending_count": 0, "baselined": True, "rules": "v1"}
    state = PageState.from_dict(old)
    assert (state.keys, state.fresh, state.repeated) == (None, (), ())

    publish(pages)
    config = watchlist(tmp_path, outlet(pages))
    check(config)
    with sqlite3.connect(tmp_path / "state" / "monitor.db") as db:  # as an older version left them
        db.execute("UPDATE pages SET state = json_remove(state, '$.keys', '$.fresh', '$.repeated')")
    check(config)
    check(config)
    assert events(config) == []
    assert all(statements(s) for s in states(config, pages))


def detect_repeated(html: str) -> list[str]:
    """The texts a page's findings have when every candidate block of it repeats on two other pages."""
    detector, page = Detector(), ParsedPage.parse(html)
    keys = detector.detect_site(page, {}).keys
    return [f.text for f in detector.detect_site(page, dict.fromkeys(keys, 2)).findings]


@pytest.mark.parametrize(
    "paragraphs",
    [
        f"<p>The ministry's notice reads:</p><p>{LABEL}</p>",  # shown after a colon: quoted
        '<p>This outlet has been designated a "foreign agent", writes a reader.</p>',  # reported speech
        f'<p hidden="">{LABEL}</p>',  # hidden
        f"<p>*{LABEL}</p>",  # a footnote mark
        f'<p><a href="/x">{LABEL}</a></p>',  # link text only
        f"<blockquote><p>{LABEL}</p></blockquote>",  # a quotation
    ],
)
def test_the_template_lifts_placement_only(paragraphs: str) -> None:
    html = article(*STORIES[0], label=False, extra=paragraphs)
    assert not any(LABEL[:40] in text for text in detect_repeated(html))


def test_the_template_lifts_prose_placement() -> None:
    assert Detector().detect(article(*STORIES[0])) == []
    assert detect_repeated(article(*STORIES[0])) == [LABEL]


def test_site_template_counts_other_pages_only() -> None:
    a, b = PageState(keys=("k1", "k2")), PageState(keys=("k1",))
    template = SiteTemplate({"a": a, "b": b, "c": None})
    assert template.for_page("a", a) == {"k1": 1}
    # A new page is told the template's blocks, and its own known blocks however few pages repeat them.
    assert template.for_page("new", None) == {"k1": 2}
    assert template.for_page("new", PageState(keys=("k2",))) == {"k1": 2, "k2": 1}
    template.update("b", ("k2",))  # the page changed: its old blocks no longer count
    assert template.for_page("a", a) == {"k2": 1}
    assert template.repeated("a", ("k1", "k2")) == frozenset({"k2"})


def test_an_unchanged_page_is_read_again_only_when_a_block_it_was_denied_changes_template_status() -> None:
    """A 304 page is re-read when the template could change its findings: when a block the single-page
    judge rejected joins or leaves the template. An accepted block whose key changes on the other pages
    (an appeal with a "raised so far" counter) changes nothing on this page and costs no re-read."""
    page = PageState(baselined=True, keys=("appeal-1", "prose-label"), repeated=(), rejected=("prose-label",))
    template = SiteTemplate({"a": page, "b": PageState(keys=("appeal-1",)), "c": PageState(keys=("appeal-1",))})
    assert not template.moved("a", page)  # the appeal repeats now, but it was a finding on its own anyway

    template.update("b", ("appeal-2", "prose-label"))  # another page prints the same label paragraph
    assert template.moved("a", page)

    upgraded = PageState(baselined=True, keys=("appeal-1",), repeated=("appeal-1",))  # no `rejected` stored yet
    template.update("b", ())
    template.update("c", ())
    assert template.moved("a", upgraded)  # unknown verdicts: every block counts
