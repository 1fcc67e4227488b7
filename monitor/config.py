"""The watchlist: ``config.yaml`` → validated, typed, frozen models.

Every problem is reported as ``config.yaml:12:5: outlets[3].url: not a URL``. Unknown keys are errors.
Secrets never live here: the SMTP password is read from the environment variable that
``mail.smtp.password_env`` names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor import USER_AGENT
from monitor.errors import ConfigError
from monitor.models import CATEGORIES
from monitor.yamlmarks import Marks, format_loc, load_with_marks, mark_for

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"30m"``, ``"1h"``, ``"1d"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 1h or 90s")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use e.g. 90s, 30m, 1h, 1d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


HttpUrl = Annotated[str, BeforeValidator(lambda v: _check_http_url(str(v)))]

#: Benchmarks and tests only: lowers the 60 s floor on check intervals (see docs/daemon.md).
MIN_INTERVAL_ENV = "PRESS_MONITOR_MIN_INTERVAL"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Model):
    """When to check: an interval, or a cron expression (``minute hour day month weekday``)."""

    interval: Duration | None = None
    cron: str | None = None
    jitter: Duration = 0.0

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if self.interval is not None and self.cron is not None:
            raise ValueError("give either interval or cron, not both")
        if self.interval is not None and self.interval < float(os.environ.get(MIN_INTERVAL_ENV) or 60):
            raise ValueError("interval must be at least 60s: be polite to the outlets")
        if self.cron is not None:
            from monitor.schedule import cron_trigger

            cron_trigger(self.cron)  # ValueError names the bad field
        return self


class SelectorRuleConfig(_Model):
    """An outlet-specific rule: the element this CSS selector picks is a finding of ``category``."""

    id: str
    category: str
    selector: str
    lang: str = "und"

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; one of: {', '.join(CATEGORIES)}")
        return value


REGISTRY_KINDS = ("minjust_foreign_agents", "minjust_undesirable", "fara_active", "fara_terminated")


class RegistryLink(_Model):
    """An outlet's own entry in a registry, named exactly: by registration number, INN or exact name."""

    registry: str
    reg_no: str | None = None
    inn: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> RegistryLink:
        if sum(v is not None for v in (self.reg_no, self.inn, self.name)) != 1:
            raise ValueError("name the entry by exactly one of reg_no, inn or name (no fuzzy matching)")
        return self


class Registry(_Model):
    """An official registry watched for additions, exclusions and changes (see docs/registries.md)."""

    name: str = Field(min_length=1)
    kind: Literal["minjust_foreign_agents", "minjust_undesirable", "fara_active", "fara_terminated"]
    url: HttpUrl
    format: Literal["json", "xlsx"] = "json"  # MoJ: REST JSON (POST) or the XLSX export (GET)
    fallback_url: HttpUrl | None = None  # MoJ JSON: the XLSX export, read when the REST endpoint fails
    page_size: int = Field(default=500, ge=1, le=10_000)
    fields: dict[str, str] = {}  # MoJ JSON: our field name -> column id (overrides the kind's defaults)
    ca_file: Path | None = None  # trust only this CA bundle for this host; verification is never off
    schedule: Schedule | None = None
    tags: list[str] = []
    jurisdiction: str | None = None
    enabled: bool = True


class Outlet(_Model):
    name: str = Field(min_length=1)
    homepage: HttpUrl
    pages: list[HttpUrl] = []
    feeds: list[HttpUrl] = []
    sitemaps: list[HttpUrl] = []
    follow: int = Field(default=5, ge=0, le=100)
    languages: list[str] = []
    tags: list[str] = []
    jurisdiction: str | None = None
    schedule: Schedule | None = None
    rules: list[SelectorRuleConfig] = []
    enabled: bool = True
    registry: list[RegistryLink] = []  # its entries in the registries: section

    def page_urls(self) -> list[str]:
        """The pages to check; the homepage when none are listed (feeds add articles, never replace it)."""
        return list(self.pages) or [self.homepage]


class Storage(_Model):
    url: str = "sqlite:///data/press-monitor.db"
    archive_dir: Path = Path("data/warc")
    outbox_dir: Path = Path("data/outbox")
    # A response whose content is unchanged but for noise (clock times, counters, tokens, comments, related
    # links) is archived as a small revisit of the last full response; true keeps its full bytes too.
    archive_noise: bool = False


class Fetch(_Model):
    user_agent: str = USER_AGENT
    obey_robots: bool = True
    timeout: Duration = 30.0
    max_bytes: int = Field(default=5_000_000, gt=0)
    concurrency_per_domain: int = Field(default=2, ge=1, le=16)
    autothrottle: bool = True
    delay: Duration = 0.5
    retries: int = Field(default=2, ge=0, le=10)
    crawl_timeout: Duration = 600.0


class Detection(_Model):
    confirmations: int = Field(default=2, ge=1, le=10)
    unreachable_after: int = Field(default=3, ge=1, le=100)
    extra_packs: list[Path] = []
    disable_rules: list[str] = []
    extra_outcomes: list[Path] = []
    # Outlet level: an event when the share of an outlet's checked pages carrying a category crosses this.
    coverage_threshold: float = Field(default=0.8, gt=0, le=1)
    # Processes that read pages beside the main one: "auto" is one on a multi-core machine for a check of
    # 40 pages or more; 0 reads every page in the main process.
    workers: Literal["auto"] | int = Field(default="auto")

    @field_validator("workers")
    @classmethod
    def _workers_range(cls, value: str | int) -> str | int:
        if isinstance(value, int) and not 0 <= value <= 16:
            raise ValueError("workers must be auto or a number from 0 to 16")
        return value


class Smtp(_Model):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: Duration = 30.0
    ca_file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_inline_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError("never put the password in config.yaml: set password_env to an environment variable")
        return data


class Mail(_Model):
    sender: str = Field(default="press-monitor <press-monitor@localhost>", alias="from")
    smtp: Smtp | None = None
    templates_dir: Path | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SubscriberFilters(_Model):
    outlets: list[str] = []
    tags: list[str] = []
    categories: list[str] = []
    changes: list[
        Literal["added", "removed", "changed", "unreachable", "recovered", "coverage_reached", "coverage_dropped"]
    ] = []
    jurisdictions: list[str] = []


class Subscriber(_Model):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    modes: list[Literal["immediate", "daily", "weekly"]] = ["immediate"]
    filters: SubscriberFilters = SubscriberFilters()


class Digests(_Model):
    daily: str = "0 7 * * *"
    weekly: str = "0 7 * * mon"

    @field_validator("daily", "weekly")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from monitor.schedule import cron_trigger

        cron_trigger(value)
        return value


LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(lambda v: str(v).upper())]


class DaemonSettings(_Model):
    """``press-monitor run``: its log level (``--log-level`` and $PRESS_MONITOR_LOG_LEVEL win) and how long
    a stop waits for running checks before abandoning them (keep systemd's TimeoutStopSec above it)."""

    log_level: LogLevel = "INFO"
    shutdown_timeout: Duration = Field(default=60.0, ge=0)


class Config(_Model):
    """The whole watchlist. ``source`` is the file it came from (for messages and relative paths)."""

    storage: Storage = Storage()
    fetch: Fetch = Fetch()
    schedule: Schedule = Schedule(interval=3600.0, jitter=120.0)
    detection: Detection = Detection()
    mail: Mail = Mail()
    digests: Digests = Digests()
    daemon: DaemonSettings = DaemonSettings()
    subscribers: list[Subscriber] = []
    outlets: list[Outlet] = []
    registries: list[Registry] = []
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_outlets(self) -> Config:
        seen: set[str] = set()
        for outlet in self.outlets:
            if outlet.name in seen:
                raise ValueError(f"outlet name {outlet.name!r} is used twice")
            seen.add(outlet.name)
        return self

    @model_validator(mode="after")
    def _known_registries(self) -> Config:
        names = [registry.name for registry in self.registries]
        if len(set(names)) != len(names):
            raise ValueError("registry names must be unique")
        for outlet in self.outlets:
            for link in outlet.registry:
                if link.registry not in names:
                    raise ValueError(f"outlet {outlet.name!r} links to unknown registry {link.registry!r}")
        return self

    def registry(self, name: str) -> Registry:
        for registry in self.registries:
            if registry.name == name:
                return registry
        raise ConfigError(f"no registry named {name!r} in {self.source or 'the config'}")

    def outlet(self, name: str) -> Outlet:
        for outlet in self.outlets:
            if outlet.name == name:
                return outlet
        raise ConfigError(f"no outlet named {name!r} in {self.source or 'the config'}")

    def schedule_for(self, outlet: Outlet | Registry) -> Schedule:
        return outlet.schedule or self.schedule


def load_config(path: Path | str) -> Config:
    """Read and validate ``path``; raise ConfigError with one ``file:line:col: key: message`` per problem."""
    path = Path(path)
    data, marks = load_with_marks(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1:1: the top level must be a mapping of sections (outlets:, subscribers:, …)")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = sorted((_describe(path, marks, err) for err in exc.errors()), key=_line_of)
        raise ConfigError(problems) from None
    return config.model_copy(update={"source": path.resolve()})


def _line_of(problem: str) -> tuple[int, int]:
    match = re.search(r":(\d+):(\d+): ", problem)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _describe(path: Path, marks: Marks, err: Any) -> str:
    loc = tuple(part for part in err["loc"] if not str(part).startswith(("function-", "union")))
    mark = mark_for(marks, loc)
    where = f"{path}:{mark[0]}:{mark[1]}" if mark else str(path)
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch" and loc[-1:] == ("email",):
        message = f"{err['input']!r} is not an email address"
    if err["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see the README for the keys this section takes)"
    return f"{where}: {format_loc(loc) or '(top level)'}: {message}"
