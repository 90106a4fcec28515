"""Option lists that pages fill from the services (what a person can pick in a select)."""

from __future__ import annotations

from gateway.i18n import _
from gateway.upstream import Services


async def group_options(services: Services) -> list[tuple[str, str]]:
    """The meeting groups, after a first "no group" choice."""
    groups = await services.get_json("meetings", "/v1/groups", params={"limit": 200})
    return [("", _("Ingen grupp"))] + [(g["id"], g["name"]) for g in (groups or {}).get("items", [])]


async def group_filter_options(services: Services) -> list[tuple[str, str]]:
    """The meeting groups, after a first "all groups" choice, for filtering a list."""
    return [("", _("Alla grupper")), *(await group_options(services))[1:]]
