"""The start page: next meetings, open action items by owner, recently published minutes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import CurrentUser
from gateway.rendering import render, render_kept
from gateway.upstream import ServicesDep, ServiceUnavailable

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    can_manage = user.has_role(*roles.MANAGE_MEETINGS)
    if not user.has_role(*roles.READ_MEETINGS):
        return render(request, "pages/start.html", **_context({}, can_manage))
    try:
        # One call for the whole page (next five meetings, open action items, latest published
        # minutes, read in one snapshot); the same URL all minute, so its ETag can answer 304, and
        # then the page rendered from it last time is shown again.
        answer = await services.get("meetings", "/v1/overview")
    except ServiceUnavailable:
        return render(request, "pages/start.html", **_context(None, can_manage))
    return render_kept(
        request, "pages/start.html", [answer], lambda: _context(answer.data() or {}, can_manage)
    )


def _context(overview: dict[str, Any] | None, can_manage: bool) -> dict[str, Any]:
    """The page's lists from the overview; None when meetings cannot be reached."""
    action_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in (overview or {}).get("open_action_items", {}).get("items", []):
        action_items[item.get("owner_name") or ""].append(item)
    # People with items first, alphabetically; items nobody owns last.
    by_owner = dict(sorted(action_items.items(), key=lambda kv: (kv[0] == "", kv[0].casefold())))
    return {
        "meetings": None if overview is None else list(overview.get("next_meetings", {}).get("items", [])),
        "action_items": by_owner,
        "minutes": (overview or {}).get("published_minutes", {}).get("items", []),
        "can_manage": can_manage,
    }
