"""Volunteers pages for staff: the pools and their requirements, the volunteers with what expires soon,
and a volunteer's page (profile, pools, trainings and certificates, consents). The volunteers service
owns every rule and who sees what (a coordinator only their pools); these pages show its answers and
its reasons. Requests, the work pages and the volunteer's own pages are in pages/volunteers_*.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.forms import ShownAt, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.rendering import problem, refused, render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, ServiceUnavailable, nothing, send, side_by_side

router = APIRouter(prefix="/volunteers", dependencies=[Depends(csrf_protect)], tags=["pages"])

# Staff ask for volunteers; coordinators see their pools' people; administrators every pool.
Requester = Annotated[SignedIn, requires(*roles.REQUEST_VOLUNTEERS)]
Coordinator = Annotated[SignedIn, requires(*roles.COORDINATE_POOLS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_VOLUNTEERS)]
SERVICE = "volunteers"
PAGE_SIZE = 50
# "Expires soon" on the list: the same 30 days as the start page's card in the issue.
SOON_DAYS = 30
# The purpose matching asks about (volunteers.model.OFFERS_PURPOSE): without it nobody gets offers.
OFFERS_PURPOSE = "erbjudanden"

POOL_STATUS = {"active": N_("Öppen"), "closed": N_("Stängd")}
MEMBERSHIP = {
    "applied": N_("Har anmält intresse"),
    "active": N_("Aktiv"),
    "paused": N_("Gör uppehåll"),
    "left": N_("Har slutat"),
}
REQUIREMENT_KINDS = {"training": N_("Utbildning"), "agreement": N_("Avtal"), "certificate": N_("Intyg")}
VOLUNTEER_STATUS = {"active": N_("Aktiv"), "paused": N_("Gör uppehåll"), "erased": N_("Raderad")}
CHANNELS = {"email": N_("E-post"), "sms": N_("SMS"), "phone": N_("Telefon")}
GIVEN_HOW = {
    "form": N_("I ett formulär"),
    "paper": N_("På papper"),
    "email": N_("Med e-post"),
    "phone": N_("På telefon"),
    "link": N_("Via en länk"),
}
PURPOSES = {OFFERS_PURPOSE: N_("Få erbjudanden om uppdrag")}
WEEKDAYS = {
    1: N_("Måndag"),
    2: N_("Tisdag"),
    3: N_("Onsdag"),
    4: N_("Torsdag"),
    5: N_("Fredag"),
    6: N_("Lördag"),
    7: N_("Söndag"),
}
ASSIGNMENT_STATUS = {"confirmed": N_("Bokad"), "cancelled": N_("Avbokad"), "completed": N_("Genomförd")}


def show(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A staff page with what the person's roles let them reach (the tabs show only those)."""
    user: SignedIn = request.state.user
    return render(
        request,
        template,
        status_code=status_code,
        coordinates=user.has_role(*roles.COORDINATE_POOLS),
        manages=user.has_role(*roles.MANAGE_VOLUNTEERS),
        **context,
    )


def empty_page(limit: int = PAGE_SIZE) -> dict[str, Any]:
    return {"items": [], "total": 0, "limit": limit, "offset": 0}


def not_found(request: Request, heading: str) -> Response:
    return problem(
        request, 404, heading, _("Den kan ha tagits bort, eller så hör den inte till dina pooler.")
    )


async def act(services: Services, request: Request, path: str, body: Any, saved: str) -> Response:
    """A button's POST: done and back to `saved`, or the service's reason on an error page."""
    outcome = await send(services, "POST", path, body, service=SERVICE)
    return flash.redirect(saved) if outcome.ok else refused(request, outcome)


def expiring(next_expiry: str | None, today: date) -> str:
    """ "expired", "soon" (within SOON_DAYS) or "" for a volunteer's first expiry date."""
    if not next_expiry:
        return ""
    day = date.fromisoformat(next_expiry)
    if day < today:
        return "expired"
    return "soon" if day <= today + timedelta(days=SOON_DAYS) else ""


# --- Pools -------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def pools(request: Request, user: Requester, services: ServicesDep) -> Response:
    page = await services.get_json(SERVICE, "/v1/pools", params={"limit": 200})
    return show(
        request,
        "volunteers/pools.html",
        page=page or empty_page(200),
        statuses=POOL_STATUS,
        kinds=REQUIREMENT_KINDS,
        memberships=MEMBERSHIP,
        can_coordinate=user.has_role(*roles.COORDINATE_POOLS),
        can_manage=user.has_role(*roles.MANAGE_VOLUNTEERS),
    )


async def fees_of(services: Services, pool_id: str) -> list[dict[str, Any]] | None:
    """A pool's fees; None when they could not be read (refused, or the service failed), which the
    pages say as such: an empty list would tell the person the pool has no fee."""
    try:
        answer = await services.get(SERVICE, f"/v1/pools/{pool_id}/fees")
    except ServiceUnavailable:
        return None
    fees = answer.data()
    return fees if isinstance(fees, list) else None


@router.get("/pools/{pool_id}", response_class=HTMLResponse)
async def pool(request: Request, pool_id: ServiceId, user: Requester, services: ServicesDep) -> Response:
    coordinates = user.has_role(*roles.COORDINATE_POOLS)
    found, fees = await side_by_side(
        services.get_json(SERVICE, f"/v1/pools/{pool_id}"),
        fees_of(services, pool_id) if coordinates else nothing(),
    )
    if found is None:
        return not_found(request, _("Poolen finns inte"))
    return show(
        request,
        "volunteers/pool.html",
        pool=found,
        fees=fees,
        statuses=POOL_STATUS,
        kinds=REQUIREMENT_KINDS,
        memberships=MEMBERSHIP,
        can_coordinate=coordinates,
    )


# --- Volunteers --------------------------------------------------------------------------------------


@router.get("/people", response_class=HTMLResponse)
async def people(
    request: Request,
    _user: Coordinator,
    services: ServicesDep,
    pool_id: Annotated[ServiceId | None, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = {k: v for k, v in {"pool_id": pool_id, "q": q.strip()}.items() if v}
    page, pool_page = await side_by_side(
        services.get_json(
            SERVICE, "/v1/volunteers", params={"limit": PAGE_SIZE, "offset": offset, **filters}
        ),
        services.get_json(SERVICE, "/v1/pools", params={"limit": 200}),
    )
    today = date.today()
    rows = [
        {**person, "expiring": expiring(person.get("next_expiry"), today)}
        for person in (page or empty_page())["items"]
    ]
    return show(
        request,
        "volunteers/people.html",
        page=page or empty_page(),
        rows=rows,
        filters=filters,
        pool_options=[("", _("Alla pooler"))]
        + [(p["id"], p["name"]) for p in (pool_page or {}).get("items", [])],
        memberships=MEMBERSHIP,
        statuses=VOLUNTEER_STATUS,
        soon_days=SOON_DAYS,
    )


async def _person_page(
    request: Request,
    volunteer_id: str,
    services: Services,
    *,
    consent: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    person, pools = await side_by_side(
        services.get_json(SERVICE, f"/v1/volunteers/{volunteer_id}"),
        services.get_json(SERVICE, "/v1/pools", params={"limit": 200}),
    )
    if person is None:
        return not_found(request, _("Personen finns inte"))
    today = date.today()
    # A record holds the requirement's key; the person reads the label the pool gave it.
    labels = {r["key"]: r["label"] for p in (pools or {}).get("items", []) for r in p["requirements"]}
    qualifications = [
        {**q, "label": labels.get(q["key"], q["key"]), "expiring": expiring(q.get("expires_on"), today)}
        for q in person.get("qualifications", [])
    ]
    return show(
        request,
        "volunteers/person.html",
        status_code=400 if errors else 200,
        person=person,
        qualifications=qualifications,
        standing={c["purpose"] for c in person.get("consents", []) if not c.get("withdrawn_at")},
        statuses=VOLUNTEER_STATUS,
        memberships=MEMBERSHIP,
        kinds=REQUIREMENT_KINDS,
        channels=CHANNELS,
        given_how=GIVEN_HOW,
        given_how_options=translated(GIVEN_HOW),
        purposes=PURPOSES,
        purpose_options=translated(PURPOSES),
        weekdays=WEEKDAYS,
        assignment_statuses=ASSIGNMENT_STATUS,
        offers_purpose=OFFERS_PURPOSE,
        consent=consent or {"purpose": OFFERS_PURPOSE, "text_version": "", "given_how": "form"},
        errors=errors or {},
    )


@router.get("/people/{volunteer_id}", response_class=HTMLResponse)
async def person(
    request: Request, volunteer_id: ServiceId, _user: Coordinator, services: ServicesDep
) -> Response:
    return await _person_page(request, volunteer_id, services)


CONSENT_FIELDS = {
    "purpose": ShownAt("purpose", N_("Välj vad samtycket gäller.")),
    "text_version": ShownAt(
        "text_version", N_("Skriv vilken version av texten personen godkände, till exempel 2026-1.")
    ),
    "given_how": ShownAt("given_how", N_("Välj hur personen gav sitt samtycke.")),
}


class ConsentForm(BaseModel):
    purpose: str = ""
    text_version: str = ""
    given_how: str = ""


@router.post("/people/{volunteer_id}/consents", response_class=HTMLResponse)
async def record_consent(
    request: Request,
    volunteer_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[ConsentForm, Form()],
) -> Response:
    """Consent given on paper, by phone or by email, recorded by the coordinator with the text's version.
    What a consent needs is the service's rule; its reason is shown beside the field."""
    body = {
        "purpose": form.purpose,
        "text_version": form.text_version.strip(),
        "given_how": form.given_how,
    }

    async def again(errors: dict[str, str]) -> Response:
        return await _person_page(request, volunteer_id, services, consent=form.model_dump(), errors=errors)

    return await send_form(
        services,
        "POST",
        f"/v1/volunteers/{volunteer_id}/consents",
        body,
        errors={},
        saved=f"/volunteers/people/{volunteer_id}#consents",
        again=again,
        refused_at="text_version",
        fields=CONSENT_FIELDS,
        service=SERVICE,
    )


class WithdrawForm(BaseModel):
    how: str = "form"


@router.post("/people/{volunteer_id}/consents/{consent_id}/withdraw", response_class=HTMLResponse)
async def withdraw_consent(
    request: Request,
    volunteer_id: ServiceId,
    consent_id: ServiceId,
    _user: Coordinator,
    services: ServicesDep,
    form: Annotated[WithdrawForm, Form()],
) -> Response:
    how = form.how if form.how in GIVEN_HOW else "form"
    return await act(
        services,
        request,
        f"/v1/volunteers/{volunteer_id}/consents/{consent_id}/withdraw",
        {"how": how},
        f"/volunteers/people/{volunteer_id}#consents",
    )
