"""The start page: next meetings, open action items by owner, recently published minutes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import CurrentUser
from gateway.rendering import render
from gateway.upstream import ServicesDep, ServiceUnavailable, side_by_side

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    meetings: list[dict[str, Any]] | None = []
    action_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    minutes: list[dict[str, Any]] = []
    if user.has_role(*roles.READ_MEETINGS):
        try:
            page, items, published = await side_by_side(
                services.get_json(
                    "meetings", "/v1/meetings", params={"from": datetime.now(UTC).isoformat(), "limit": 5}
                ),
                services.get_json("meetings", "/v1/action-items", params={"status": "open", "limit": 50}),
                services.get_json("meetings", "/v1/minutes", params={"status": "published", "limit": 5}),
            )
            meetings = list((page or {}).get("items", []))
            for item in (items or {}).get("items", []):
                action_items[item.get("owner_name") or ""].append(item)
            minutes = (published or {}).get("items", [])
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
