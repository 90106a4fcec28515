"""The start page: next meetings, open action items by owner, recently published minutes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import CurrentUser
from gateway.rendering import render
from gateway.upstream import ServicesDep, ServiceUnavailable

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    meetings: list[dict[str, Any]] | None = []
    action_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    minutes: list[dict[str, Any]] = []
    if user.has_role(*roles.READ_MEETINGS):
        try:
            # One call for the whole page (next five meetings, open action items, latest published
            # minutes, read in one snapshot); the same URL all minute, so its ETag can answer 304.
            overview = await services.get_json("meetings", "/v1/overview") or {}
            meetings = list(overview.get("next_meetings", {}).get("items", []))
            for item in overview.get("open_action_items", {}).get("items", []):
                action_items[item.get("owner_name") or ""].append(item)
            minutes = overview.get("published_minutes", {}).get("items", [])
        except ServiceUnavailable:
            meetings = None
    # People with items first, alphabetically; items nobody owns last.
    by_owner = dict(sorted(action_items.items(), key=lambda kv: (kv[0] == "", kv[0].casefold())))
    return render(
        request,
        "pages/start.html",
        meetings=meetings,
        action_items=by_owner,
        minutes=minutes,
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )
