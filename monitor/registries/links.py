"""Which registry rows an outlet names as its own: exact registration number, INN or name, nothing fuzzy.

An outlet's ``registry:`` entries in config.yaml are a reviewed mapping; a link that matches no row (or
several) is reported as such by ``press-monitor compliance``, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.config import Config, Outlet, Registry, RegistryLink
from monitor.registries.rows import RegistryRow, clean, name_key

KIND_JURISDICTION = {
    "minjust_foreign_agents": "ru",
    "minjust_undesirable": "ru",
    "fara_active": "us",
    "fara_terminated": "us",
}
#: The page category a designation in this kind of registry mandates (or announces) on the outlet's content.
KIND_CATEGORY = {
    "minjust_foreign_agents": "foreign_agent_label",
    "minjust_undesirable": "undesirable_label",
    "fara_active": "foreign_agent_label",
    "fara_terminated": "foreign_agent_label",
}


def matches(link: RegistryLink, row: RegistryRow) -> bool:
    """Whether ``row`` is the entry ``link`` names (numbers compared as written, names case/space-blind)."""
    if link.reg_no is not None:
        return clean(link.reg_no) == row.fields.get("reg_no")
    if link.inn is not None:
        return clean(link.inn) == row.fields.get("inn")
    return link.name is not None and name_key(link.name) == name_key(row.name)


def linked_outlet(config: Config, registry: Registry, row: RegistryRow) -> Outlet | None:
    """The watchlist outlet that names ``row`` of ``registry`` as its own entry, if any."""
    for outlet in config.outlets:
        if any(link.registry == registry.name and matches(link, row) for link in outlet.registry):
            return outlet
    return None


def find(link: RegistryLink, rows: Sequence[RegistryRow]) -> list[RegistryRow]:
    return [row for row in rows if matches(link, row)]


def jurisdiction(registry: Registry) -> str:
    return registry.jurisdiction or KIND_JURISDICTION[registry.kind]
