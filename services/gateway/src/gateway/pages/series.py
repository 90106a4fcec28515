"""Meeting series: a group that meets regularly, with its generated meetings."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from gateway import roles
from gateway.auth import requires
from gateway.choices import group_options
from gateway.csrf import csrf_protect
from gateway.forms import (
    DATE_HINT,
    TIME_HINT,
    ShownAt,
    parse_date,
    parse_invitees,
    send_form,
    unreadable_invitees,
)
from gateway.i18n import N_, _
from gateway.labels import translated
from gateway.navigation import ServiceId
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep

router = APIRouter(prefix="/series", dependencies=[Depends(csrf_protect)], tags=["pages"])
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
PAGE_SIZE = 20

WEEKDAYS = {
    "0": N_("måndag"),
    "1": N_("tisdag"),
    "2": N_("onsdag"),
    "3": N_("torsdag"),
    "4": N_("fredag"),
    "5": N_("lördag"),
    "6": N_("söndag"),
}
# How often: the weekly and monthly rules the meetings service understands.
RHYTHMS = {
    "weekly-1": N_("Varje vecka"),
    "weekly-2": N_("Varannan vecka"),
    "monthly-1": N_("Första veckodagen i månaden"),
    "monthly-2": N_("Andra veckodagen i månaden"),
    "monthly-3": N_("Tredje veckodagen i månaden"),
    "monthly--1": N_("Sista veckodagen i månaden"),
}


@router.get("", response_class=HTMLResponse)
async def list_series(
    request: Request, user: Reader, services: ServicesDep, offset: Annotated[int, Query(ge=0)] = 0
) -> Response:
    page = await services.get_json("meetings", "/v1/series", params={"limit": PAGE_SIZE, "offset": offset})
    return render(
        request,
        "meetings/series_list.html",
        page=page or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        weekdays=WEEKDAYS,
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )


def _blank() -> dict[str, str]:
    return {
        "title": "",
        "group_id": "",
        "place": "",
        "rhythm": "monthly-1",
        "weekday": "0",
        "start_time": "13:30",
        "duration": "120",
        "starts_on": "",
        "count": "6",
        "invitees": "",
    }


async def _form(
    request: Request, services: Any, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "meetings/series_new.html",
        status_code=status_code,
        values=values,
        errors=errors,
        groups=await group_options(services),
        rhythms=translated(RHYTHMS),
        weekdays=translated(WEEKDAYS),
    )


@router.get("/new", response_class=HTMLResponse)
async def new_series(request: Request, _user: Manager, services: ServicesDep) -> Response:
    return await _form(request, services, _blank(), {})


def series_body(values: dict[str, str], zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body from the form, or what the person must write differently. How long the
    meetings may be and how many the service plans are its own rules (shown by `SERIES_FIELDS`)."""
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = _("Skriv vad mötena heter.")
    if values["rhythm"] not in RHYTHMS:
        errors["rhythm"] = _("Välj hur ofta gruppen träffas.")
    if values["weekday"] not in WEEKDAYS:
        errors["weekday"] = _("Välj en veckodag.")
    try:
        start_time = time.fromisoformat(values["start_time"])
    except ValueError:
        errors["start_time"] = _(TIME_HINT)
    duration = values["duration"].strip()
    if not duration.isdigit():
        errors["duration"] = _(DURATION_HINT)
    starts_on = parse_date(values["starts_on"])
    if starts_on is None:
        errors["starts_on"] = _(DATE_HINT)
    count = values["count"].strip()
    if not count.isdigit():
        errors["count"] = _(COUNT_HINT)
    invitees, bad = parse_invitees(values["invitees"])
    if bad:
        errors["invitees"] = unreadable_invitees(bad)
    if errors or starts_on is None:
        return {}, errors
    frequency, _sep, step = values["rhythm"].partition("-")
    recurrence: dict[str, Any] = {"frequency": frequency, "weekday": int(values["weekday"])}
    if frequency == "weekly":
        recurrence["interval"] = int(step)
    else:
        recurrence["week_of_month"] = int(step)
    return {
        "title": values["title"].strip(),
        "group_id": values["group_id"] or None,
        "place": values["place"].strip() or None,
        "timezone": zone.key,
        "recurrence": recurrence,
        "start_time": start_time.isoformat(timespec="minutes"),
        "duration_minutes": int(duration),
        "starts_on": starts_on.isoformat(),
        "count": int(count),
        "invitees": invitees,
    }, errors


DURATION_HINT = N_("Skriv hur många minuter mötena pågår, till exempel 120.")
COUNT_HINT = N_("Skriv hur många möten som ska planeras, till exempel 6.")
SERIES_FIELDS = {
    "title": ShownAt("title", N_("Kontrollera vad mötena heter.")),
    "place": ShownAt("place", N_("Kontrollera platsen.")),
    "duration_minutes": ShownAt("duration", DURATION_HINT),
    "count": ShownAt("count", COUNT_HINT),
    "starts_on": ShownAt("starts_on", N_("Kontrollera det första datumet.")),
    "start_time": ShownAt("start_time", N_("Kontrollera när mötena börjar.")),
}


class SeriesForm(BaseModel):
    title: str = ""
    group_id: str = ""
    place: str = ""
    rhythm: str = ""
    weekday: str = ""
    start_time: str = ""
    duration: str = ""
    starts_on: str = ""
    count: str = ""
    invitees: str = ""


@router.post("", response_class=HTMLResponse)
async def create_series(
    request: Request, _user: Manager, services: ServicesDep, form: Annotated[SeriesForm, Form()]
) -> Response:
    values = form.model_dump()
    body, errors = series_body(values, request.app.state.settings.zone)

    async def again(errors: dict[str, str]) -> Response:
        return await _form(request, services, values, errors, 400)

    return await send_form(
        services,
        "POST",
        "/v1/series",
        body,
        errors=errors,
        saved=lambda series: f"/series/{series['id']}",
        flash_key="series_created",
        again=again,
        refused_at="title",
        fields=SERIES_FIELDS,
    )


@router.get("/{series_id}", response_class=HTMLResponse)
async def show_series(
    request: Request, series_id: ServiceId, _user: Reader, services: ServicesDep
) -> Response:
    series = await services.get_json("meetings", f"/v1/series/{series_id}")
    if series is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Mötesserien finns inte"),
            message=_("Gå tillbaka till listan över mötesserier."),
        )
    return render(request, "meetings/series_detail.html", series=series, weekdays=WEEKDAYS)
