"""The composition root: builds every component from a validated Config, once, for the CLI and the daemon."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from monitor import __version__
from monitor.archive import WarcArchive
from monitor.config import Config, Outlet
from monitor.crawl import FetchSettings
from monitor.detect import Detector
from monitor.errors import ConfigError
from monitor.notify import Channel
from monitor.outcomes import Signature, load_signatures
from monitor.reader import PageReader, worker_count
from monitor.rules import SelectorRule, load_rule_set
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.notify.render import Renderer


@dataclass
class App:
    """Everything a check, a digest or the daemon needs, built from one config."""

    config: Config
    base_dir: Path
    store: Store
    detector: Detector
    archive: WarcArchive
    signatures: list[Signature]
    templates_dir: Path | None = None

    @classmethod
    def open(cls, config: Config) -> App:
        base = config_base(config)
        rule_set = load_rule_set([base / p for p in config.detection.extra_packs], config.detection.disable_rules)
        templates = base / config.mail.templates_dir if config.mail.templates_dir else None
        if templates is not None and not templates.is_dir():  # what Renderer checks, without building it yet
            raise ConfigError(f"templates_dir: {templates} is not a directory")
        return cls(
            config=config,
            base_dir=base,
            store=Store.open(resolve_db_url(config.storage.url, base)),
            detector=Detector(rule_set),
            archive=WarcArchive(base / config.storage.archive_dir),
            templates_dir=templates,
            signatures=load_signatures([base / p for p in config.detection.extra_outcomes]),
        )

    def close(self) -> None:
        self.store.close()

    @functools.cached_property
    def renderer(self) -> Renderer:
        """Built on first use: Jinja2 and the CSS inliner (~15 MB) stay out of a check with nothing to send."""
        return _renderer(self.templates_dir)

    @functools.cached_property
    def channel(self) -> Channel:
        """Built on first send: reading history must not need the SMTP password in the environment."""
        return make_channel(self.config, self.base_dir)

    @property
    def fetch_settings(self) -> FetchSettings:
        f = self.config.fetch
        return FetchSettings(
            user_agent=f.user_agent,
            obey_robots=f.obey_robots,
            timeout=f.timeout,
            max_bytes=f.max_bytes,
            concurrency_per_domain=f.concurrency_per_domain,
            autothrottle=f.autothrottle,
            retries=f.retries,
            crawl_timeout=f.crawl_timeout,
            download_delay=f.delay,
        )

    @functools.cached_property
    def _rules_digest(self) -> str:
        # A pack's file name, not its path: the same rules installed elsewhere must not re-detect every page.
        enabled = sorted(
            repr(replace(rule, source=Path(rule.source).name)) for rule in self.detector.rule_set.rules if rule.enabled
        )
        return sha256("\n".join([__version__, *enabled]).encode()).hexdigest()

    def rules_version(self, outlet: Outlet) -> str:
        """Changes when the detector, its packs, the disabled rules or the outlet's own rules change: stored
        findings made under another version are re-detected, even on a page whose content did not change."""
        own = repr([rule.model_dump() for rule in outlet.rules])
        return sha256(f"{self._rules_digest}\n{own}".encode()).hexdigest()[:16]

    def outlet_rules(self, outlet: Outlet) -> list[SelectorRule]:
        return [SelectorRule(id=r.id, category=r.category, selector=r.selector, lang=r.lang) for r in outlet.rules]

    def page_reader(self, pages: int) -> PageReader:
        """The reader of a check of ``pages`` pages: inline, or with worker processes (``detection.workers``)."""
        return PageReader(self.detector, self.signatures, worker_count(self.config.detection.workers, pages))

    @property
    def outbox_dir(self) -> Path:
        return self.base_dir / self.config.storage.outbox_dir


def check_components(config: Config) -> None:
    """Build every part ``App.open`` builds except the database, so ``validate`` and ``reload`` catch what
    a check would trip over: rule packs, outcome signatures, templates, the SMTP password variable and
    outlet selectors. Raises ConfigError listing every problem."""
    from lxml.cssselect import CSSSelector, SelectorError

    base = config_base(config)
    problems: list[str] = []
    steps = [
        lambda: load_rule_set([base / p for p in config.detection.extra_packs], config.detection.disable_rules),
        lambda: load_signatures([base / p for p in config.detection.extra_outcomes]),
        lambda: _renderer(base / config.mail.templates_dir if config.mail.templates_dir else None),
        lambda: make_channel(config, base),
    ]
    for step in steps:
        try:
            step()
        except ConfigError as exc:
            problems += exc.problems
    for i, outlet in enumerate(config.outlets):
        for j, rule in enumerate(outlet.rules):
            try:
                CSSSelector(rule.selector)
            except SelectorError as exc:
                problems.append(f"{config.source}: outlets[{i}].rules[{j}].selector: invalid CSS selector: {exc}")
    if problems:
        raise ConfigError(problems)


def _renderer(templates_dir: Path | None) -> Renderer:
    from monitor.notify.render import Renderer  # imported here: see App.renderer

    return Renderer(templates_dir)


def resolve_db_url(url: str, base: Path) -> str:
    """A relative SQLite path is relative to the config file's folder, like every other path in it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            return str(parsed.set(database=str(base / path)))
    return url


def config_base(config: Config) -> Path:
    """Relative paths in a config file are relative to the file's folder."""
    return config.source.parent if config.source else Path.cwd()


def lock_path(config: Config) -> Path:
    """Where the daemon's one-per-database lock lives: beside a SQLite file, else under data/."""
    base = config_base(config)
    parsed = make_url(resolve_db_url(config.storage.url, base))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(f"{parsed.database}.lock")
    digest = sha256(config.storage.url.encode()).hexdigest()[:12]
    return base / "data" / f"press-monitor-{digest}.lock"


def make_channel(config: Config, base: Path) -> Channel:
    """SMTP when configured, otherwise the on-disk outbox of .eml files."""
    from monitor.notify.outbox import OutboxChannel
    from monitor.notify.smtp import SmtpChannel, SmtpSettings

    smtp = config.mail.smtp
    if smtp is None:
        return OutboxChannel(base / config.storage.outbox_dir)
    return SmtpChannel(
        SmtpSettings(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            username=smtp.username,
            password_env=smtp.password_env,
            timeout=smtp.timeout,
            ca_file=str(base / smtp.ca_file) if smtp.ca_file else None,
        )
    )
