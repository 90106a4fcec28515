"""Dead letters for administrators: the messages every service could not handle, with why, and a
way to have the service try one again (replay) or set it aside for good (discard).

Each service keeps and replays its own (backbone.deadletter_admin); this page only gathers them,
so it needs no rights of its own on the bus.
"""

from __future__ import annotations

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
PER_SERVICE = 200


def _services(request: Request) -> list[str]:
    return sorted(request.app.state.upstreams)


async def _letters_of(services: Services, service: str, include_resolved: bool) -> dict[str, Any] | None:
    """One service's dead letters; None when it cannot be reached (the others are still shown)."""
    try:
        answer = await services.get(
            service, PATH, params={"include_resolved": include_resolved, "limit": PER_SERVICE}
        )
    except ServiceUnavailable:
        return None
    return answer.data() if answer.status_code == 200 else None


async def _page(
    request: Request,
    services: Services,
    *,
    service: str = "",
    include_resolved: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    names = _services(request)
    asked = [service] if service in names else names
    pages = await side_by_side(*(_letters_of(services, name, include_resolved) for name in asked))
    letters = sorted(
        (letter for page in pages if page for letter in page["items"]),
        key=lambda letter: letter["dead_lettered_at"],
        reverse=True,
    )
    return render(
        request,
        "admin/deadletters.html",
        status_code=status_code,
        letters=letters,
        unreachable=[name for name, page in zip(asked, pages, strict=True) if page is None],
        services=names,
        service=service if service in names else "",
        include_resolved=include_resolved,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
async def dead_letters(
    request: Request,
    _admin: Admin,
    services: ServicesDep,
    service: Annotated[str, Query(max_length=40)] = "",
    resolved: Annotated[bool, Query()] = False,
) -> Response:
    return await _page(request, services, service=service, include_resolved=resolved)


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
