"""The start page: next meetings, open action items by owner, recently published minutes, and cards
from the other services (open volunteer requests, certificates running out, failing deliveries,
upcoming events), each for the people whose role may see it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gateway import roles
from gateway.auth import CurrentUser
from gateway.rendering import render_kept
from gateway.upstream import Answer, Services, ServicesDep, ServiceUnavailable

router = APIRouter(tags=["pages"])

# A few lines on each card; the card's link leads to the whole list.
CARD_LINES = 5
# Certificates and trainings "expiring soon" on the start page (issue 10: within 30 days).
EXPIRY_DAYS = 30


@dataclass(frozen=True)
class Card:
    """One card from one service: who may see it, what to ask, and how its answer reads."""

    name: str
    roles: tuple[str, ...]
    call: Callable[[Services], Awaitable[Answer]]


def _this_minute() -> str:
    # The same URL all minute, so the service's ETag (which rolls over with the minute) can hold.
    return datetime.now(UTC).replace(second=0, microsecond=0).isoformat()


CARDS = (
    Card(
        "volunteer_requests",
        roles.REQUEST_VOLUNTEERS,
        lambda s: s.get("volunteers", "/v1/requests", params={"status": "open", "limit": CARD_LINES}),
    ),
    Card(
        "expiring",
        roles.COORDINATE_POOLS,
        lambda s: s.get(
            "volunteers", "/v1/summary/expiring", params={"days": EXPIRY_DAYS, "limit": CARD_LINES}
        ),
    ),
    Card("failing_deliveries", roles.ADMINISTER, lambda s: s.get("notify", "/v1/deliveries/failing")),
    Card(
        "events",
        roles.READ_EVENTS,
        lambda s: s.get(
            "events",
            "/v1/events",
            params={"from": _this_minute(), "status": "published", "limit": CARD_LINES},
        ),
    ),
)


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    can_manage = user.has_role(*roles.MANAGE_MEETINGS)
    reads_meetings = user.has_role(*roles.READ_MEETINGS)
    cards = [card for card in CARDS if user.has_role(*card.roles)]
    calls: list[Awaitable[Answer | None]] = [_answer(card.call(services)) for card in cards]
    if reads_meetings:
        # One call for the meetings cards (next five meetings, open action items, latest published
        # minutes, read in one snapshot); the same URL all minute, so its ETag can answer 304.
        calls.append(_answer(services.get("meetings", "/v1/overview")))
    # Side by side, each on its own: a service that is down leaves its card saying so, not the page.
    answers = await asyncio.gather(*calls)
    overview = answers[-1] if reads_meetings else None
    card_answers = dict(zip((card.name for card in cards), answers, strict=False))

    def context() -> dict[str, Any]:
        return {
            **_meetings_context(
                (overview.data() or {}) if overview is not None else None, can_manage, reads_meetings
            ),
            "cards": {name: _card_data(answer) for name, answer in card_answers.items()},
        }

    # Kept while every answer is what it was (by ETag, or by body where a service gives none) and
    # every card that could not be loaded still cannot; the first change renders it again.
    return render_kept(request, "pages/start.html", answers, context)


async def _answer(call: Awaitable[Answer]) -> Answer | None:
    try:
        return await call
    except ServiceUnavailable:
        return None


def _card_data(answer: Answer | None) -> dict[str, Any] | None:
    """The card's answer; None when it could not be loaded (down, or refused by the service)."""
    if answer is None:
        return None
    data = answer.data()
    return data if isinstance(data, dict) else None


def _meetings_context(
    overview: dict[str, Any] | None, can_manage: bool, reads_meetings: bool
) -> dict[str, Any]:
    """The page's lists from the overview; None when meetings cannot be reached."""
    action_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in (overview or {}).get("open_action_items", {}).get("items", []):
        action_items[item.get("owner_name") or ""].append(item)
    # People with items first, alphabetically; items nobody owns last.
    by_owner = dict(sorted(action_items.items(), key=lambda kv: (kv[0] == "", kv[0].casefold())))
    return {
        "reads_meetings": reads_meetings,
        "meetings": None if overview is None else list(overview.get("next_meetings", {}).get("items", [])),
        "action_items": by_owner,
        "minutes": (overview or {}).get("published_minutes", {}).get("items", []),
        "can_manage": can_manage,
    }

