"""Events pages: staff's list, editor, programme and registrations, and the public event pages with
registration, confirmation and the answers to personal links (cancel, confirm or decline an offer)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from backbone.correlation import REQUEST_ID_HEADER, current_request_id
from backbone.identity import Identity
from gateway import flash, roles, throttle
from gateway.auth import client_ip, requires
from gateway.csrf import csrf_protect
from gateway.forms import DATE_HINT, TIME_HINT, ShownAt, parse_date, send_form
from gateway.i18n import N_, _, current_locale
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import (
    MINTED,
    Answer,
    Outcome,
    Services,
    ServicesDep,
    ServiceUnavailable,
    send,
    side_by_side,
    with_query,
)

router = APIRouter(prefix="/events", dependencies=[Depends(csrf_protect)], tags=["pages"])
public_router = APIRouter(prefix="/evenemang", dependencies=[Depends(csrf_protect)], tags=["pages"])

Reader = Annotated[SignedIn, requires(*roles.READ_EVENTS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_EVENTS)]
# Representatives register their own organisation's people; the service checks the scope.
Registrar = Annotated[SignedIn, requires(*roles.REGISTER_FOR_EVENTS)]
PAGE_SIZE = 20
PUBLIC_PAGE_SIZE = 50
# The event page lists this many registrations and says so when there are more.
REGISTRATIONS_SHOWN = 200
SERVICE = "events"

KINDS = {
    "meeting": N_("Möte"),
    "lecture": N_("Föreläsning"),
    "conference": N_("Konferens"),
    "workshop": N_("Workshop"),
    "party": N_("Fest"),
    "dialogue": N_("Dialog"),
    "open_meeting": N_("Öppet möte"),
    "other": N_("Annat"),
}
STATUS = {
    "draft": N_("Utkast"),
    "published": N_("Publicerat"),
    "changed": N_("Ändrat"),
    "cancelled": N_("Inställt"),
}
AUDIENCES = {
    "public": N_("Alla (öppet för allmänheten)"),
    "staff": N_("Bara personal"),
    "groups": N_("Medlemmar i vissa grupper"),
}
REGISTRATION = {"open": N_("Anmälan här"), "none": N_("Ingen anmälan här (bara information)")}
WAITLIST = {
    "offer": N_("Den första i kön får ett erbjudande att tacka ja eller nej till"),
    "promote": N_("Den första i kön får platsen direkt"),
}
REGISTRATION_STATUS = {
    "registered": N_("Har plats"),
    "offered": N_("Har fått ett erbjudande"),
    "waiting": N_("På väntelistan"),
    "cancelled": N_("Avbokad"),
    "declined": N_("Tackade nej"),
    "expired": N_("Svarade inte i tid"),
}
# The waiting list with its open offers, and those who no longer hold or wait for a place.
WAITING = ("offered", "waiting")
GONE = ("cancelled", "declined", "expired")
NEEDS = {
    "interpreter": N_("Tolk"),
    "easy_swedish": N_("Lätt svenska"),
    "assistance": N_("Hjälp på plats"),
    "wheelchair": N_("Plats för rullstol"),
}
CHANGES = {
    "published": N_("Publicerat"),
    "rescheduled": N_("Ny tid"),
    "moved": N_("Ny plats"),
    "cancelled": N_("Inställt"),
}


def _empty_page() -> dict[str, Any]:
    return {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0}


def _not_found(request: Request) -> Response:
    return render(
        request,
        "pages/error.html",
        status_code=404,
        heading=_("Evenemanget finns inte"),
        message=_("Gå tillbaka till listan över evenemang."),
    )


# --- Staff -------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def list_events(
    request: Request,
    user: Reader,
    services: ServicesDep,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # Upcoming first: the service orders by start, and leaves out what ended before `from`.
    params = {"limit": PAGE_SIZE, "offset": offset, "from": datetime.now(UTC).isoformat()}
    page = await services.get_json(SERVICE, "/v1/events", params=params)
    return render(
        request,
        "events/list.html",
        page=page or _empty_page(),
        statuses=STATUS,
        can_manage=user.has_role(*roles.MANAGE_EVENTS),
    )


def _blank() -> dict[str, str]:
    return {
        "title": "",
        "description_sv": "",
        "kind": "other",
        "venue_name": "",
        "venue_address": "",
        "accessibility_notes": "",
        "day": "",
        "starts": "13:00",
        "end_day": "",
        "ends": "15:00",
        "audience": "public",
        "registration": "open",
        "external_url": "",
        "capacity": "",
        "waitlist_mode": "offer",
        "offer_hours": "48",
        "asks_accessibility": "",
        "asks_food": "",
        "version": "",
    }


def _values_of(event: dict[str, Any], zone: ZoneInfo) -> dict[str, str]:
    starts = datetime.fromisoformat(event["starts_at"]).astimezone(zone)
    ends = datetime.fromisoformat(event["ends_at"]).astimezone(zone)
    return {
        "title": event["title"],
        "description_sv": event["description_sv"] or "",
        "kind": event["kind"],
        "venue_name": event["venue_name"] or "",
        "venue_address": event["venue_address"] or "",
        "accessibility_notes": event["accessibility_notes"] or "",
        "day": starts.date().isoformat(),
        "starts": starts.strftime("%H:%M"),
        "end_day": ends.date().isoformat() if ends.date() != starts.date() else "",
        "ends": ends.strftime("%H:%M"),
        "audience": event["audience"],
        "registration": event["registration"],
        "external_url": event["external_url"] or "",
        "capacity": "" if event["capacity"] is None else str(event["capacity"]),
        "waitlist_mode": event["waitlist_mode"],
        "offer_hours": str(event.get("offer_hours", 48)),
        "asks_accessibility": "on" if event["asks_accessibility"] else "",
        "asks_food": "on" if event["asks_food"] else "",
        "version": str(event.get("version", "")),
    }


CAPACITY_HINT = N_(
    "Skriv hur många platser det finns, till exempel 40. Lämna tomt om det inte finns någon gräns."
)
HOURS_HINT = N_("Skriv hur många timmar ett erbjudande gäller, till exempel 48.")
EVENT_FIELDS = {
    "title": ShownAt("title", N_("Kontrollera vad evenemanget heter.")),
    "starts_at": ShownAt("starts", N_("Kontrollera när evenemanget börjar.")),
    "ends_at": ShownAt("ends", N_("Kontrollera när evenemanget slutar.")),
    "(request)": ShownAt("ends", N_("Kontrollera när evenemanget börjar och slutar.")),
    "venue_name": ShownAt("venue_name", N_("Kontrollera platsen.")),
    "venue_address": ShownAt("venue_address", N_("Kontrollera adressen.")),
    "external_url": ShownAt("external_url", N_("Kontrollera länken.")),
    "capacity": ShownAt("capacity", CAPACITY_HINT),
    "offer_hours": ShownAt("offer_hours", HOURS_HINT),
    "description_sv": ShownAt("description_sv", N_("Kontrollera beskrivningen.")),
}


def _time_of(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def _number(text: str) -> bool:
    """Whether `text` is a whole number int() reads: str.isdigit also takes "²", which int() refuses."""
    return re.fullmatch(r"[0-9]{1,6}", text) is not None


def event_body(values: dict[str, str], zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body from the form, or what the person must write differently. Rules over the
    event (ending after the start, capacity and registrations) are the service's own."""
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = _("Skriv vad evenemanget heter.")
    day = parse_date(values["day"])
    if day is None:
        errors["day"] = _(DATE_HINT)
    end_day: date | None = day
    if values["end_day"].strip():
        end_day = parse_date(values["end_day"])
        if end_day is None:
            errors["end_day"] = _(DATE_HINT)
    starts, ends = _time_of(values["starts"]), _time_of(values["ends"])
    if starts is None:
        errors["starts"] = _(TIME_HINT)
    if ends is None:
        errors["ends"] = _(TIME_HINT)
    for name, choices in (
        ("kind", KINDS),
        ("audience", AUDIENCES),
        ("registration", REGISTRATION),
        ("waitlist_mode", WAITLIST),
    ):
        if values[name] not in choices:
            errors[name] = _("Välj ett av alternativen.")
    capacity = values["capacity"].strip()
    if capacity and not _number(capacity):
        errors["capacity"] = _(CAPACITY_HINT)
    hours = values["offer_hours"].strip()
    if not _number(hours):
        errors["offer_hours"] = _(HOURS_HINT)
    if errors or day is None or end_day is None or starts is None or ends is None:
        return {}, errors
    body: dict[str, Any] = {
        "title": values["title"].strip(),
        "description_sv": values["description_sv"].strip(),
        "kind": values["kind"],
        "venue_name": values["venue_name"].strip() or None,
        "venue_address": values["venue_address"].strip() or None,
        "accessibility_notes": values["accessibility_notes"].strip() or None,
        "starts_at": datetime.combine(day, starts, zone).isoformat(),
        "ends_at": datetime.combine(end_day, ends, zone).isoformat(),
        "audience": values["audience"],
        "registration": values["registration"],
        "external_url": values["external_url"].strip() or None,
        "capacity": int(capacity) if capacity else None,
        "waitlist_mode": values["waitlist_mode"],
        "offer_hours": int(hours),
        "asks_accessibility": bool(values["asks_accessibility"]),
        "asks_food": bool(values["asks_food"]),
    }
    if _number(values["version"]):
        body["version"] = int(values["version"])
    return body, errors


class EventForm(BaseModel):
    title: str = ""
    description_sv: str = ""
    kind: str = ""
    venue_name: str = ""
    venue_address: str = ""
    accessibility_notes: str = ""
    day: str = ""
    starts: str = ""
    end_day: str = ""
    ends: str = ""
    audience: str = ""
    registration: str = ""
    external_url: str = ""
    capacity: str = ""
    waitlist_mode: str = ""
    offer_hours: str = ""
    asks: list[str] = []
    version: str = ""

    def values(self) -> dict[str, str]:
        values = self.model_dump(exclude={"asks"})
        values["asks_accessibility"] = "on" if "accessibility" in self.asks else ""
        values["asks_food"] = "on" if "food" in self.asks else ""
        return values


def _event_form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    action: str,
    event_id: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "events/form.html",
        status_code=status_code,
        values=values,
        errors=errors,
        action=action,
        event_id=event_id,
        kinds=translated(KINDS),
        audiences=translated(AUDIENCES),
        registration_modes=translated(REGISTRATION),
        waitlist_modes=translated(WAITLIST),
    )


@router.get("/new", response_class=HTMLResponse)
async def new_event(request: Request, _user: Manager) -> Response:
    return _event_form(request, _blank(), {}, action="/events")


@router.post("", response_class=HTMLResponse)
async def create_event(
    request: Request, _user: Manager, services: ServicesDep, form: Annotated[EventForm, Form()]
) -> Response:
    values = form.values()
    body, errors = event_body(values, request.app.state.settings.zone)
    body.pop("version", None)

    async def again(errors: dict[str, str]) -> Response:
        return _event_form(request, values, errors, action="/events", status_code=400)

    return await send_form(
        services,
        "POST",
        "/v1/events",
        body,
        errors=errors,
        saved=lambda event: f"/events/{event['id']}",
        again=again,
        refused_at="title",
        fields=EVENT_FIELDS,
        service=SERVICE,
    )


@router.get("/{event_id}", response_class=HTMLResponse)
async def show_event(request: Request, event_id: ServiceId, user: Reader, services: ServicesDep) -> Response:
    return await _event_page(request, event_id, user, services)


EMPTY_PERSON = {"name": "", "email": "", "phone": ""}
EMPTY_ITEM = {"day": "", "starts": "", "ends": "", "title": "", "room": "", "responsible": ""}


async def _event_page(
    request: Request,
    event_id: str,
    user: SignedIn,
    services: Services,
    errors: dict[str, str] | None = None,
    *,
    item: dict[str, str] | None = None,
    person: dict[str, str] | None = None,
) -> Response:
    """The event page; again with a form's values and what to correct when `errors` are given."""
    base = f"/v1/events/{event_id}"
    event, programme, summary, registrations, history = await side_by_side(
        services.get_json(SERVICE, base),
        services.get_json(SERVICE, f"{base}/programme"),
        services.get_json(SERVICE, f"{base}/registrations/summary"),
        services.get_json(SERVICE, f"{base}/registrations", params={"limit": REGISTRATIONS_SHOWN}),
        services.get_json(SERVICE, f"{base}/history"),
    )
    if event is None:
        return _not_found(request)
    people = (registrations or {}).get("items", [])
    people_total = (registrations or {}).get("total", len(people))
    return render(
        request,
        "events/detail.html",
        status_code=400 if errors else 200,
        event=event,
        programme=programme or [],
        summary=summary or {"counts": {}, "per_organisation": []},
        registered=[r for r in people if r["status"] not in WAITING and r["status"] not in GONE],
        waiting=[r for r in people if r["status"] in WAITING],
        people_shown=len(people),
        people_total=people_total,
        history=history or [],
        kinds=KINDS,
        statuses=STATUS,
        registration_statuses=REGISTRATION_STATUS,
        needs=NEEDS,
        changes=CHANGES,
        can_manage=user.has_role(*roles.MANAGE_EVENTS),
        can_register=user.has_role(*roles.REGISTER_FOR_EVENTS),
        values=person or EMPTY_PERSON,
        item=item or EMPTY_ITEM,
        errors=errors or {},
    )


@router.get("/{event_id}/edit", response_class=HTMLResponse)
async def edit_event(
    request: Request, event_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    values = _values_of(event, request.app.state.settings.zone)
    return _event_form(request, values, {}, action=f"/events/{event_id}", event_id=event_id)


@router.post("/{event_id}", response_class=HTMLResponse)
async def update_event(
    request: Request,
    event_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[EventForm, Form()],
) -> Response:
    values = form.values()
    body, errors = event_body(values, request.app.state.settings.zone)

    async def again(errors: dict[str, str]) -> Response:
        return _event_form(
            request, values, errors, action=f"/events/{event_id}", event_id=event_id, status_code=400
        )

    return await send_form(
        services,
        "PATCH",
        f"/v1/events/{event_id}",
        body,
        errors=errors,
        saved=f"/events/{event_id}",
        again=again,
        refused_at="title",
        fields=EVENT_FIELDS,
        service=SERVICE,
    )


async def _act(request: Request, services: Services, path: str, body: Any, saved: str | None) -> Response:
    """A button's POST: done and back to the page, or the service's reason on an error page."""
    outcome = await send(services, "POST", path, body, service=SERVICE)
    if outcome.ok:
        target = saved if saved is not None else f"/events/{outcome.data['id']}"
        redirect = RedirectResponse(target, status_code=303)
        flash.flash(redirect, "saved")
        return redirect
    return render(
        request,
        "pages/error.html",
        status_code=outcome.status_code if 400 <= outcome.status_code < 500 else 502,
        heading=_("Det gick inte"),
        message=outcome.message,
    )


@router.post("/{event_id}/publish", response_class=HTMLResponse)
async def publish_event(
    request: Request, event_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    here = f"/events/{event_id}"
    return await _act(request, services, f"/v1/events/{event_id}/publish", None, here)


class CancelForm(BaseModel):
    reason: str = ""


@router.post("/{event_id}/cancel", response_class=HTMLResponse)
async def cancel_event(
    request: Request,
    event_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[CancelForm, Form()],
) -> Response:
    here = f"/events/{event_id}"
    body = {"reason": form.reason.strip() or None}
    return await _act(request, services, f"/v1/events/{event_id}/cancel", body, here)


class CopyForm(BaseModel):
    day: str = ""


@router.post("/{event_id}/copy", response_class=HTMLResponse)
async def copy_event(
    request: Request,
    event_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[CopyForm, Form()],
) -> Response:
    day = parse_date(form.day)
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    if day is None:
        return render(
            request, "pages/error.html", status_code=400, heading=_("Det gick inte"), message=_(DATE_HINT)
        )
    zone = request.app.state.settings.zone
    starts = datetime.fromisoformat(event["starts_at"]).astimezone(zone)
    body = {"starts_at": datetime.combine(day, starts.time(), zone).isoformat()}
    return await _act(request, services, f"/v1/events/{event_id}/copy", body, None)


class ProgrammeForm(BaseModel):
    day: str = ""
    starts: str = ""
    ends: str = ""
    title: str = ""
    room: str = ""
    responsible: str = ""


PROGRAMME_FIELDS = {
    "title": ShownAt("item_title", N_("Kontrollera vad programpunkten heter.")),
    "starts_at": ShownAt("item_starts", N_("Kontrollera när programpunkten börjar.")),
    "ends_at": ShownAt("item_ends", N_("Kontrollera när programpunkten slutar.")),
    "room": ShownAt("item_room", N_("Kontrollera rummet.")),
}


@router.post("/{event_id}/programme", response_class=HTMLResponse)
async def add_programme_item(
    request: Request,
    event_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    form: Annotated[ProgrammeForm, Form()],
) -> Response:
    zone = request.app.state.settings.zone
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    errors: dict[str, str] = {}
    day = (
        parse_date(form.day)
        if form.day.strip()
        else datetime.fromisoformat(event["starts_at"]).astimezone(zone).date()
    )
    if day is None:
        errors["item_day"] = _(DATE_HINT)
    starts, ends = _time_of(form.starts), _time_of(form.ends)
    if starts is None:
        errors["item_starts"] = _(TIME_HINT)
    if ends is None:
        errors["item_ends"] = _(TIME_HINT)
    if not form.title.strip():
        errors["item_title"] = _("Skriv vad programpunkten heter.")
    body: dict[str, Any] = {}
    if not errors and day is not None and starts is not None and ends is not None:
        body = {
            "starts_at": datetime.combine(day, starts, zone).isoformat(),
            "ends_at": datetime.combine(day, ends, zone).isoformat(),
            "title": form.title.strip(),
            "room": form.room.strip() or None,
            "responsible": form.responsible.strip() or None,
        }

    async def again(errors: dict[str, str]) -> Response:
        return await _event_page(request, event_id, user, services, errors, item=form.model_dump())

    return await send_form(
        services,
        "POST",
        f"/v1/events/{event_id}/programme",
        body,
        errors=errors,
        saved=f"/events/{event_id}#programme",
        again=again,
        refused_at="item_title",
        fields=PROGRAMME_FIELDS,
        service=SERVICE,
    )


class OnBehalfForm(BaseModel):
    name: str = ""
    email: str = ""
    phone: str = ""


PERSON_FIELDS = {
    "name": ShownAt("name", N_("Kontrollera namnet.")),
    "email": ShownAt("email", N_("Kontrollera e-postadressen.")),
    "phone": ShownAt("phone", N_("Kontrollera telefonnumret.")),
    "(request)": ShownAt("email", N_("Kontrollera e-postadressen eller telefonnumret.")),
}


def person_body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A person to register: a name and one way to reach them."""
    errors: dict[str, str] = {}
    if not values["name"].strip():
        errors["name"] = _("Skriv ditt namn.")
    if not values["email"].strip() and not values["phone"].strip():
        errors["email"] = _("Skriv en e-postadress eller ett telefonnummer, så att vi kan nå dig.")
    body: dict[str, Any] = {
        "name": values["name"].strip(),
        "email": values["email"].strip() or None,
        "phone": values["phone"].strip() or None,
    }
    return ({} if errors else body), errors


@router.post("/{event_id}/registrations", response_class=HTMLResponse)
async def register_on_behalf(
    request: Request,
    event_id: ServiceId,
    user: Registrar,
    services: ServicesDep,
    form: Annotated[OnBehalfForm, Form()],
) -> Response:
    values = form.model_dump()
    body, errors = person_body(values)
    if body and user.organisation_id and not user.has_role(*roles.MANAGE_EVENTS):
        body["organisation_id"] = user.organisation_id

    async def again(errors: dict[str, str]) -> Response:
        return await _event_page(request, event_id, user, services, errors, person=values)

    return await send_form(
        services,
        "POST",
        f"/v1/events/{event_id}/registrations",
        body,
        errors=errors,
        saved=f"/events/{event_id}#registrations",
        again=again,
        refused_at="name",
        fields=PERSON_FIELDS,
        service=SERVICE,
    )


# --- The public side ---------------------------------------------------------------------------------


# The one identity the gateway speaks for every visitor with: the service needs no subject for its public
# routes, and one per browser (from a cookie anybody can make up) would let a robot fill the signed
# identities and cached answers that staff's pages rely on.
VISITOR = Identity(subject="visitor", roles=(), name=None)


async def visitor_call(request: Request, method: str, path: str, *, json: Any = None) -> Answer:
    key = request.app.state.settings.signing_key
    if key is None:
        raise RuntimeError(
            "GATEWAY_IDENTITY_SIGNING_KEY is not set, so the gateway cannot speak for visitors."
        )
    identity = VISITOR
    headers = {
        "Authorization": f"Bearer {MINTED.token(identity, key=key, audience=SERVICE)}",
        REQUEST_ID_HEADER: current_request_id() or "",
        "Accept-Language": current_locale(),
    }
    answer: Answer = await request.app.state.upstream.request(
        SERVICE,
        method,
        f"{request.app.state.upstreams[SERVICE]}{path}",
        headers=headers,
        json=json,
        cache_key=(identity, SERVICE, path) if method == "GET" else None,
    )
    if answer.status_code >= 500:
        raise ServiceUnavailable(SERVICE)
    return answer


async def _visitor_json(request: Request, path: str) -> Any:
    answer = await visitor_call(request, "GET", path)
    return answer.json() if answer.status_code < 400 else None


class LinkForm(BaseModel):
    token: str = ""


def registration_open(event: dict[str, Any], now: datetime) -> bool:
    """Whether the page shows the form: the service decides again when the form is sent."""
    if event["registration"] != "open" or event["status"] == "cancelled":
        return False
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at")
    if opens and datetime.fromisoformat(opens) > now:
        return False
    if closes and datetime.fromisoformat(closes) < now:
        return False
    return datetime.fromisoformat(event["starts_at"]) > now


@public_router.get("", response_class=HTMLResponse)
async def public_events(
    request: Request,
    organisation: ServiceId | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # `organisation`: the feeds link one organisation's events here.
    filters = {"organisation": organisation} if organisation else {}
    params = {
        "limit": PUBLIC_PAGE_SIZE,
        "offset": offset,
        **({"organisation_id": organisation} if organisation else {}),
    }
    page = await _visitor_json(request, with_query("/v1/public/events", params))
    return render(
        request,
        "events/public_list.html",
        page=page or _empty_page(),
        filters=filters,
        kinds=KINDS,
        statuses=STATUS,
    )


def _blank_registration() -> dict[str, Any]:
    return {"name": "", "email": "", "phone": "", "food": "", "accessibility": [], "website": ""}


async def _public_event_page(
    request: Request, event_id: str, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    event = await _visitor_json(request, f"/v1/public/events/{event_id}")
    if event is None:
        return _not_found(request)
    programme = await _visitor_json(request, f"/v1/public/events/{event_id}/programme")
    return render(
        request,
        "events/public_detail.html",
        status_code=status_code,
        event=event,
        programme=programme or [],
        kinds=KINDS,
        needs=translated(NEEDS),
        open_for_registration=registration_open(event, datetime.now(UTC)),
        values=values,
        errors=errors,
    )


@public_router.get("/avboka", response_class=HTMLResponse)
async def cancel_link(request: Request, token: str = "") -> Response:
    return await _link_page(request, token, "cancel")


@public_router.post("/avboka", response_class=HTMLResponse)
async def cancel_by_link(request: Request, form: Annotated[LinkForm, Form()]) -> Response:
    return await _link_answer(request, form.token, "cancel")


@public_router.get("/erbjudande/ja", response_class=HTMLResponse)
async def confirm_link(request: Request, token: str = "") -> Response:
    return await _link_page(request, token, "confirm")


@public_router.post("/erbjudande/ja", response_class=HTMLResponse)
async def confirm_by_link(request: Request, form: Annotated[LinkForm, Form()]) -> Response:
    return await _link_answer(request, form.token, "confirm")


@public_router.get("/erbjudande/nej", response_class=HTMLResponse)
async def decline_link(request: Request, token: str = "") -> Response:
    return await _link_page(request, token, "decline")


@public_router.post("/erbjudande/nej", response_class=HTMLResponse)
async def decline_by_link(request: Request, form: Annotated[LinkForm, Form()]) -> Response:
    return await _link_answer(request, form.token, "decline")


@public_router.get("/{event_id}", response_class=HTMLResponse)
async def public_event(request: Request, event_id: ServiceId) -> Response:
    return await _public_event_page(request, event_id, _blank_registration(), {})


class RegistrationForm(BaseModel):
    name: str = ""
    email: str = ""
    phone: str = ""
    food: str = ""
    accessibility: list[str] = []
    website: str = ""


PUBLIC_FIELDS = {
    "name": ShownAt("name", N_("Kontrollera namnet.")),
    "email": ShownAt("email", N_("Kontrollera e-postadressen.")),
    "phone": ShownAt("phone", N_("Kontrollera telefonnumret.")),
    "food": ShownAt("food", N_("Kontrollera det du skrev om mat.")),
    "(request)": ShownAt("email", N_("Kontrollera e-postadressen eller telefonnumret.")),
}


def _seconds_to_tomorrow(zone: ZoneInfo) -> int:
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), zone)
    return max(1, int((midnight - now).total_seconds()))


async def _may_register(request: Request, event_id: str) -> bool:
    """Counts the registration against its address's budgets (see throttle). The connection is given
    back before the service is called: a visitor holds none while the service answers."""
    today = datetime.now(request.app.state.settings.zone).date()
    async with request.app.state.runtime.pool.acquire() as conn:
        return await throttle.registration_attempt(
            conn, ip=client_ip(request), event_id=event_id, today=today
        )


@public_router.post("/{event_id}", response_class=HTMLResponse)
async def register(
    request: Request, event_id: ServiceId, form: Annotated[RegistrationForm, Form()]
) -> Response:
    values = form.model_dump()
    body, errors = person_body(values)
    if not errors and not await _may_register(request, event_id):
        refused = render(
            request,
            "pages/error.html",
            status_code=429,
            heading=_("För många anmälningar"),
            message=_(
                "Det har kommit många anmälningar från din uppkoppling i dag. Försök igen i morgon, "
                "eller kontakta den som ordnar evenemanget."
            ),
        )
        refused.headers["Retry-After"] = str(_seconds_to_tomorrow(request.app.state.settings.zone))
        return refused
    if not errors:
        body["accessibility"] = [need for need in form.accessibility if need in NEEDS]
        body["food"] = form.food.strip() or None
        # The trap is passed on as it came: the service answers a robot as it answers a person.
        body["website"] = form.website
        outcome = Outcome(
            await visitor_call(request, "POST", f"/v1/public/events/{event_id}/registrations", json=body)
        )
        if outcome.ok:
            return RedirectResponse(f"/evenemang/{event_id}/tack", status_code=303)
        for name, reason in outcome.invalid_fields.items():
            shown = PUBLIC_FIELDS.get(name)
            if shown is not None:
                errors[shown.field] = f"{_(shown.hint)} " + _("Skälet: %(reason)s") % {"reason": reason}
        if not errors:
            errors["name"] = outcome.message
    return await _public_event_page(request, event_id, values, errors, status_code=400)


@public_router.get("/{event_id}/tack", response_class=HTMLResponse)
async def registration_received(request: Request, event_id: ServiceId) -> Response:
    event = await _visitor_json(request, f"/v1/public/events/{event_id}")
    if event is None:
        return _not_found(request)
    return render(request, "events/received.html", event=event)


LINK_HEADINGS = {
    "cancel": N_("Avboka din plats"),
    "confirm": N_("Tacka ja till platsen"),
    "decline": N_("Tacka nej till platsen"),
}
LINK_BUTTONS = {
    "cancel": N_("Ja, avboka min plats"),
    "confirm": N_("Ja, jag tar platsen"),
    "decline": N_("Nej tack, ge platsen till någon annan"),
}
LINK_DONE = {
    "cancel": N_("Din plats är avbokad. Tack för att du sa till."),
    "confirm": N_("Platsen är din. Välkommen!"),
    "decline": N_("Du har tackat nej. Platsen går till nästa person i kön."),
}
LINK_PATHS = {
    "cancel": ("/evenemang/avboka", "/v1/public/registrations/cancel"),
    "confirm": ("/evenemang/erbjudande/ja", "/v1/public/offers/confirm"),
    "decline": ("/evenemang/erbjudande/nej", "/v1/public/offers/decline"),
}


def _link_problem(request: Request, outcome: Outcome, action: str) -> Response:
    return render(
        request,
        "events/link.html",
        status_code=outcome.status_code,
        action=action,
        heading=_(LINK_HEADINGS[action]),
        problem=outcome.message,
        linked=None,
        token="",
        button="",
        page_path=LINK_PATHS[action][0],
        keep_query=True,
    )


async def _link_page(request: Request, token: str, action: str) -> Response:
    """What the link is for, and a button: following a link (as mail scanners do) changes nothing."""
    answer = await visitor_call(
        request, "POST", "/v1/public/links/look-up", json={"token": token, "action": action}
    )
    outcome = Outcome(answer)
    if not outcome.ok:
        return _link_problem(request, outcome, action)
    return render(
        request,
        "events/link.html",
        action=action,
        heading=_(LINK_HEADINGS[action]),
        problem=None,
        linked=outcome.data,
        token=token,
        button=_(LINK_BUTTONS[action]),
        page_path=LINK_PATHS[action][0],
        statuses=REGISTRATION_STATUS,
        keep_query=True,
    )


async def _link_answer(request: Request, token: str, action: str) -> Response:
    outcome = Outcome(await visitor_call(request, "POST", LINK_PATHS[action][1], json={"token": token}))
    if not outcome.ok:
        return _link_problem(request, outcome, action)
    return render(
        request, "events/link_done.html", heading=_(LINK_HEADINGS[action]), message=_(LINK_DONE[action])
    )
