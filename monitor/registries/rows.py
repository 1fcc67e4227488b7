"""Registry rows as plain data, and row-level diffs between two fetches of one registry.

Every parser (MoJ REST JSON, MoJ XLSX export, FARA JSON) yields the same :class:`RegistryRow`: a stable
``key`` and a flat mapping of canonical field names (``name``, ``reg_no``, ``inn``, ``included``,
``excluded``, ``grounds``, ``domain``, ``type``, ``country``, …) to strings, dates as ISO ``YYYY-MM-DD``.
Comparing rows, never files, is what makes the MoJ export (rebuilt with a new timestamp on every
download) and a JSON page in a different order compare equal when nothing changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from monitor.errors import MonitorError

#: Field names in the order summaries print them; others follow alphabetically.
FIELD_ORDER = ("name", "reg_no", "inn", "type", "included", "excluded", "domain", "country", "grounds")
#: Shown as "included" / "excluded" dates; a newly set ``excluded`` is an exclusion (``removed``).
DATE_FIELDS = ("included", "excluded")
EXCEL_SERIALS = (25_000, 80_000)  # 1968..2119 as Excel day numbers
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%y", "%Y-%m-%dT%H:%M:%S")


class RegistryFormatError(MonitorError):
    """A registry response is not in the format its kind promises (HTML error page, changed API)."""


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One entry of a registry: a stable key and its canonical fields (empty values dropped)."""

    key: str
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.fields.get("name", "")

    def summary(self) -> str:
        """One line for events and listings: ``Name (reg. no. 5, INN 77…) — included 2022-…``."""
        ids = [f"{label} {self.fields[f]}" for f, label in (("reg_no", "reg. no."), ("inn", "INN")) if f in self.fields]
        head = self.name + (f" ({', '.join(ids)})" if ids else "")
        rest = [f"{f} {self.fields[f]}" for f in ordered(self.fields) if f not in ("name", "reg_no", "inn")]
        return " — ".join([head, "; ".join(rest)]) if rest else head


@dataclass(frozen=True, slots=True)
class RowChange:
    """What happened to one entry between two fetches: ``added``, ``removed`` or ``changed``."""

    change: str
    key: str
    before: RegistryRow | None
    after: RegistryRow | None
    detail: str


def ordered(fields: Iterable[str]) -> list[str]:
    names = set(fields)
    return [f for f in FIELD_ORDER if f in names] + sorted(names - set(FIELD_ORDER))


def clean(value: object) -> str:
    """A cell or JSON value as trimmed single-spaced text (NFC); None and whitespace become ``""``."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    return " ".join(text.split())


def iso_date(value: object) -> str:
    """``31.12.2022``, ``12/31/2022``, ``2022-12-31`` (or a date) → ``2022-12-31``; anything else kept as text."""
    if isinstance(value, datetime | date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    text = clean(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text) and EXCEL_SERIALS[0] <= float(text) <= EXCEL_SERIALS[1]:
        return (date(1899, 12, 30) + timedelta(days=int(float(text)))).isoformat()  # an XLSX date cell
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def name_key(name: str) -> str:
    """Case- and space-blind form of a name, for keys and for exact-name links (not a fuzzy match)."""
    return clean(name).casefold()


def make_rows(raw: Iterable[Mapping[str, str]]) -> list[RegistryRow]:
    """Rows with keys: the registration number if any, else name + inclusion date; repeats get ``#2``…

    Empty values are dropped, so a column that appears empty and one that is absent compare equal.
    """
    rows: list[RegistryRow] = []
    seen: dict[str, int] = {}
    for fields in raw:
        kept = {k: v for k, v in fields.items() if v}
        if not kept.get("name") and not kept.get("reg_no"):
            continue  # a blank or footer line of an export
        base = (
            f"reg:{kept['reg_no']}"
            if kept.get("reg_no")
            else f"name:{name_key(kept['name'])}|{kept.get('included', '')}"
        )
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        rows.append(RegistryRow(key=key, fields=kept))
    return rows


def diff_rows(before: Sequence[RegistryRow], after: Sequence[RegistryRow]) -> list[RowChange]:
    """Row-level changes from ``before`` to ``after`` (order of rows does not matter).

    A newly set ``excluded`` date is reported as ``removed`` (the entity left the register, which the
    MoJ keeps listing with the date); a row that disappears is ``removed`` too; other edits ``changed``.
    """
    old = {row.key: row for row in before}
    new = {row.key: row for row in after}
    changes: list[RowChange] = []
    for key, row in new.items():
        if key not in old:
            changes.append(RowChange("added", key, None, row, f"added: {row.summary()}"))
        elif old[key].fields != row.fields:
            changes.append(_changed(old[key], row))
    changes += [
        RowChange("removed", key, row, None, f"no longer listed: {row.summary()}")
        for key, row in old.items()
        if key not in new
    ]
    return changes


def _changed(old: RegistryRow, new: RegistryRow) -> RowChange:
    """An edited row; setting the exclusion date is an exclusion (``removed``), clearing it ``added``."""
    was, now = old.fields.get("excluded", ""), new.fields.get("excluded", "")
    edits = [
        f"{name}: {old.fields.get(name) or '—'} → {new.fields.get(name) or '—'}"
        for name in ordered(set(old.fields) | set(new.fields))
        if old.fields.get(name, "") != new.fields.get(name, "") and name != "excluded"
    ]
    if now and not was:
        return RowChange("removed", new.key, old, new, "; ".join([f"excluded from the registry on {now}", *edits]))
    if was and not now:
        return RowChange("added", new.key, old, new, "; ".join([f"exclusion of {was} lifted", *edits]))
    if was != now:
        edits.insert(0, f"excluded: {was} → {now}")
    return RowChange("changed", new.key, old, new, "; ".join(edits))
