"""Meetings pages: the list, planning a meeting, one meeting with its agenda, attendance and action items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from backbone.dependencies import ConnDep
from gateway import audit, flash, roles
from gateway.auth import client_ip, requires
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
from gateway.labels import ACTION_STATUS, AGENDA_KINDS, ATTENDANCE, MINUTES_STATUS, ROLL_CALL, translated
from gateway.navigation import ServiceId
from gateway.rendering import render, render_kept
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep

router = APIRouter(prefix="/meetings", dependencies=[Depends(csrf_protect)], tags=["pages"])

PAGE_SIZE = 20
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
# Representatives record attendance for their own organisation; the service checks the scope.
Recorder = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]


@router.get("", response_class=HTMLResponse)
async def list_meetings(
    request: Request,
    user: Reader,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset}
    errors: dict[str, str] = {}
    filters: dict[str, str] = {}
    zone = request.app.state.settings.zone
    for name, value in (("from", start), ("to", end)):
        if value:
            parsed = parse_date(value)
            if parsed is None:
                errors[name] = _(DATE_HINT)
            else:
                params[name] = datetime.combine(parsed, time(0), zone).isoformat()
                filters[name] = value
    page = await services.get_json("meetings", "/v1/meetings", params=params)
    return render(
        request,
        "meetings/list.html",
        page=page or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        filters=filters,
        errors=errors,
        values={"from": start or "", "to": end or ""},
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )


def _empty_form() -> dict[str, str]:
    return {
        "title": "",
        "group_id": "",
        "day": "",
        "starts": "13:30",
        "ends": "15:30",
        "place": "",
        "invitees": "",
    }


@router.get("/new", response_class=HTMLResponse)
async def new_meeting(request: Request, _user: Manager, services: ServicesDep) -> Response:
    return render(
        request, "meetings/new.html", values=_empty_form(), errors={}, groups=await group_options(services)
    )


def check_meeting_form(values: dict[str, str], zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's body from the form, or what the person must write differently. Only what the page
    must read is checked here; the service's own rules (such as ending after the start) are its own."""
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = _("Skriv vad mötet heter.")
    day = parse_date(values["day"])
    if day is None:
        errors["day"] = _(DATE_HINT)
    times: dict[str, time] = {}
    for name in ("starts", "ends"):
        try:
            times[name] = time.fromisoformat(values[name])
        except ValueError:
            errors[name] = _(TIME_HINT)
    invitees, bad = parse_invitees(values["invitees"])
    if bad:
        errors["invitees"] = unreadable_invitees(bad)
    if errors or day is None:
        return {}, errors
    body = {
        "title": values["title"].strip(),
        "group_id": values["group_id"] or None,
        "starts_at": datetime.combine(day, times["starts"], zone).isoformat(),
        "ends_at": datetime.combine(day, times["ends"], zone).isoformat(),
        "timezone": zone.key,
        "place": values["place"].strip() or None,
        "invitees": invitees,
    }
    return body, errors


# Where the service's refusals of a meeting's fields are shown; "(request)" is a rule over several fields.
MEETING_FIELDS = {
    "title": ShownAt("title", N_("Kontrollera vad mötet heter.")),
    "starts_at": ShownAt("starts", N_("Kontrollera när mötet börjar.")),
    "ends_at": ShownAt("ends", N_("Kontrollera när mötet slutar.")),
    "(request)": ShownAt("ends", N_("Kontrollera när mötet börjar och slutar.")),
    "place": ShownAt("place", N_("Kontrollera platsen.")),
}


class MeetingForm(BaseModel):
    title: str = ""
    group_id: str = ""
    day: str = ""
    starts: str = ""
    ends: str = ""
    place: str = ""
    invitees: str = ""


@router.post("", response_class=HTMLResponse)
async def create_meeting(
    request: Request,
    user: Manager,
    services: ServicesDep,
    conn: ConnDep,
    form: Annotated[MeetingForm, Form()],
) -> Response:
    values = form.model_dump()
    body, errors = check_meeting_form(values, request.app.state.settings.zone)

    async def audited(meeting: dict[str, Any]) -> None:
        await audit.record(
            conn,
            action="meeting_created",
            actor_id=user.user_id,
            actor_email=user.email,
            target=f"meeting:{meeting['id']}",
            ip=client_ip(request),
        )

    async def again(errors: dict[str, str]) -> Response:
        return render(
            request,
            "meetings/new.html",
            status_code=400,
            values=values,
            errors=errors,
            groups=await group_options(services),
        )

    return await send_form(
        services,
        "POST",
        "/v1/meetings",
        body,
        errors=errors,
        saved=lambda meeting: f"/meetings/{meeting['id']}",
        flash_key="meeting_created",
        then=audited,
        again=again,
        refused_at="title",
        fields=MEETING_FIELDS,
    )


async def _detail(
    request: Request,
    services: Services,
    user: SignedIn,
    meeting_id: ServiceId,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    # One call for the whole page (the meeting, agenda, roll call, action items and minutes, read in
    # one snapshot); 404 when there is no such meeting.
    answer = await services.get("meetings", f"/v1/meetings/{meeting_id}/overview")
    # A refusal is the 404 page; a success always holds the meeting, and is only read when rendered.
    if answer.status_code >= 400:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Mötet finns inte"),
            message=_("Mötet kan ha tagits bort, eller så är länken fel. Gå till listan över möten."),
        )

    def context() -> dict[str, Any]:
        overview = answer.data() or {}
        meeting, agenda, roll_call, items, minutes = (
            overview.get(part) for part in ("meeting", "agenda", "roll_call", "action_items", "minutes")
        )
        return {
            "meeting": meeting,
            "agenda": agenda,
            "roll_call": (roll_call or {}).get("entries", []),
            "roll_call_options": translated(ROLL_CALL),
            "values": values or {},
            "action_items": (items or {}).get("items", []),
            "minutes": minutes,
            "errors": errors or {},
            "agenda_kinds": AGENDA_KINDS,
            "attendance_labels": ATTENDANCE,
            "action_status": ACTION_STATUS,
            "agenda_kind_options": translated(AGENDA_KINDS),
            "minutes_status": MINUTES_STATUS,
            "can_manage": user.has_role(*roles.MANAGE_MEETINGS),
        }

    if errors is None and values is None and status_code == 200:
        # The page as it is opened, from the answer alone: shown again while its ETag holds.
        return render_kept(request, "meetings/detail.html", [answer], context)
    return render(request, "meetings/detail.html", status_code=status_code, **context())


@router.get("/{meeting_id}", response_class=HTMLResponse)
async def show_meeting(
    request: Request, meeting_id: ServiceId, user: Reader, services: ServicesDep
) -> Response:
    return await _detail(request, services, user, meeting_id)


def _at(meeting_id: ServiceId, anchor: str) -> str:
    return f"/meetings/{meeting_id}#{anchor}"


def _again(
    request: Request,
    services: Services,
    user: SignedIn,
    meeting_id: ServiceId,
    values: dict[str, str] | None = None,
) -> Callable[[dict[str, str]], Awaitable[Response]]:
    """The meeting page shown again with the errors of one of its forms."""

    async def again(errors: dict[str, str]) -> Response:
        return await _detail(request, services, user, meeting_id, errors, 400, values)

    return again


AGENDA_FIELDS = {
    "title": ShownAt("agenda_title", N_("Kontrollera rubriken.")),
    "duration_minutes": ShownAt(
        "agenda_duration", N_("Skriv hur många minuter punkten tar, till exempel 20.")
    ),
    "description": ShownAt("agenda_description", N_("Kontrollera beskrivningen.")),
}


@router.post("/{meeting_id}/agenda", response_class=HTMLResponse)
async def add_agenda_item(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    title: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "other",
    duration: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["agenda_title"] = _("Skriv en rubrik för punkten.")
    # Only whether it is a number; how long an item may be is the service's rule.
    if duration.strip() and not duration.strip().isdigit():
        errors["agenda_duration"] = _("Skriv hur många minuter punkten tar, till exempel 20.")
    if kind not in AGENDA_KINDS:
        errors["agenda_kind"] = _("Välj vilken sorts punkt det är.")
    body = {
        "title": title.strip(),
        "kind": kind,
        "duration_minutes": int(duration) if duration.strip().isdigit() else None,
        "description": description.strip() or None,
    }
    return await send_form(
        services,
        "POST",
        f"/v1/meetings/{meeting_id}/agenda/items",
        body,
        errors=errors,
        saved=_at(meeting_id, "agenda"),
        again=_again(request, services, user, meeting_id),
        refused_at="agenda_title",
        fields=AGENDA_FIELDS,
    )


@router.post("/{meeting_id}/attendance", response_class=HTMLResponse)
async def record_attendance(
    request: Request, meeting_id: ServiceId, user: Recorder, services: ServicesDep
) -> Response:
    """The roll call: every expected person's mark and the guests, saved by the service in one go."""
    form = await request.form()
    marks = [
        {"key": str(name).removeprefix("mark:"), "status": str(value)}
        for name, value in form.multi_items()
        if str(name).startswith("mark:") and str(value) in ROLL_CALL
    ]
    guests_text = str(form.get("guests", ""))
    guests = [_guest(line) for line in guests_text.splitlines() if line.strip()]
    errors: dict[str, str] = {}
    if not marks and not guests:
        errors["attendance"] = _("Markera minst en person, eller skriv en gäst.")
    return await send_form(
        services,
        "PUT",
        f"/v1/meetings/{meeting_id}/attendance",
        {"entries": marks, "guests": guests},
        errors=errors,
        saved=_at(meeting_id, "attendance"),
        again=_again(request, services, user, meeting_id, {"guests": guests_text}),
        refused_at="attendance",
    )


def _guest(line: str) -> dict[str, str | None]:
    """`Per Skålén, Karlstads universitet` → the guest's name and, after the first comma, organisation."""
    name, _comma, organisation = line.partition(",")
    return {"name": name.strip(), "organisation_name": organisation.strip() or None}


ACTION_ITEM_FIELDS = {
    "text": ShownAt("item_text", N_("Kontrollera vad som ska göras.")),
    "owner_name": ShownAt("item_owner", N_("Kontrollera vem som ansvarar.")),
    "due_date": ShownAt("item_due", N_("Kontrollera när det ska vara klart.")),
}


@router.post("/{meeting_id}/action-items", response_class=HTMLResponse)
async def add_action_item(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    text: Annotated[str, Form()] = "",
    owner_name: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if not text.strip():
        errors["item_text"] = _("Skriv vad som ska göras.")
    due = parse_date(due_date)
    if due_date and due is None:
        errors["item_due"] = _(DATE_HINT)
    body = {
        "text": text.strip(),
        "owner_name": owner_name.strip() or None,
        "due_date": due.isoformat() if due else None,
    }
    return await send_form(
        services,
        "POST",
        f"/v1/meetings/{meeting_id}/action-items",
        body,
        errors=errors,
        saved=_at(meeting_id, "action-items"),
        again=_again(request, services, user, meeting_id),
        refused_at="item_text",
        fields=ACTION_ITEM_FIELDS,
    )


@router.post("/{meeting_id}/action-items/{item_id}/close", response_class=HTMLResponse)
async def close_action_item(
    request: Request,
    meeting_id: ServiceId,
    item_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    version: Annotated[int, Form()] = 0,
    status: Annotated[str, Form()] = "done",
) -> Response:
    body = {
        "version": version,
        "status": "dropped" if status == "dropped" else "done",
        "closed_in_meeting_id": meeting_id,
    }
    return await send_form(
        services,
        "POST",
        f"/v1/action-items/{item_id}/close",
        body,
        errors={},
        saved=_at(meeting_id, "action-items"),
        again=_again(request, services, user, meeting_id),
        refused_at="item_text",
    )


def moved(item_ids: list[str], item_id: str, direction: str) -> list[str] | None:
    """The agenda order with one item moved a step up or down; None when it cannot move."""
    if item_id not in item_ids:
        return None
    i = item_ids.index(item_id)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(item_ids):
        return None
    order = list(item_ids)
    order[i], order[j] = order[j], order[i]
    return order


@router.post("/{meeting_id}/agenda/{item_id}/move", response_class=HTMLResponse)
async def move_agenda_item(
    request: Request,
    meeting_id: ServiceId,
    item_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    direction: Annotated[str, Form()] = "up",
) -> Response:
    agenda = await services.get_json("meetings", f"/v1/meetings/{meeting_id}/agenda")
    order = moved([i["id"] for i in (agenda or {}).get("items", [])], item_id, direction)
    if order is None:  # already first or last: nothing to change
        redirect = RedirectResponse(_at(meeting_id, "agenda"), status_code=303)
        flash.flash(redirect, "saved")
        return redirect
    return await send_form(
        services,
        "PUT",
        f"/v1/meetings/{meeting_id}/agenda/order",
        {"item_ids": order},
        errors={},
        saved=_at(meeting_id, "agenda"),
        again=_again(request, services, user, meeting_id),
        refused_at="agenda_title",
    )


@router.post("/{meeting_id}/agenda/{item_id}/delete", response_class=HTMLResponse)
async def delete_agenda_item(
    request: Request, meeting_id: ServiceId, item_id: ServiceId, user: Manager, services: ServicesDep
) -> Response:
    return await send_form(
        services,
        "DELETE",
        f"/v1/meetings/{meeting_id}/agenda/items/{item_id}",
        None,
        errors={},
        saved=_at(meeting_id, "agenda"),
        again=_again(request, services, user, meeting_id),
        refused_at="agenda_title",
    )


@router.post("/{meeting_id}/move", response_class=HTMLResponse)
async def move_meeting(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    version: Annotated[int, Form()] = 0,
    day: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "",
    ends: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> Response:
    values = {"title": "-", "group_id": "", "day": day, "starts": starts, "ends": ends, "place": place}
    new, errors = check_meeting_form({**values, "invitees": ""}, request.app.state.settings.zone)
    body = {"version": version, **{k: new.get(k) for k in ("starts_at", "ends_at", "place")}}
    return await send_form(
        services,
        "PATCH",
        f"/v1/meetings/{meeting_id}",
        body,
        errors={f"move_{k}": v for k, v in errors.items()},
        saved=_at(meeting_id, "main"),
        again=_again(request, services, user, meeting_id),
        # The service says why a time does not fit (such as ending before it starts) beside the end.
        refused_at="move_ends",
        fields={k: ShownAt(f"move_{s.field}", s.hint) for k, s in MEETING_FIELDS.items()},
    )


@router.post("/{meeting_id}/cancel", response_class=HTMLResponse)
async def cancel_meeting(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    version: Annotated[int, Form()] = 0,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return await send_form(
        services,
        "POST",
        f"/v1/meetings/{meeting_id}/cancel",
        {"version": version, "reason": reason.strip() or None},
        errors={},
        saved=_at(meeting_id, "main"),
        again=_again(request, services, user, meeting_id),
        refused_at="cancel_reason",
    )
