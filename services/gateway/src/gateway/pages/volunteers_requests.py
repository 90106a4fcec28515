"""Requests for volunteers: staff ask (pool, how many, when, where); a coordinator sees the ranked
candidates with the service's reasons and the excluded with theirs, sends offers, follows their state,
books or cancels. Matching and every rule are the volunteers service's; the page shows its reasons."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway import roles
from gateway.csrf import csrf_protect
from gateway.forms import DATE_HINT, TIME_HINT, ShownAt, parse_date, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages.volunteers import (
    ASSIGNMENT_STATUS,
    SERVICE,
    Coordinator,
    Requester,
    act,
    empty_page,
    not_found,
    show,
)
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, nothing, side_by_side

router = APIRouter(prefix="/volunteers/requests", dependencies=[Depends(csrf_protect)], tags=["pages"])
PAGE_SIZE = 50

REQUEST_STATUS = {"open": N_("Öppen"), "filled": N_("Tillsatt"), "cancelled": N_("Inställd")}
STATUS_FILTER = {"": N_("Alla"), **REQUEST_STATUS}
OFFER_STATUS = {
    "sent": N_("Väntar på svar"),
    "accepted": N_("Tackade ja"),
    "declined": N_("Tackade nej"),
    "expired": N_("Svarade inte i tid"),
    "withdrawn": N_("Återkallat"),
}
SOURCES = {"staff": N_("Personal"), "events": N_("Evenemang")}
SEATS_HINT = N_("Skriv hur många personer som behövs, till exempel 2.")
REQUEST_FIELDS = {
    "pool_id": ShownAt("pool_id", N_("Kontrollera poolen.")),
    "seats": ShownAt("seats", SEATS_HINT),
    "starts_at": ShownAt("starts", N_("Kontrollera när uppdraget börjar.")),
    "ends_at": ShownAt("ends", N_("Kontrollera när uppdraget slutar.")),
    "place": ShownAt("place", N_("Kontrollera platsen.")),
    "needs": ShownAt("needs", N_("Kontrollera vad uppdraget gäller.")),
    "area": ShownAt("area", N_("Kontrollera stadsdelen.")),
    "language": ShownAt("language", N_("Kontrollera språket.")),
    "unit": ShownAt("unit", N_("Kontrollera enheten.")),
}


@router.get("", response_class=HTMLResponse)
async def list_requests(
    request: Request,
    _user: Requester,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(|open|filled|cancelled)$")] = "open",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = {"status": status} if status else {}
    page = await services.get_json(
        SERVICE, "/v1/requests", params={"limit": PAGE_SIZE, "offset": offset, **filters}
    )
    return show(
        request,
        "volunteers/requests.html",
        page=page or empty_page(),
        filters={"status": status},
        status_options=translated(STATUS_FILTER),
        statuses=REQUEST_STATUS,
        sources=SOURCES,
    )


class RequestForm(BaseModel):
    pool_id: str = ""
    seats: str = "1"
    day: str = ""
    starts: str = ""
    ends: str = ""
    place: str = ""
    needs: str = ""
    area: str = ""
    language: str = ""
    unit: str = ""
    offer_now: str = ""


def _time_of(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def request_body(form: RequestForm, zone: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body from the form, or what to write differently; whether the time lies in the
    future and the pool is open are the service's rules."""
    errors: dict[str, str] = {}
    if not form.pool_id:
        errors["pool_id"] = _("Välj en pool.")
    seats = form.seats.strip()
    if re.fullmatch(r"[0-9]{1,3}", seats) is None or int(seats) < 1:
        errors["seats"] = _(SEATS_HINT)
    day = parse_date(form.day)
    if day is None:
        errors["day"] = _(DATE_HINT)
    starts, ends = _time_of(form.starts), _time_of(form.ends)
    if starts is None:
        errors["starts"] = _(TIME_HINT)
    if ends is None:
        errors["ends"] = _(TIME_HINT)
    if errors or day is None or starts is None or ends is None:
        return {}, errors
    body: dict[str, Any] = {
        "pool_id": form.pool_id,
        "seats": int(seats),
        "starts_at": datetime.combine(day, starts, zone).isoformat(),
        "ends_at": datetime.combine(day, ends, zone).isoformat(),
        "place": form.place.strip(),
        "needs": form.needs.strip(),
        "area": form.area.strip() or None,
        "language": form.language.strip() or None,
        "unit": form.unit.strip() or None,
        "offer_now": bool(form.offer_now),
    }
    return body, errors


async def _form_page(
    request: Request,
    services: Services,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    pools = await services.get_json(SERVICE, "/v1/pools", params={"limit": 200})
    options = [("", _("Välj en pool"))] + [
        (p["id"], p["name"]) for p in (pools or {}).get("items", []) if p["status"] == "active"
    ]
    return show(
        request,
        "volunteers/request_form.html",
        status_code=status_code,
        values=values,
        errors=errors,
        pool_options=options,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_request(
    request: Request, _user: Requester, services: ServicesDep, pool_id: ServiceId | None = None
) -> Response:
    values = RequestForm(pool_id=pool_id or "", starts="09:00", ends="11:00", offer_now="on").model_dump()
    return await _form_page(request, services, values, {})


@router.post("", response_class=HTMLResponse)
async def create_request(
    request: Request, _user: Requester, services: ServicesDep, form: Annotated[RequestForm, Form()]
) -> Response:
    body, errors = request_body(form, request.app.state.settings.zone)

    async def again(errors: dict[str, str]) -> Response:
        return await _form_page(request, services, form.model_dump(), errors, status_code=400)

    return await send_form(
        services,
        "POST",
        "/v1/requests",
        body,
        errors=errors,
        saved=lambda created: f"/volunteers/requests/{created['id']}",
        again=again,
        refused_at="pool_id",
        fields=REQUEST_FIELDS,
        service=SERVICE,
    )


# One page of each list: a pool of thousands would make a page nobody reads.
CANDIDATES_PER_PAGE = 50
# A reason code as the service writes them ("pool_paused", ":key" for a requirement's).
REASON_CODE = r"^[a-z0-9_:\-]{1,100}$"


@router.get("/{request_id}", response_class=HTMLResponse)
async def show_request(
    request: Request,
    request_id: ServiceId,
    user: Requester,
    services: ServicesDep,
    ranked_from: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    excluded_from: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    reason: Annotated[str | None, Query(pattern=REASON_CODE)] = None,
) -> Response:
    coordinates = user.has_role(*roles.COORDINATE_POOLS)
    paging = urlencode(
        {
            "limit": CANDIDATES_PER_PAGE,
            "offset": ranked_from,
            "excluded_limit": CANDIDATES_PER_PAGE,
            "excluded_offset": excluded_from,
            **({"reason": reason} if reason else {}),
        }
    )
    found, candidates = await side_by_side(
        services.get_json(SERVICE, f"/v1/requests/{request_id}"),
        # Only coordinators of the pool may see who could be asked; the service refuses the others.
        services.get_json(SERVICE, f"/v1/requests/{request_id}/candidates?{paging}")
        if coordinates
        else nothing(),
    )
    if found is None:
        return not_found(request, _("Förfrågan finns inte"))
    return show(
        request,
        "volunteers/request.html",
        found=found,
        candidates=candidates,
        paging={
            "per_page": CANDIDATES_PER_PAGE,
            "ranked_from": ranked_from,
            "excluded_from": excluded_from,
            "reason": reason,
        },
        statuses=REQUEST_STATUS,
        offer_statuses=OFFER_STATUS,
        assignment_statuses=ASSIGNMENT_STATUS,
        sources=SOURCES,
        may_cancel=_may_cancel(found, user),
    )


def _may_cancel(found: dict[str, Any], user: SignedIn) -> bool:
    # Shown to the one who asked and to coordinators; the service decides again.
    if found["status"] == "cancelled":
        return False
    return found["requested_by"] == str(user.user_id) or user.has_role(*roles.COORDINATE_POOLS)


@router.post("/{request_id}/offers", response_class=HTMLResponse)
async def send_offers(
    request: Request, request_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    here = f"/volunteers/requests/{request_id}"
    return await act(services, request, f"/v1/requests/{request_id}/offers", None, f"{here}#offers")


class BookForm(BaseModel):
    volunteer_id: ServiceId


@router.post("/{request_id}/assignments", response_class=HTMLResponse)
async def book(
    request: Request,
    request_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[BookForm, Form()],
) -> Response:
    here = f"/volunteers/requests/{request_id}"
    body = {"volunteer_id": form.volunteer_id}
    return await act(services, request, f"/v1/requests/{request_id}/assignments", body, f"{here}#assignments")


class ReasonForm(BaseModel):
    reason: str = ""


@router.post("/{request_id}/assignments/{assignment_id}/cancel", response_class=HTMLResponse)
async def cancel_assignment(
    request: Request,
    request_id: ServiceId,
    assignment_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[ReasonForm, Form()],
) -> Response:
    path = f"/v1/requests/{request_id}/assignments/{assignment_id}/cancel"
    body = {"reason": form.reason.strip() or None}
    return await act(services, request, path, body, f"/volunteers/requests/{request_id}#assignments")


@router.post("/{request_id}/cancel", response_class=HTMLResponse)
async def cancel_request(
    request: Request,
    request_id: ServiceId,
    _user: Requester,
    services: ServicesDep,
    form: Annotated[ReasonForm, Form()],
) -> Response:
    body = {"reason": form.reason.strip() or None}
    return await act(
        services, request, f"/v1/requests/{request_id}/cancel", body, f"/volunteers/requests/{request_id}"
    )
