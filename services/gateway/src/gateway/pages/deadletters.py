"""Dead letters for administrators: the messages every service could not handle, with why, and a
way to have the service try one again (replay) or set it aside for good (discard).

Each service keeps and replays its own (backbone.deadletter_admin); this page only gathers them,
so it needs no rights of its own on the bus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.i18n import _
from gateway.rendering import problem, render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, ServiceUnavailable, send, side_by_side

router = APIRouter(prefix="/admin/dead-letters", dependencies=[Depends(csrf_protect)], tags=["pages"])
# Payloads may carry names and addresses: administrators only.
Admin = Annotated[SignedIn, requires(*roles.ADMINISTER)]
PATH = "/v1/admin/dead-letters"
# A service's name as the upstreams table has it; anything else never reaches a URL.
ServiceName = Annotated[str, PathParam(pattern=r"^[a-z]{1,40}$")]
# A page shows this many, newest first, from all services together; each service is asked for as many
# (each payload cut to 16 KiB by the service), so a page stays far below what the gateway takes.
PAGE = 25
# Beyond any letter's id, and below every one: where a page starts in a service ordered before or
# after the one of the page's last letter (the order is time, then service, then id, all newest first).
_ALL_IDS = 2**63 - 1
_NO_IDS = 0


@dataclass(frozen=True)
class Cursor:
    """The last letter of the page before: the next page shows those after it in the order."""

    at: dt.datetime
    service: str
    id: int

    def start_in(self, service: str) -> dict[str, Any]:
        """The service's own keyset (before_at, before_id) for the letters after this one."""
        before_id = self.id if service == self.service else _ALL_IDS if service < self.service else _NO_IDS
        return {"before_at": self.at.isoformat(), "before_id": before_id}


def _services(request: Request) -> list[str]:
    return sorted(request.app.state.upstreams)


def _key(letter: dict[str, Any]) -> tuple[dt.datetime, str, int]:
    return (dt.datetime.fromisoformat(letter["dead_lettered_at"]), letter["service"], letter["id"])


async def _letters_of(
    services: Services, service: str, include_resolved: bool, cursor: Cursor | None
) -> dict[str, Any] | None:
    """One service's dead letters; None when it cannot be reached (the others are still shown)."""
    params: dict[str, Any] = {"include_resolved": include_resolved, "limit": PAGE}
    if cursor is not None:
        params |= cursor.start_in(service)
    try:
        answer = await services.get(service, PATH, params=params)
    except ServiceUnavailable:
        return None
    return answer.data() if answer.status_code == 200 else None


async def _page(
    request: Request,
    services: Services,
    *,
    service: str = "",
    include_resolved: bool = False,
    cursor: Cursor | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    names = _services(request)
    asked = [service] if service in names else names
    pages = await side_by_side(*(_letters_of(services, name, include_resolved, cursor) for name in asked))
    gathered = sorted((letter for page in pages if page for letter in page["items"]), key=_key, reverse=True)
    letters = gathered[:PAGE]
    more = len(gathered) > PAGE or any(page and page.get("next") for page in pages)
    older = None
    if more and letters:
        at, last_service, last_id = _key(letters[-1])
        older = {"before_at": at.isoformat(), "before_service": last_service, "before_id": last_id}
    return render(
        request,
        "admin/deadletters.html",
        status_code=status_code,
        letters=letters,
        unreachable=[name for name, page in zip(asked, pages, strict=True) if page is None],
        services=names,
        service=service if service in names else "",
        include_resolved=include_resolved,
        older=older,
        paged=cursor is not None,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
async def dead_letters(
    request: Request,
    _admin: Admin,
    services: ServicesDep,
    service: Annotated[str, Query(max_length=40)] = "",
    resolved: Annotated[bool, Query()] = False,
    before_at: Annotated[dt.datetime | None, Query()] = None,
    before_service: Annotated[str, Query(pattern=r"^[a-z]{0,40}$")] = "",
    before_id: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    cursor = Cursor(before_at, before_service, before_id) if before_at is not None else None
    return await _page(request, services, service=service, include_resolved=resolved, cursor=cursor)


async def _act(request: Request, services: Services, service: str, letter_id: int, action: str) -> Response:
    if service not in _services(request):
        return problem(request, 404, _("Tjänsten finns inte"), _("Gå tillbaka till listan och välj igen."))
    body = {"note": _("Kastad av en administratör.")} if action == "discard" else None
    outcome = await send(services, "POST", f"{PATH}/{letter_id}/{action}", body, service=service)
    if not outcome.ok:
        return await _page(request, services, error=outcome.message, status_code=outcome.status_code)
    if action == "replay" and outcome.data and outcome.data.get("status") != "replayed":
        return flash.redirect("/admin/dead-letters", "dead_letter_not_handled")
    return flash.redirect(
        "/admin/dead-letters", "dead_letter_replayed" if action == "replay" else "dead_letter_discarded"
    )


@router.post("/{service}/{letter_id}/replay", response_class=HTMLResponse)
async def replay(
    request: Request, _admin: Admin, services: ServicesDep, service: ServiceName, letter_id: int
) -> Response:
    return await _act(request, services, service, letter_id, "replay")


@router.post("/{service}/{letter_id}/discard", response_class=HTMLResponse)
async def discard(
    request: Request, _admin: Admin, services: ServicesDep, service: ServiceName, letter_id: int
) -> Response:
    return await _act(request, services, service, letter_id, "discard")
