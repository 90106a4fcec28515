"""Rights requests for administrators: ask for everything held about a volunteer (export) or for its
erasure, and see where each request stands: which services have answered and which are awaited.
Whether a request may be made (upcoming assignments, already erased) is the volunteers service's rule."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages.volunteers import SERVICE, Manager, act, empty_page, not_found, show
from gateway.rendering import problem
from gateway.upstream import ServicesDep, ServiceUnavailable

router = APIRouter(prefix="/volunteers/rights", dependencies=[Depends(csrf_protect)], tags=["pages"])
PAGE_SIZE = 50
KINDS = {"export": N_("Registerutdrag"), "erasure": N_("Radering")}
STATUS = {"waiting": N_("Väntar på svar"), "complete": N_("Klar"), "failed": N_("Misslyckades")}
STATUS_FILTER = {"": N_("Alla"), **STATUS}
ANSWERS = {"done": N_("Klart"), "nothing_held": N_("Hade inget om personen"), "failed": N_("Misslyckades")}


@router.get("", response_class=HTMLResponse)
async def rights_requests(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(|waiting|complete|failed)$")] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = {"status": status} if status else {}
    page = await services.get_json(
        SERVICE, "/v1/rights/requests", params={"limit": PAGE_SIZE, "offset": offset, **filters}
    )
    return show(
        request,
        "volunteers/rights.html",
        page=page or empty_page(),
        filters={"status": status},
        status_options=translated(STATUS_FILTER),
        statuses=STATUS,
        kinds=KINDS,
    )


class RightsForm(BaseModel):
    kind: str = ""
    volunteer_id: ServiceId


@router.post("", response_class=HTMLResponse)
async def make_request(
    request: Request, _user: Manager, services: ServicesDep, form: Annotated[RightsForm, Form()]
) -> Response:
    if form.kind not in KINDS:
        return problem(request, 400, _("Det gick inte"), _("Välj registerutdrag eller radering."))
    body = {"kind": form.kind, "volunteer_id": form.volunteer_id}
    return await act(services, request, "/v1/rights/requests", body, "/volunteers/rights")


@router.get("/{request_id}", response_class=HTMLResponse)
async def rights_request(
    request: Request, request_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    found = await services.get_json(SERVICE, f"/v1/rights/requests/{request_id}")
    if found is None:
        return not_found(request, _("Begäran finns inte"))
    return show(
        request, "volunteers/rights_request.html", found=found, statuses=STATUS, kinds=KINDS, answers=ANSWERS
    )


@router.get("/{request_id}/export.json")
async def export_file(
    request: Request, request_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    answer = await services.call(SERVICE, "GET", f"/v1/rights/requests/{request_id}/export")
    if answer.status_code >= 500:
        raise ServiceUnavailable(SERVICE)
    if answer.status_code >= 400:
        return not_found(request, _("Begäran finns inte"))
    return Response(
        content=json.dumps(answer.json(), ensure_ascii=False, indent=2).encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="registerutdrag-{request_id}.json"',
            # Everything held about a person: kept by no cache.
            "Cache-Control": "no-store",
        },
    )
