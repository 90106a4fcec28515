"""Meetings pages: the list, planning a meeting, one meeting with its agenda, attendance and action items."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from backbone.dependencies import ConnDep
from gateway import audit, flash, roles
from gateway.auth import client_ip, requires
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.navigation import ServiceId
from gateway.rendering import render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, send, side_by_side

router = APIRouter(prefix="/meetings", dependencies=[Depends(csrf_protect)], tags=["pages"])

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE_SIZE = 20
Reader = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
Manager = Annotated[SignedIn, requires(*roles.MANAGE_MEETINGS)]
# Representatives record attendance for their own organisation; the service checks the scope.
Recorder = Annotated[SignedIn, requires(*roles.READ_MEETINGS)]
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")

AGENDA_KINDS = {
    "theme": N_("Tema med inbjudna gäster"),
    "working_group_report": N_("Rapport från en arbetsgrupp"),
    "information": N_("Information"),
    "decision": N_("Beslutspunkt"),
    "other": N_("Övrigt"),
}
ATTENDANCE = {
    "present": N_("Närvarande"),
    "excused": N_("Anmält förhinder"),
    "absent": N_("Frånvarande"),
    "guest": N_("Gäst"),
}
# A roll call marks each expected person; guests are added by name on the same form.
ROLL_CALL = {key: label for key, label in ATTENDANCE.items() if key != "guest"}
ACTION_STATUS = {"open": N_("Öppen"), "done": N_("Klar"), "dropped": N_("Struken")}
MINUTES_STATUS = {
    "draft": N_("Utkast"),
    "ready_for_review": N_("Klart för granskning"),
    "approved": N_("Godkänt"),
    "published": N_("Publicerat"),
    "superseded": N_("Ersatt av en rättelse"),
}


def translated(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in labels.items()]


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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
    for name, value in (("from", start), ("to", end)):
        if value:
            parsed = parse_date(value)
            if parsed is None:
                errors[name] = _("Skriv datumet som år-månad-dag, till exempel 2026-03-07.")
            else:
                params[name] = datetime.combine(parsed, time(0), STOCKHOLM).isoformat()
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


async def group_options(services: Services) -> list[tuple[str, str]]:
    groups = await services.get_json("meetings", "/v1/groups", params={"limit": 200})
    return [("", _("Ingen grupp"))] + [(g["id"], g["name"]) for g in (groups or {}).get("items", [])]


@router.get("/new", response_class=HTMLResponse)
async def new_meeting(request: Request, _user: Manager, services: ServicesDep) -> Response:
    return render(
        request, "meetings/new.html", values=_empty_form(), errors={}, groups=await group_options(services)
    )


def parse_invitees(text: str) -> tuple[list[dict[str, str]], list[int]]:
    """One invitee per line, "Name, e-mail" or "Name <e-mail>"; returns them and the bad line numbers."""
    invitees: list[dict[str, str]] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _EMAIL.search(line)
        name = (line[: found.start()] + line[found.end() :]).strip(" ,;<>") if found else ""
        if found is None or not name:
            bad.append(number)
            continue
        invitees.append({"name": name, "email": found.group(0)})
    return invitees, bad


def check_meeting_form(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = _("Skriv vad mötet heter.")
    day = parse_date(values["day"])
    if day is None:
        errors["day"] = _("Skriv datumet som år-månad-dag, till exempel 2026-03-07.")
    times: dict[str, time] = {}
    for name in ("starts", "ends"):
        try:
            times[name] = time.fromisoformat(values[name])
        except ValueError:
            errors[name] = _("Skriv tiden som timmar:minuter, till exempel 13:30.")
    if "starts" in times and "ends" in times and times["ends"] <= times["starts"]:
        errors["ends"] = _("Mötet måste sluta efter att det börjar.")
    invitees, bad = parse_invitees(values["invitees"])
    if bad:
        errors["invitees"] = _(
            "Rad %(lines)s går inte att läsa. "
            "Skriv namn och e-postadress, till exempel Anna Berg, anna@exempel.se."
        ) % {"lines": ", ".join(str(n) for n in bad)}
    if errors or day is None:
        return {}, errors
    body = {
        "title": values["title"].strip(),
        "group_id": values["group_id"] or None,
        "starts_at": datetime.combine(day, times["starts"], STOCKHOLM).isoformat(),
        "ends_at": datetime.combine(day, times["ends"], STOCKHOLM).isoformat(),
        "timezone": "Europe/Stockholm",
        "place": values["place"].strip() or None,
        "invitees": invitees,
    }
    return body, errors


@router.post("", response_class=HTMLResponse)
async def create_meeting(
    request: Request,
    user: Manager,
    services: ServicesDep,
    conn: ConnDep,
    title: Annotated[str, Form()] = "",
    group_id: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "",
    ends: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    invitees: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "title": title,
        "group_id": group_id,
        "day": day,
        "starts": starts,
        "ends": ends,
        "place": place,
        "invitees": invitees,
    }
    body, errors = check_meeting_form(values)
    if not errors:
        outcome = await send(services, "POST", "/v1/meetings", body)
        if outcome.ok:
            meeting_id = outcome.data["id"]
            await audit.record(
                conn,
                action="meeting_created",
                actor_id=user.user_id,
                actor_email=user.email,
                target=f"meeting:{meeting_id}",
                ip=client_ip(request),
            )
            redirect = RedirectResponse(f"/meetings/{meeting_id}", status_code=303)
            flash.flash(redirect, "meeting_created")
            return redirect
        errors["title"] = outcome.message
    return render(
        request,
        "meetings/new.html",
        status_code=400,
        values=values,
        errors=errors,
        groups=await group_options(services),
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
    # Side by side: the page waits for the slowest call, not for all five in a row.
    meeting, agenda, roll_call, items, minutes = await side_by_side(
        services.get_json("meetings", f"/v1/meetings/{meeting_id}"),
        services.get_json("meetings", f"/v1/meetings/{meeting_id}/agenda"),
        services.get_json("meetings", f"/v1/meetings/{meeting_id}/roll-call"),
        services.get_json("meetings", "/v1/action-items", params={"meeting_id": meeting_id}),
        services.get_json("meetings", f"/v1/meetings/{meeting_id}/minutes"),
    )
    if meeting is None:
        return render(
            request,
            "pages/error.html",
            status_code=404,
            heading=_("Mötet finns inte"),
            message=_("Mötet kan ha tagits bort, eller så är länken fel. Gå till listan över möten."),
        )
    return render(
        request,
        "meetings/detail.html",
        status_code=status_code,
        meeting=meeting,
        agenda=agenda,
        roll_call=(roll_call or {}).get("entries", []),
        roll_call_options=translated(ROLL_CALL),
        values=values or {},
        action_items=(items or {}).get("items", []),
        minutes=minutes,
        errors=errors or {},
        agenda_kinds=AGENDA_KINDS,
        attendance_labels=ATTENDANCE,
        action_status=ACTION_STATUS,
        agenda_kind_options=translated(AGENDA_KINDS),
        minutes_status=MINUTES_STATUS,
        can_manage=user.has_role(*roles.MANAGE_MEETINGS),
    )


@router.get("/{meeting_id}", response_class=HTMLResponse)
async def show_meeting(
    request: Request, meeting_id: ServiceId, user: Reader, services: ServicesDep
) -> Response:
    return await _detail(request, services, user, meeting_id)


def _saved(meeting_id: ServiceId, anchor: str, key: str = "saved") -> RedirectResponse:
    redirect = RedirectResponse(f"/meetings/{meeting_id}#{anchor}", status_code=303)
    flash.flash(redirect, key)
    return redirect


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
    minutes: int | None = None
    if duration.strip():
        if not duration.strip().isdigit() or not 1 <= int(duration) <= 600:
            errors["agenda_duration"] = _("Skriv hur många minuter punkten tar, till exempel 20.")
        else:
            minutes = int(duration)
    if kind not in AGENDA_KINDS:
        errors["agenda_kind"] = _("Välj vilken sorts punkt det är.")
    if not errors:
        outcome = await send(
            services,
            "POST",
            f"/v1/meetings/{meeting_id}/agenda/items",
            {
                "title": title.strip(),
                "kind": kind,
                "duration_minutes": minutes,
                "description": description.strip() or None,
            },
        )
        if outcome.ok:
            return _saved(meeting_id, "agenda")
        errors["agenda_title"] = outcome.message
    return await _detail(request, services, user, meeting_id, errors, 400)


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
    if not marks and not guests:
        errors = {"attendance": _("Markera minst en person, eller skriv en gäst.")}
        return await _detail(request, services, user, meeting_id, errors, 400, {"guests": guests_text})
    outcome = await send(
        services, "PUT", f"/v1/meetings/{meeting_id}/attendance", {"entries": marks, "guests": guests}
    )
    if outcome.ok:
        return _saved(meeting_id, "attendance")
    errors = {"attendance": outcome.message}
    return await _detail(request, services, user, meeting_id, errors, 400, {"guests": guests_text})


def _guest(line: str) -> dict[str, str | None]:
    """`Per Skålén, Karlstads universitet` → the guest's name and, after the first comma, organisation."""
    name, _comma, organisation = line.partition(",")
    return {"name": name.strip(), "organisation_name": organisation.strip() or None}


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
        errors["item_due"] = _("Skriv datumet som år-månad-dag, till exempel 2026-03-07.")
    if not errors:
        outcome = await send(
            services,
            "POST",
            f"/v1/meetings/{meeting_id}/action-items",
            {
                "text": text.strip(),
                "owner_name": owner_name.strip() or None,
                "due_date": due.isoformat() if due else None,
            },
        )
        if outcome.ok:
            return _saved(meeting_id, "action-items")
        errors["item_text"] = outcome.message
    return await _detail(request, services, user, meeting_id, errors, 400)


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
    outcome = await send(
        services,
        "POST",
        f"/v1/action-items/{item_id}/close",
        {
            "version": version,
            "status": "dropped" if status == "dropped" else "done",
            "closed_in_meeting_id": meeting_id,
        },
    )
    if outcome.ok:
        return _saved(meeting_id, "action-items")
    return await _detail(request, services, user, meeting_id, {"item_text": outcome.message}, 400)


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
    if order is not None:
        outcome = await send(services, "PUT", f"/v1/meetings/{meeting_id}/agenda/order", {"item_ids": order})
        if not outcome.ok:
            return await _detail(request, services, user, meeting_id, {"agenda_title": outcome.message}, 400)
    return _saved(meeting_id, "agenda")


@router.post("/{meeting_id}/agenda/{item_id}/delete", response_class=HTMLResponse)
async def delete_agenda_item(
    request: Request, meeting_id: ServiceId, item_id: ServiceId, user: Manager, services: ServicesDep
) -> Response:
    outcome = await send(services, "DELETE", f"/v1/meetings/{meeting_id}/agenda/items/{item_id}")
    if not outcome.ok:
        return await _detail(request, services, user, meeting_id, {"agenda_title": outcome.message}, 400)
    return _saved(meeting_id, "agenda")


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
    values = {
        "title": "-",
        "group_id": "",
        "day": day,
        "starts": starts,
        "ends": ends,
        "place": place,
        "invitees": "",
    }
    body, errors = check_meeting_form(values)
    errors = {f"move_{k}": v for k, v in errors.items()}
    if not errors:
        outcome = await send(
            services,
            "PATCH",
            f"/v1/meetings/{meeting_id}",
            {
                "version": version,
                "starts_at": body["starts_at"],
                "ends_at": body["ends_at"],
                "place": body["place"],
            },
        )
        if outcome.ok:
            return _saved(meeting_id, "main")
        errors["move_day"] = outcome.message
    return await _detail(request, services, user, meeting_id, errors, 400)


@router.post("/{meeting_id}/cancel", response_class=HTMLResponse)
async def cancel_meeting(
    request: Request,
    meeting_id: ServiceId,
    user: Manager,
    services: ServicesDep,
    version: Annotated[int, Form()] = 0,
    reason: Annotated[str, Form()] = "",
) -> Response:
    outcome = await send(
        services,
        "POST",
        f"/v1/meetings/{meeting_id}/cancel",
        {"version": version, "reason": reason.strip() or None},
    )
    if outcome.ok:
        return _saved(meeting_id, "main")
    return await _detail(request, services, user, meeting_id, {"cancel_reason": outcome.message}, 400)
