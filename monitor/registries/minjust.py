"""The Russian Ministry of Justice registries (reestrs.minjust.gov.ru): REST JSON, XLSX export fallback.

REST: ``POST /rest/registry/{id}/values`` with ``{"offset", "limit", "search", "facets", "sort"}`` answers
``{"size": total, "values": [{"field_1_i": 1, "field_2_s": "name", ...}]}``. Columns of the unified
foreign-agent register (id ``39b95df9-9a68-6b6d-e1e3-e6388507067e``): 2 name, 3 grounds, 4 inclusion
date, 5 exclusion date, 6 domain names, 7 type, 8 registration number, 9 INN. Published code disagrees on
the undesirable-organizations columns (``c2d1692e-…``): our defaults follow the most common reading (2
name, 3 country, 4 inclusion, 5 exclusion); check them against ``POST /rest/registry/all`` and override
with ``fields:`` in config.yaml.

The XLSX export (``/export``) is rebuilt on every download (a new timestamp in ``docProps/core.xml``), so
it is read as rows, columns matched by their Russian titles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.registries.rows import DATE_FIELDS, RegistryFormatError, RegistryRow, clean, iso_date, make_rows
from monitor.registries.xlsx import read_sheet

DEFAULT_FIELDS: dict[str, dict[str, str]] = {
    "minjust_foreign_agents": {
        "name": "field_2_s",
        "grounds": "field_3_s",
        "included": "field_4_s",
        "excluded": "field_5_s",
        "domain": "field_6_s",
        "type": "field_7_s",
        "reg_no": "field_8_s",
        "inn": "field_9_s",
    },
    "minjust_undesirable": {
        "name": "field_2_s",
        "country": "field_3_s",
        "included": "field_4_s",
        "excluded": "field_5_s",
    },
}

#: XLSX column titles → field, first match wins (titles vary between exports; matched case-blind).
_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("excluded", r"исключ"),
        ("included", r"включ.*дата|дата.*включ|^дата\s+(принятия\s+)?решения"),
        ("grounds", r"основани"),
        ("reg_no", r"регистрационн|рег\.\s*н"),
        ("inn", r"\bинн\b"),
        ("domain", r"домен|ресурс|сайт"),
        ("type", r"^вид\b|^тип\b|категори"),
        ("country", r"^стран|государство"),
        ("name", r"наименован|\bфио\b|ф\.и\.о"),
    )
)


def values_body(offset: int, limit: int) -> bytes:
    """The JSON body of one ``/values`` page request."""
    return json.dumps({"offset": offset, "limit": limit, "search": "", "facets": {}, "sort": []}).encode()


def parse_values(body: bytes, kind: str, fields: Mapping[str, str] | None = None) -> tuple[int, list[dict[str, str]]]:
    """One ``/values`` page → (``size``, raw rows as canonical fields). RegistryFormatError if not that shape."""
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("values"), list):
        raise RegistryFormatError('expected a JSON object {"size", "values": [...]}')
    try:
        size = int(data.get("size", len(data["values"])))
    except (TypeError, ValueError):
        raise RegistryFormatError(f"'size' is not a number: {data.get('size')!r}") from None
    mapping = {**DEFAULT_FIELDS.get(kind, {}), **(fields or {})}
    rows = []
    for value in data["values"]:
        if not isinstance(value, dict):
            raise RegistryFormatError(f"a row is not an object: {str(value)[:80]!r}")
        rows.append(_canonical({name: value.get(column) for name, column in mapping.items()}))
    if rows and not any(row.get("name") for row in rows):
        # Renamed columns would otherwise read as a register whose every entry vanished.
        raise RegistryFormatError(f"no row has a value in the name column {mapping.get('name')!r}: set fields:")
    return size, rows


def rows_from_pages(pages: Sequence[tuple[int, list[dict[str, str]]]]) -> list[RegistryRow]:
    """All pages of one fetch → rows; RegistryFormatError when they do not add up to the announced size
    (a register edited between two page requests, or a short page): a partial list must never diff."""
    raw = [row for _, rows in pages for row in rows]
    sizes = {size for size, _ in pages}
    if len(sizes) > 1 or (sizes and len(raw) != sizes.pop()):
        raise RegistryFormatError(
            f"incomplete: got {len(raw)} rows, the registry announced {sorted({s for s, _ in pages})}"
        )
    return make_rows(raw)


def info_url(values_url: str) -> str:
    """``…/rest/registry/{id}/values`` → ``…/rest/registry/{id}/info`` (column ids and titles)."""
    return values_url.split("#")[0].rstrip("/").rsplit("/", 1)[0] + "/info"


def parse_columns(body: bytes, kind: str, fields: Mapping[str, str] | None = None) -> list[dict[str, str | None]]:
    """``/info`` → per column: its id, title, the field its title suggests, and the field it is mapped to."""
    data = _json(body)
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list):
        keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise RegistryFormatError(f"no 'columns' list in the answer ({keys})")
    mapped = {column: name for name, column in {**DEFAULT_FIELDS.get(kind, {}), **(fields or {})}.items()}
    return [
        {"id": clean(c.get("name")), "title": clean(c.get("title")), "suggests": title_field(str(c.get("title") or "")),
         "mapped_to": mapped.get(clean(c.get("name")))}
        for c in columns
        if isinstance(c, dict)
    ]  # fmt: skip


def parse_export(body: bytes) -> list[RegistryRow]:
    """The XLSX export → rows: the first row whose cells name a ``name`` column is the header."""
    table = read_sheet(body)
    heads = [i for i, header in enumerate(table) if "name" in [title_field(cell) for cell in header]]
    if not heads:
        raise RegistryFormatError("no header row with a name column (Полное наименование / ФИО) in the export")
    index = heads[0]
    columns = [title_field(cell) for cell in table[index]]
    raw = []
    for cells in table[index + 1 :]:
        fields = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(columns) if name}
        raw.append(_canonical(fields))
    return make_rows(raw)


def title_field(title: str) -> str | None:
    """Our field for a column title (``Дата принятия решения о включении`` → ``included``), or None."""
    text = clean(title)
    return next((name for name, pattern in _TITLES if pattern.search(text)), None) if text else None


def _canonical(fields: Mapping[str, Any]) -> dict[str, str]:
    return {name: iso_date(value) if name in DATE_FIELDS else clean(value) for name, value in fields.items()}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        start = body[:60].decode("utf-8", "replace").strip()
        raise RegistryFormatError(f"not JSON (starts with {start!r})") from None
