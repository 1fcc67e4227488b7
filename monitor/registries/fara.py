"""US FARA registrant lists: ``efile.fara.gov/api/v1/Registrants/json/Active`` and ``.../Terminated``.

The API wraps rows as ``{"REGISTRANTS_ACTIVE": {"ROW": [...]}}`` (``REGISTRANTS_TERMINATED`` for the
other list; other endpoints use ``ROWSET``); one row comes as an object instead of a list, an empty set
as ``""``. Rows are ``Registration_Number``, ``Name``, ``Business_Name``, ``Address_1``, ``City``,
``State``, ``Zip``, ``Registration_Date`` and, terminated, ``Termination_Date`` (``MM/DD/YYYY``); key
casing has varied between endpoints, so keys are matched case-blind. The host sometimes serves its HTML
CMS page instead of JSON: that is a format error, never an empty list.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.registries.rows import RegistryFormatError, RegistryRow, clean, iso_date, make_rows

_WRAPPERS = ("registrants_active", "registrants_terminated", "registrants", "rowset")
_FIELDS = {
    "registration_number": "reg_no",
    "name": "name",
    "business_name": "business_name",
    "registration_date": "included",
    "termination_date": "excluded",
    "city": "city",
    "state": "state",
    "country": "country",
}


def parse_registrants(body: bytes) -> list[RegistryRow]:
    """A FARA Active/Terminated JSON response → rows keyed by registration number."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        start = body[:60].decode("utf-8", "replace").strip()
        raise RegistryFormatError(f"not JSON (starts with {start!r})") from None
    rows = [_fields(row) for row in _unwrap(data)]
    if rows and not any(row.get("reg_no") for row in rows):
        raise RegistryFormatError("no row has a Registration_Number (did the API rename its fields?)")
    return make_rows(row for row in rows if row.get("reg_no"))


def _unwrap(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise RegistryFormatError("expected a JSON object such as {'REGISTRANTS_ACTIVE': {'ROW': [...]}}")
    lowered = {str(k).lower(): v for k, v in data.items()}
    wrapper = next((lowered[w] for w in _WRAPPERS if w in lowered), None)
    if wrapper is None:
        raise RegistryFormatError(f"no REGISTRANTS_ACTIVE/REGISTRANTS_TERMINATED/ROWSET key (keys: {sorted(data)[:5]})")
    if wrapper in ("", None):
        return []
    rows = wrapper.get("ROW", wrapper.get("row", [])) if isinstance(wrapper, dict) else wrapper
    rows = [rows] if isinstance(rows, dict) else rows
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RegistryFormatError("ROW is neither a list of objects nor one object")
    return rows


def _fields(row: dict[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in row.items():
        name = _FIELDS.get(str(key).lower().replace("_x0020_", "_"))
        if name is not None:
            result[name] = iso_date(value) if name in ("included", "excluded") else clean(value)
    return result
