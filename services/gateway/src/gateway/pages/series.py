"""Meeting series: a group that meets regularly, with its generated meetings."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.navigation import ServiceId
from gateway.pages.meetings import group_options, parse_date, parse_invitees, translated
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep, send

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


def series_body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
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
        errors["start_time"] = _("Skriv tiden som timmar:minuter, till exempel 13:30.")
    duration = values["duration"].strip()
    if not duration.isdigit() or not 5 <= int(duration) <= 1440:
        errors["duration"] = _("Skriv hur många minuter mötena pågår, till exempel 120.")
    starts_on = parse_date(values["starts_on"])
    if starts_on is None:
        errors["starts_on"] = _("Skriv datumet som år-månad-dag, till exempel 2026-03-07.")
    count = values["count"].strip()
    if not count.isdigit() or not 1 <= int(count) <= 120:
        errors["count"] = _("Skriv hur många möten som ska planeras, mellan 1 och 120.")
    invitees, bad = parse_invitees(values["invitees"])
    if bad:
        errors["invitees"] = _(
            "Rad %(lines)s går inte att läsa. "
            "Skriv namn och e-postadress, till exempel Anna Berg, anna@exempel.se."
        ) % {"lines": ", ".join(str(n) for n in bad)}
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
        "timezone": "Europe/Stockholm",
        "recurrence": recurrence,
        "start_time": start_time.isoformat(timespec="minutes"),
        "duration_minutes": int(duration),
        "starts_on": starts_on.isoformat(),
        "count": int(count),
        "invitees": invitees,
    }, errors


@router.post("", response_class=HTMLResponse)
async def create_series(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    title: Annotated[str, Form()] = "",
    group_id: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    rhythm: Annotated[str, Form()] = "",
    weekday: Annotated[str, Form()] = "",
    start_time: Annotated[str, Form()] = "",
    duration: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "",
    invitees: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "title": title,
        "group_id": group_id,
        "place": place,
        "rhythm": rhythm,
        "weekday": weekday,
        "start_time": start_time,
        "duration": duration,
        "starts_on": starts_on,
        "count": count,
        "invitees": invitees,
    }
    body, errors = series_body(values)
    if not errors:
        outcome = await send(services, "POST", "/v1/series", body)
        if outcome.ok:
            redirect = RedirectResponse(f"/series/{outcome.data['id']}", status_code=303)
            flash.flash(redirect, "series_created")
            return redirect
        errors["title"] = outcome.message
    return await _form(request, services, values, errors, 400)


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
