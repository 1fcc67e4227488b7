"""A deterministic local "internet" of outlet pages, and a mutation step with ground truth.

``generate(root, n)`` writes ``n`` pages (about 100 KB each) for ``n // PAGES_PER_SITE`` outlets: ten
layouts, English and Russian, a third of the Russian outlets served as windows-1251. Each page carries
a state (foreign-agent label and its wording, donation appeal, paywall) and per-fetch noise (clock
times, counters, CSRF and cache-busting tokens, rotating related links and ad slots).

``mutate(root, n)`` then rewrites ~5 % of pages with a real labelling change (label added, removed
or reworded; paywall added or removed) and ~30 % with noise only, leaves the rest untouched (same
bytes and mtime, so nginx answers 304), and writes ``truth.json``: URL path -> "real" | "noise" | "same".
Everything comes from seeded ``random.Random`` instances: the same ``n`` gives the same bytes.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, replace
from pathlib import Path

PAGES_PER_SITE = 10
# Fixed file times make nginx's ETag/Last-Modified (mtime + size) deterministic, and a rewritten page
# always gets new validators even when the bench writes it within the same second as the original.
T0, T1 = 1_764_000_000, 1_764_003_600
PAGE_BYTES = 100_000
REAL_SHARE, NOISE_SHARE = 0.05, 0.30

EN_WORDS = (
    "city council budget river bridge school weather market harbour railway museum library festival winter "
    "summer report minister village farmers energy prices housing doctors hospital students teachers court "
    "election district mayor road traffic football season concert theatre garden forest coast island port "
    "factory workers union meeting plan project data survey study results week month year morning evening "
    "local regional national spokesman officials residents visitors tourists shops bakery airport station"
).split()
RU_WORDS = (
    "город совет бюджет река мост школа погода рынок гавань железная дорога музей библиотека фестиваль зима "
    "лето доклад министр деревня фермеры энергия цены жильё врачи больница студенты учителя суд выборы район "
    "мэр движение футбол сезон концерт театр сад лес берег остров порт завод рабочие собрание план проект "
    "данные опрос итоги неделя месяц год утро вечер местный областной жители гости туристы магазины вокзал"
).split()

LABELS = {
    "en": (
        "This message (material) was created and/or disseminated by a foreign mass media outlet performing the "
        "functions of a foreign agent and (or) a Russian legal entity performing functions of a foreign agent",
        "This material (information) was produced, disseminated and/or sent by a foreign agent {org} or concerns "
        "the activities of a foreign agent {org}",
    ),
    "ru": (
        "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ, "
        "ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА, И (ИЛИ) РОССИЙСКИМ ЮРИДИЧЕСКИМ ЛИЦОМ, ВЫПОЛНЯЮЩИМ ФУНКЦИИ "
        "ИНОСТРАННОГО АГЕНТА",
        "НАСТОЯЩИЙ МАТЕРИАЛ (ИНФОРМАЦИЯ) ПРОИЗВЕДЕН, РАСПРОСТРАНЕН И (ИЛИ) НАПРАВЛЕН ИНОСТРАННЫМ АГЕНТОМ {org} "
        "ЛИБО КАСАЕТСЯ ДЕЯТЕЛЬНОСТИ ИНОСТРАННОГО АГЕНТА {org}",
    ),
}
ORGS = {"en": "{name} LLC", "ru": "ООО «{name}»"}
APPEALS = {
    "en": "We are not going anywhere. But to keep reporting, we need you: please support us monthly "
    "starting from just 2.",
    "ru": "Поддержите «{name}» рублем. Без рекламы мы живем только на помощь читателей.",
}
PAYWALLS = {
    "en": "Subscribe to continue reading. Already a subscriber? Log in.",
    "ru": "Продолжение доступно по подписке. Подписка — 149 рублей в месяц.",
}
# Ten layouts: wrapper tag, class words of the label banner, the appeal box and the paywall gate.
LAYOUTS = [
    ("div", "fa-banner", "donate-box", "paywall"),
    ("section", "disclaimer", "support-us", "paywall-gate"),
    ("div", "inoagent-plashka", "appeal", "premium-wall"),
    ("aside", "notice notice--agent", "donation-cta", "subscribe-gate"),
    ("div", "warning-label", "contribute", "regwall"),
    ("section", "banner-top", "donate", "paywall"),
    ("div", "status-label", "membership-cta", "paywall-meter"),
    ("div", "foreignagent", "supporter-box", "subscription-wall"),
    ("section", "disclosure", "fundraising", "premium-gate"),
    ("div", "callout callout-fa", "donate-block", "paywall-box"),
]


@dataclass(frozen=True)
class Site:
    index: int
    name: str
    lang: str
    charset: str  # "utf-8" | "windows-1251"
    layout: int

    @property
    def folder(self) -> str:
        return f"site{self.index:05d}"


@dataclass(frozen=True)
class PageState:
    label: int | None  # index into LABELS[lang], None without a label
    org: str
    appeal: bool
    paywall: bool
    noise: int  # changes with every noise mutation


def sites(n: int) -> list[Site]:
    out = []
    for i in range(max(1, n // PAGES_PER_SITE)):
        lang = "ru" if i % 2 else "en"
        charset = "windows-1251" if lang == "ru" and i % 6 == 1 else "utf-8"
        out.append(Site(i, f"Outlet {i}" if lang == "en" else f"Издание {i}", lang, charset, i % len(LAYOUTS)))
    return out


def initial_state(site: Site, page: int) -> PageState:
    rng = random.Random(f"state:{site.index}:{page}")
    site_rng = random.Random(f"site:{site.index}")
    labelled, appeal = site_rng.random() < 0.5, site_rng.random() < 0.5
    org = ORGS[site.lang].format(name=site.name)
    return PageState(
        label=site_rng.randrange(2) if labelled else None,
        org=org,
        appeal=appeal,
        paywall=rng.random() < 0.3,
        noise=0,
    )


def _paragraphs(lang: str, count: int = 400) -> list[str]:
    rng = random.Random(f"paragraphs:{lang}")
    words = EN_WORDS if lang == "en" else RU_WORDS
    paras = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(3, 6)):
            sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 16)))
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        paras.append(" ".join(sentences))
    return paras


_PARAS = {lang: _paragraphs(lang) for lang in ("en", "ru")}
_CSS = "".join(f".c{i}{{margin:{i % 7}px;padding:{i % 5}px;color:#{i * 7919 % 0xFFFFFF:06x}}}\n" for i in range(400))


def render(site: Site, page: int, state: PageState) -> str:
    """The page's HTML. Content depends on (site, page, state); noise on ``state.noise`` only."""
    rng = random.Random(f"page:{site.index}:{page}")
    noise = random.Random(f"noise:{site.index}:{page}:{state.noise}")
    wrap, banner, appeal_cls, wall_cls = LAYOUTS[site.layout]
    lang, words = site.lang, EN_WORDS if site.lang == "en" else RU_WORDS
    token = f"{noise.getrandbits(128):032x}"
    title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{site.charset}"><title>{title}</title>',
        f'<meta name="csrf-token" content="{token}"><link rel="stylesheet" href="/static/site.css?v={token[:8]}">',
        f"<style>{_CSS}</style>",
        "<script>window.__STATE__=" + _state_json(rng, noise) + "</script></head><body>",
        f'<header class="site-header l{site.layout}"><nav class="menu"><ul>',
        "".join(f'<li><a href="/{site.folder}/s{i}.html">{rng.choice(words)}</a></li>' for i in range(25)),
        "</ul></nav></header>",
    ]
    if state.label is not None:
        label = LABELS[lang][state.label].format(org=state.org)
        parts.append(f'<{wrap} class="{banner}">{label}</{wrap}>')
    updated = f"{noise.randrange(24):02d}:{noise.randrange(60):02d} {noise.randrange(1, 29)}.11.2026"
    parts += [
        f"<main><article><h1>{title}</h1>",
        f'<div class="meta"><time>{updated}</time> · <span class="views">{noise.randrange(100, 99999)}</span></div>',
        '<div class="article-body">',
    ]
    body_paras = rng.sample(_PARAS[lang], 40)
    parts += [f"<p>{p}</p>" for p in body_paras[:12]]
    if state.paywall:
        parts.append(f'<div class="{wall_cls}">{PAYWALLS[lang]}</div>')
    parts += [f"<p>{p}</p>" for p in body_paras[12:]]
    parts.append("</div></article>")
    parts.append(_related(site, noise, words))
    parts += [
        f'<div class="ad-slot" id="ad-{noise.getrandbits(40):x}" data-cb="{token[8:20]}"></div>' for _ in range(4)
    ]
    if state.appeal:
        parts.append(f'<div class="{appeal_cls}">{APPEALS[lang].format(name=site.name)}</div>')
    parts += [
        "</main>",
        f'<footer class="site-footer"><p>© 2026 {site.name}</p></footer>',
        f'<form action="/login" method="post"><input type="hidden" name="csrf" value="{token}"></form>',
        f'<script src="/static/app.js?cb={noise.getrandbits(32)}"></script></body></html>',
    ]
    html = "".join(parts)
    return _pad(html, rng)


def _state_json(rng: random.Random, noise: random.Random) -> str:
    items = [
        {"id": rng.randrange(10**9), "ts": 1764000000 + noise.randrange(10**6), "w": rng.random()} for _ in range(60)
    ]
    return json.dumps({"items": items, "nonce": f"{noise.getrandbits(64):x}"})


def _related(site: Site, noise: random.Random, words: list[str]) -> str:
    links = "".join(
        f'<li><a href="/{site.folder}/r{noise.randrange(10**6)}.html">'
        + " ".join(noise.choice(words) for _ in range(7))
        + "</a></li>"
        for _ in range(10)
    )
    return f'<aside class="related"><h3>Related</h3><ul>{links}</ul></aside>'


def _pad(html: str, rng: random.Random) -> str:
    """Grow the page to about PAGE_BYTES with inline data a real page would carry (an SVG sprite)."""
    missing = PAGE_BYTES - len(html.encode("utf-8"))
    if missing <= 0:
        return html
    path = "".join(
        f"M{rng.randrange(999)} {rng.randrange(999)}L{rng.randrange(999)} {rng.randrange(999)}"
        for _ in range(missing // 16)
    )
    sprite = f'<svg style="display:none"><path d="{path[:missing]}"/></svg>'
    return html.replace("</body>", sprite + "</body>")


def write_page(root: Path, site: Site, page: int, state: PageState, mtime: int = T0) -> None:
    html = render(site, page, state)
    path = root / "www" / site.folder / f"p{page}.html"
    data = html.encode("cp1251" if site.charset == "windows-1251" else "utf-8", "xmlcharrefreplace")
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def page_path(site: Site, page: int) -> str:
    return f"/{site.folder}/p{page}.html"


def generate(root: Path, n: int) -> list[Site]:
    """Write the pages of ``n // PAGES_PER_SITE`` outlets under ``root/www`` and their states."""
    all_sites = sites(n)
    states: dict[str, dict[str, object]] = {}
    for site in all_sites:
        (root / "www" / site.folder).mkdir(parents=True, exist_ok=True)
        for page in range(PAGES_PER_SITE):
            state = initial_state(site, page)
            write_page(root, site, page, state)
            states[page_path(site, page)] = state.__dict__
    (root / "states.json").write_text(json.dumps(states), encoding="utf-8")
    return all_sites


def real_change(state: PageState, rng: random.Random, lang: str) -> tuple[PageState, str]:
    """One labelling change a monitor must report, and its name."""
    roll = rng.random()
    if roll < 0.3:
        return replace(state, paywall=not state.paywall), "paywall " + ("removed" if state.paywall else "added")
    if state.label is None:
        return replace(state, label=rng.randrange(2)), "label added"
    if roll < 0.6:
        return replace(state, label=None), "label removed"
    if state.label == 1 and roll < 0.8:  # the named entity in the 2022 text changes
        return replace(state, org=state.org.replace("0", "O").replace("1", "I") + " (new name)"), "label reworded"
    return replace(state, label=1 - state.label), "label reworded"


def mutate(root: Path, all_sites: list[Site]) -> dict[str, str]:
    """Rewrite ~5 % of pages with a real change and ~30 % with noise; write and return the truth."""
    states = json.loads((root / "states.json").read_text(encoding="utf-8"))
    truth: dict[str, str] = {}
    changes: dict[str, str] = {}
    for site in all_sites:
        for page in range(PAGES_PER_SITE):
            rng = random.Random(f"mutate:{site.index}:{page}")
            key = page_path(site, page)
            state = PageState(**states[key])
            roll = rng.random()
            if roll < REAL_SHARE:
                state, what = real_change(state, rng, site.lang)
                state = replace(state, noise=state.noise + 1)
                truth[key], changes[key] = "real", what
            elif roll < REAL_SHARE + NOISE_SHARE:
                state = replace(state, noise=state.noise + 1)
                truth[key] = "noise"
            else:
                truth[key] = "same"
                continue
            write_page(root, site, page, state, T1)
            states[key] = state.__dict__
    (root / "states.json").write_text(json.dumps(states), encoding="utf-8")
    (root / "truth.json").write_text(json.dumps({"truth": truth, "changes": changes}, indent=0), encoding="utf-8")
    return truth
