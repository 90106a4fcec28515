"""Events pages: staff's list, editor, programme and registrations, and the public event pages with
registration, confirmation and the answers to personal links (cancel, confirm or decline an offer)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from backbone.logs import get_logger
from gateway import flash, roles, throttle, upstream
from gateway.auth import client_ip, requires
from gateway.csrf import csrf_protect
from gateway.forms import DATE_HINT, TIME_HINT, ShownAt, parse_date, send_form
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.pages import feeds
from gateway.rendering import problem, refused, render
from gateway.sessions import SignedIn
from gateway.upstream import (
    VISITOR as VISITOR,  # the volunteers' link pages take it from here
)
from gateway.upstream import (
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
# How long a visitor is asked to wait when the service could not take a registration just now.
RETRY_REGISTRATION_SECONDS = 10
# How long a give-back of a registration attempt may take before the visitor's page goes on without it.
GIVE_BACK_SECONDS = 2.0

log = get_logger(__name__)

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
    "audience": N_("Ny publik"),
    "cancelled": N_("Inställt"),
}


def _empty_page() -> dict[str, Any]:
    return {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0}


def _not_found(request: Request) -> Response:
    return problem(request, 404, _("Evenemanget finns inte"), _("Gå tillbaka till listan över evenemang."))


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
        feed_links=_feed_links(request),
    )


def _feed_links(request: Request, organisation: str | None = None) -> dict[str, dict[str, str]]:
    """The public feeds to subscribe to (one organisation's, or all): iCalendar (https and webcal://)
    and Atom."""
    base = f"/feeds/organisations/{organisation}" if organisation else "/feeds"
    return {
        "ics": feeds.links(request, f"{base}/events.ics"),
        "atom": feeds.links(request, f"{base}/events.atom"),
    }


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
EMPTY_ITEM = {"day": "", "starts": "", "ends": "", "title": "", "room": "", "responsible": "", "notes": ""}


async def _event_page(
    request: Request,
    event_id: str,
    user: SignedIn,
    services: Services,
    errors: dict[str, str] | None = None,
    *,
    item: dict[str, str] | None = None,
    person: dict[str, str] | None = None,
    help_values: dict[str, str] | None = None,
) -> Response:
    """The event page; again with a form's values and what to correct when `errors` are given."""
    base = f"/v1/events/{event_id}"
    event, programme, summary, registrations, history, help_requests = await side_by_side(
        services.get_json(SERVICE, base),
        services.get_json(SERVICE, f"{base}/programme"),
        services.get_json(SERVICE, f"{base}/registrations/summary"),
        services.get_json(SERVICE, f"{base}/registrations", params={"limit": REGISTRATIONS_SHOWN}),
        services.get_json(SERVICE, f"{base}/history"),
        services.get_json(SERVICE, f"{base}/helpers"),
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
        help_requests=help_requests or [],
        help=help_values or EMPTY_HELP,
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
        return flash.redirect(saved if saved is not None else f"/events/{outcome.data['id']}")
    return refused(request, outcome)


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
        return problem(request, 400, _("Det gick inte"), _(DATE_HINT))
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
    notes: str = ""


PROGRAMME_FIELDS = {
    "title": ShownAt("item_title", N_("Kontrollera vad programpunkten heter.")),
    "starts_at": ShownAt("item_starts", N_("Kontrollera när programpunkten börjar.")),
    "ends_at": ShownAt("item_ends", N_("Kontrollera när programpunkten slutar.")),
    "room": ShownAt("item_room", N_("Kontrollera rummet.")),
    "responsible": ShownAt("item_responsible", N_("Kontrollera vem som är ansvarig.")),
    "notes": ShownAt("item_notes", N_("Kontrollera anteckningarna.")),
}


def _times_on(
    day_text: str, starts_text: str, ends_text: str, event: dict[str, Any], zone: ZoneInfo, key: str
) -> tuple[tuple[str, str] | None, dict[str, str]]:
    """A start and an end on one day (the event's first day when none is given), or what to correct,
    beside the fields `<key>_day`, `<key>_starts` and `<key>_ends`."""
    errors: dict[str, str] = {}
    day = (
        parse_date(day_text)
        if day_text.strip()
        else datetime.fromisoformat(event["starts_at"]).astimezone(zone).date()
    )
    if day is None:
        errors[f"{key}_day"] = _(DATE_HINT)
    starts, ends = _time_of(starts_text), _time_of(ends_text)
    if starts is None:
        errors[f"{key}_starts"] = _(TIME_HINT)
    if ends is None:
        errors[f"{key}_ends"] = _(TIME_HINT)
    if day is None or starts is None or ends is None:
        return None, errors
    return (
        datetime.combine(day, starts, zone).isoformat(),
        datetime.combine(day, ends, zone).isoformat(),
    ), errors


def programme_body(
    form: ProgrammeForm, event: dict[str, Any], zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body for a programme item, or what to write differently. Whether the item lies
    within the event is the service's rule."""
    times, errors = _times_on(form.day, form.starts, form.ends, event, zone, "item")
    if not form.title.strip():
        errors["item_title"] = _("Skriv vad programpunkten heter.")
    if errors or times is None:
        return {}, errors
    return {
        "starts_at": times[0],
        "ends_at": times[1],
        "title": form.title.strip(),
        "room": form.room.strip() or None,
        "responsible": form.responsible.strip() or None,
        "notes": form.notes.strip() or None,
    }, errors


async def _send_from_event_page(
    request: Request,
    event_id: str,
    user: SignedIn,
    services: Services,
    *,
    body_of: Callable[[dict[str, Any], ZoneInfo], tuple[dict[str, Any], dict[str, str]]],
    path: str,
    anchor: str,
    refused_at: str,
    fields: Mapping[str, ShownAt],
    again_with: dict[str, Any],
) -> Response:
    """A form on the event page: sent to `/v1/events/{id}/{path}`, back to the page at `anchor`, or
    the page again with the form's values (`again_with`) and what to correct."""
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    body, errors = body_of(event, request.app.state.settings.zone)

    async def again(errors: dict[str, str]) -> Response:
        return await _event_page(request, event_id, user, services, errors, **again_with)

    return await send_form(
        services,
        "POST",
        f"/v1/events/{event_id}/{path}",
        body,
        errors=errors,
        saved=f"/events/{event_id}#{anchor}",
        again=again,
        refused_at=refused_at,
        fields=fields,
        service=SERVICE,
    )


@router.post("/{event_id}/programme", response_class=HTMLResponse)
async def add_programme_item(
    request: Request,
    event_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    form: Annotated[ProgrammeForm, Form()],
) -> Response:
    return await _send_from_event_page(
        request,
        event_id,
        user,
        services,
        body_of=lambda event, zone: programme_body(form, event, zone),
        path="programme",
        anchor="programme",
        refused_at="item_title",
        fields=PROGRAMME_FIELDS,
        again_with={"item": form.model_dump()},
    )


def _days(programme: list[dict[str, Any]], zone: ZoneInfo) -> list[list[dict[str, Any]]]:
    """The programme by day, each day's items in order of time (as the service sends them)."""
    days: dict[date, list[dict[str, Any]]] = {}
    for item in programme:
        days.setdefault(datetime.fromisoformat(item["starts_at"]).astimezone(zone).date(), []).append(item)
    return list(days.values())


@router.get("/{event_id}/programme", response_class=HTMLResponse)
async def timetable(request: Request, event_id: ServiceId, user: Reader, services: ServicesDep) -> Response:
    """The programme as a timetable, one table a day, printable (the print style keeps only it)."""
    event, programme = await side_by_side(
        services.get_json(SERVICE, f"/v1/events/{event_id}"),
        services.get_json(SERVICE, f"/v1/events/{event_id}/programme"),
    )
    if event is None:
        return _not_found(request)
    return render(
        request,
        "events/timetable.html",
        event=event,
        days=_days(programme or [], request.app.state.settings.zone),
        can_manage=user.has_role(*roles.MANAGE_EVENTS),
    )


def _item_values(item: dict[str, Any], zone: ZoneInfo) -> dict[str, str]:
    starts = datetime.fromisoformat(item["starts_at"]).astimezone(zone)
    ends = datetime.fromisoformat(item["ends_at"]).astimezone(zone)
    return {
        "day": starts.date().isoformat(),
        "starts": starts.strftime("%H:%M"),
        "ends": ends.strftime("%H:%M"),
        "title": item["title"],
        "room": item["room"] or "",
        "responsible": item["responsible"] or "",
        "notes": item["notes"] or "",
    }


def _item_form(
    request: Request,
    event: dict[str, Any],
    item_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "events/programme_item.html",
        status_code=status_code,
        event=event,
        item_id=item_id,
        item=values,
        errors=errors,
    )


async def _event_and_item(
    services: Services, event_id: str, item_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    event, programme = await side_by_side(
        services.get_json(SERVICE, f"/v1/events/{event_id}"),
        services.get_json(SERVICE, f"/v1/events/{event_id}/programme"),
    )
    item = next((i for i in programme or [] if i["id"] == item_id), None)
    return event, item


def _no_item(request: Request) -> Response:
    return problem(
        request,
        404,
        _("Programpunkten finns inte"),
        _("Den kan ha tagits bort. Gå tillbaka till programmet."),
    )


@router.get("/{event_id}/programme/{item_id}/edit", response_class=HTMLResponse)
async def edit_programme_item(
    request: Request, event_id: ServiceId, item_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    event, item = await _event_and_item(services, event_id, item_id)
    if event is None or item is None:
        return _no_item(request)
    return _item_form(request, event, item_id, _item_values(item, request.app.state.settings.zone), {})


@router.post("/{event_id}/programme/{item_id}", response_class=HTMLResponse)
async def update_programme_item(
    request: Request,
    event_id: ServiceId,
    item_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[ProgrammeForm, Form()],
) -> Response:
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    body, errors = programme_body(form, event, request.app.state.settings.zone)

    async def again(errors: dict[str, str]) -> Response:
        return _item_form(request, event, item_id, form.model_dump(), errors, status_code=400)

    return await send_form(
        services,
        "PATCH",
        f"/v1/events/{event_id}/programme/{item_id}",
        body,
        errors=errors,
        saved=f"/events/{event_id}/programme",
        again=again,
        refused_at="item_title",
        fields=PROGRAMME_FIELDS,
        service=SERVICE,
    )


@router.post("/{event_id}/programme/{item_id}/delete", response_class=HTMLResponse)
async def remove_programme_item(
    request: Request, event_id: ServiceId, item_id: ServiceId, _user: Manager, services: ServicesDep
) -> Response:
    outcome = await send(services, "DELETE", f"/v1/events/{event_id}/programme/{item_id}", service=SERVICE)
    if outcome.ok or outcome.status_code == 404:
        # Gone already (a second tap, or someone else): what the person wanted is done.
        return flash.redirect(f"/events/{event_id}/programme")
    return refused(request, outcome)


class HelpForm(BaseModel):
    pool_key: str = ""
    seats: str = ""
    day: str = ""
    starts: str = ""
    ends: str = ""
    place: str = ""
    needs: str = ""


EMPTY_HELP = HelpForm().model_dump()
HELP_FIELDS = {
    "pool_key": ShownAt("help_pool_key", N_("Kontrollera poolen.")),
    "seats": ShownAt("help_seats", N_("Kontrollera hur många som behövs.")),
    "starts_at": ShownAt("help_starts", N_("Kontrollera när hjälpen börjar.")),
    "ends_at": ShownAt("help_ends", N_("Kontrollera när hjälpen slutar.")),
    "place": ShownAt("help_place", N_("Kontrollera platsen.")),
    "needs": ShownAt("help_needs", N_("Kontrollera vad hjälparna behöver kunna.")),
}


def help_body(form: HelpForm, event: dict[str, Any], zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body for asking for helpers; times left empty are the event's own."""
    errors: dict[str, str] = {}
    if not form.pool_key.strip():
        errors["help_pool_key"] = _("Skriv vilken pool hjälparna ska komma från, till exempel grillvardar.")
    if not _number(form.seats.strip()):
        errors["help_seats"] = _("Skriv hur många som behövs, till exempel 3.")
    body: dict[str, Any] = {
        "pool_key": form.pool_key.strip(),
        "seats": int(form.seats.strip()) if _number(form.seats.strip()) else 0,
        "place": form.place.strip() or None,
        "needs": form.needs.strip(),
    }
    if form.starts.strip() or form.ends.strip():
        times, wrong = _times_on(form.day, form.starts, form.ends, event, zone, "help")
        errors |= wrong
        if times is not None:
            body["starts_at"], body["ends_at"] = times
    return ({} if errors else body), errors


@router.post("/{event_id}/helpers", response_class=HTMLResponse)
async def request_helpers(
    request: Request,
    event_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    form: Annotated[HelpForm, Form()],
) -> Response:
    return await _send_from_event_page(
        request,
        event_id,
        user,
        services,
        body_of=lambda event, zone: help_body(form, event, zone),
        path="helpers",
        anchor="helpers",
        refused_at="help_pool_key",
        fields=HELP_FIELDS,
        again_with={"help_values": form.model_dump()},
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


# --- At the door: check-in and walk-ins ----------------------------------------------------------------

# The check-in page lists this many people; a search by name finds the rest.
CHECK_IN_SHOWN = 50


def nonce() -> str:
    """A scan's nonce, made when the page is drawn: a phone that sends the form again on a bad
    connection sends the same one, so the service records the person once."""
    return secrets.token_hex(16)


EMPTY_WALK_IN = {"name": "", "email": "", "phone": ""}


async def _check_in_page(
    request: Request,
    event_id: str,
    services: Services,
    search: str,
    *,
    problem: str | None = None,
    status_code: int = 200,
    walk_in: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    full: bool = False,
) -> Response:
    base = f"/v1/events/{event_id}"
    event, found = await side_by_side(
        services.get_json(SERVICE, base),
        services.get_json(
            SERVICE, f"{base}/check-in/people", params={"name": search, "limit": CHECK_IN_SHOWN}
        ),
    )
    if event is None:
        return _not_found(request)
    people = (found or {}).get("items", [])
    return render(
        request,
        "events/check_in.html",
        status_code=status_code,
        event=event,
        search=search,
        people=people,
        total=(found or {}).get("total", len(people)),
        nonces={p["id"]: nonce() for p in people},
        walk_in={**EMPTY_WALK_IN, "nonce": nonce(), **(walk_in or {})},
        errors=errors or {},
        problem=problem,
        # A full event shows the staff's choice to let the person in anyway.
        full=full or (event["capacity"] is not None and event.get("places_left") == 0),
    )


@router.get("/{event_id}/check-in", response_class=HTMLResponse)
async def check_in_page(
    request: Request, event_id: ServiceId, _user: Manager, services: ServicesDep, name: str = ""
) -> Response:
    return await _check_in_page(request, event_id, services, name.strip()[:200])


class CheckInForm(BaseModel):
    registration_id: str = ""
    nonce: str = ""
    search: str = ""


def _back_to_door(event_id: str, search: str) -> Response:
    return flash.redirect(with_query(f"/events/{event_id}/check-in", {"name": search} if search else None))


@router.post("/{event_id}/check-in", response_class=HTMLResponse)
async def check_in_person(
    request: Request,
    event_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[CheckInForm, Form()],
) -> Response:
    body = {"registration_id": form.registration_id, "nonce": form.nonce}
    outcome = await send(services, "POST", f"/v1/events/{event_id}/check-in", body, service=SERVICE)
    if outcome.ok:
        return _back_to_door(event_id, form.search)
    return await _check_in_page(
        request, event_id, services, form.search, problem=outcome.message, status_code=outcome.status_code
    )


class WalkInForm(BaseModel):
    name: str = ""
    email: str = ""
    phone: str = ""
    nonce: str = ""
    beyond_capacity: str = ""


WALK_IN_FIELDS = {
    "name": "walkin_name",
    "email": "walkin_email",
    "phone": "walkin_phone",
}


@router.post("/{event_id}/check-in/walk-ins", response_class=HTMLResponse)
async def add_walk_in(
    request: Request,
    event_id: ServiceId,
    _user: Manager,
    services: ServicesDep,
    form: Annotated[WalkInForm, Form()],
) -> Response:
    values = {"name": form.name, "email": form.email, "phone": form.phone, "nonce": form.nonce}
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["walkin_name"] = _("Skriv personens namn.")
    outcome: Outcome | None = None
    if not errors:
        body = {
            "name": form.name.strip(),
            "email": form.email.strip() or None,
            "phone": form.phone.strip() or None,
            "nonce": form.nonce,
            "beyond_capacity": bool(form.beyond_capacity),
        }
        outcome = await send(
            services, "POST", f"/v1/events/{event_id}/check-in/walk-ins", body, service=SERVICE
        )
        if outcome.ok:
            return _back_to_door(event_id, "")
        for name, reason in outcome.invalid_fields.items():
            if name in WALK_IN_FIELDS:
                errors[WALK_IN_FIELDS[name]] = reason
    return await _check_in_page(
        request,
        event_id,
        services,
        "",
        problem=outcome.message if outcome is not None and not errors else None,
        status_code=outcome.status_code if outcome is not None else 400,
        walk_in=values,
        errors=errors,
        full=outcome is not None and outcome.status_code == 409,
    )


# --- Export --------------------------------------------------------------------------------------------

# The columns of the service's CSV file (events.exports.COLUMNS), as the export page names them.
EXPORT_COLUMNS = (
    N_("Nr (plats i kön)"),
    N_("Namn"),
    N_("E-post"),
    N_("Telefon"),
    N_("Organisation"),
    N_("Status"),
    N_("Tillgänglighet (svar på frågan om behov, om evenemanget frågar)"),
    N_("Mat (svar på frågan om mat, om evenemanget frågar)"),
    N_("Incheckad"),
    N_("Anmäld"),
)


@router.get("/{event_id}/export", response_class=HTMLResponse)
async def export_page(
    request: Request, event_id: ServiceId, user: Registrar, services: ServicesDep
) -> Response:
    event = await services.get_json(SERVICE, f"/v1/events/{event_id}")
    if event is None:
        return _not_found(request)
    return render(
        request,
        "events/export.html",
        event=event,
        columns=EXPORT_COLUMNS,
        own_only=not user.has_role(*roles.MANAGE_EVENTS),
    )


@router.get("/{event_id}/export.csv")
async def export_file(
    request: Request, event_id: ServiceId, _user: Registrar, services: ServicesDep
) -> Response:
    """The service's CSV as it made it: who gets which rows is the service's rule (a representative
    gets their own organisation's)."""
    answer = await services.call(SERVICE, "GET", f"/v1/events/{event_id}/registrations/export.csv")
    if answer.status_code >= 500:
        raise ServiceUnavailable(SERVICE)
    if answer.status_code >= 400:
        return _not_found(request)
    return Response(
        content=answer.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="anmalningar-{event_id}.csv"',
            # Personal data: kept by no cache, the browser's own included.
            "Cache-Control": "no-store",
        },
    )


# --- The public side ---------------------------------------------------------------------------------


async def visitor_call(request: Request, method: str, path: str, *, json: Any = None) -> Answer:
    # The public events pages are the same for every visitor, so their GETs are kept.
    return await upstream.visitor_call(request, SERVICE, method, path, json=json, kept=True)


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
        feed_links=_feed_links(request, organisation),
    )


def _blank_registration() -> dict[str, Any]:
    return {"name": "", "email": "", "phone": "", "food": "", "accessibility": [], "website": ""}


async def _public_event_page(
    request: Request,
    event_id: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    not_taken: str | None = None,
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
        not_taken=not_taken,
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


async def _may_register(request: Request, event_id: str, today: date) -> bool:
    """Counts the registration against its address's budgets (see throttle) for `today`, the local
    day. The connection is given back before the service is called: a visitor holds none while the
    service answers."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await throttle.registration_attempt(
            conn, ip=client_ip(request), event_id=event_id, today=today
        )


def _surely_not_taken(exc: upstream.ServiceUnavailable) -> bool:
    """Nothing was registered: the service could not be reached at all, or said so (its line was
    full, its desk stopped). A timeout, a 500 or a batch cut short may have committed."""
    if not exc.reached:
        return True
    if exc.answer is None or exc.answer.status_code != 503:
        return False
    try:
        said = exc.answer.json()
    except ValueError:
        return False
    return isinstance(said, dict) and said.get("perhaps_taken") is False


async def _give_back(request: Request, event_id: str, today: date) -> None:
    """The attempt counted on `today` is given back, for a registration surely not taken. Best
    effort: the visitor still gets their form back if the gateway's database does not answer."""
    try:
        async with asyncio.timeout(GIVE_BACK_SECONDS), request.app.state.runtime.pool.acquire() as conn:
            await throttle.registration_not_taken(
                conn, ip=client_ip(request), event_id=event_id, today=today
            )
    except Exception as exc:  # noqa: BLE001 - the visitor's page must not fail for the count
        log.warning("a registration attempt not given back", error=str(exc) or type(exc).__name__)


async def _not_taken_page(
    request: Request, event_id: str, values: dict[str, Any], today: date, *, give_back: bool
) -> Response:
    """The form again as written, 503 and Retry-After; an error page saying the same when even the
    event cannot be shown. `give_back`: the attempt does not count against the address's budget."""
    if give_back:
        await _give_back(request, event_id, today)
    message = _(
        "Din anmälan kom kanske inte fram. Det du skrev finns kvar: skicka igen om en stund. "
        "Du blir inte anmäld två gånger."
    )
    try:
        page = await _public_event_page(request, event_id, values, {}, status_code=503, not_taken=message)
    except upstream.ServiceUnavailable:
        page = problem(request, 503, _("Anmälan tar paus en kort stund"), message)
    page.headers["Retry-After"] = str(RETRY_REGISTRATION_SECONDS)
    return page


@public_router.post("/{event_id}", response_class=HTMLResponse)
async def register(
    request: Request, event_id: ServiceId, form: Annotated[RegistrationForm, Form()]
) -> Response:
    values = form.model_dump()
    body, errors = person_body(values)
    # One day for the count and for its give-back, even when the service answers after midnight.
    today = datetime.now(request.app.state.settings.zone).date()
    if not errors and not await _may_register(request, event_id, today):
        too_many = problem(
            request,
            429,
            _("För många anmälningar"),
            _(
                "Det har kommit många anmälningar från din uppkoppling i dag. Försök igen i morgon, "
                "eller kontakta den som ordnar evenemanget."
            ),
        )
        too_many.headers["Retry-After"] = str(_seconds_to_tomorrow(request.app.state.settings.zone))
        return too_many
    if not errors:
        body["accessibility"] = [need for need in form.accessibility if need in NEEDS]
        body["food"] = form.food.strip() or None
        # The trap is passed on as it came: the service answers a robot as it answers a person.
        body["website"] = form.website
        try:
            answer = await visitor_call(
                request, "POST", f"/v1/public/events/{event_id}/registrations", json=body
            )
        except upstream.ServiceUnavailable as exc:
            # Not taken now, or perhaps (a restart, a crowd, the database away): the form comes back
            # as written. Only what surely registered nobody is given back to the address's budget.
            return await _not_taken_page(request, event_id, values, today, give_back=_surely_not_taken(exc))
        outcome = Outcome(answer)
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
