"""The delivery log for staff: every email notify sent or tried to send, searchable by recipient, by
the event that caused it and by day, and one email with each of its attempts; on an email whose
address bounced for good, the button that lets mail to it go again."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.navigation import ServiceId
from gateway.rendering import problem, refused, render
from gateway.sessions import SignedIn
from gateway.upstream import ServicesDep, send

router = APIRouter(prefix="/deliveries", dependencies=[Depends(csrf_protect)], tags=["pages"])
# Every address and subject sent, volunteers' offers among them: for administrators only.
Staff = Annotated[SignedIn, requires(*roles.ADMINISTER)]
SERVICE = "notify"
PAGE_SIZE = 50
# As notify's search takes them (notify.api.deliveries): said here, beside the field, not as a 422.
MIN_RECIPIENT = 3
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
MAX_MATCHES = 10_000
STATES = {
    "queued": N_("Väntar på att skickas"),
    "sent": N_("Skickat"),
    "deferred": N_("Skickas igen senare"),
    "failed": N_("Gick inte att skicka"),
    "bounced": N_("Kom i retur"),
}
OUTCOMES = {
    "sent": N_("Skickat"),
    "deferred": N_("Försöker igen senare"),
    "failed": N_("Gick inte att skicka"),
    "bounced": N_("Kom i retur"),
}


def _uuid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
async def delivery_log(
    request: Request,
    _user: Staff,
    services: ServicesDep,
    recipient: Annotated[str, Query(max_length=320)] = "",
    event: Annotated[str, Query(max_length=64)] = "",
    # Text, not dates: an empty field of the form is "any day", and a wrong one is said beside it.
    day_from: Annotated[str, Query(alias="from", max_length=40)] = "",
    day_to: Annotated[str, Query(alias="to", max_length=40)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_MATCHES - PAGE_SIZE)] = 0,
) -> Response:
    errors: dict[str, str] = {}
    cause = _uuid_or_none(event) if event else None
    if event and cause is None:
        errors["event"] = _("Skriv händelsens id som det står i loggen: 36 tecken med bindestreck.")
    if recipient.strip() and len(recipient.strip()) < MIN_RECIPIENT:
        errors["recipient"] = _("Skriv minst 3 tecken av adressen.")
    since, until = _day(day_from), _day(day_to)
    for name, text, day in (("from", day_from, since), ("to", day_to, until)):
        if text.strip() and day is None:
            errors[name] = _("Skriv dagen som år-månad-dag, till exempel 2027-03-09.")
        elif day is not None and not FIRST_DAY <= day <= LAST_DAY:
            errors[name] = _("Dagen måste ligga mellan år 2000 och 2999.")
    filters = {
        "recipient": recipient.strip(),
        "event": event.strip(),
        "from": since.isoformat() if since else day_from.strip(),
        "to": until.isoformat() if until else day_to.strip(),
        "state": state if state in STATES else "",
    }
    params = {
        "limit": PAGE_SIZE,
        "offset": offset,
        "recipient": filters["recipient"] or None,
        "cause_event_id": cause,
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "state": filters["state"] or None,
    }
    page = None
    if not errors:
        page = await services.get_json(
            SERVICE, "/v1/deliveries", params={k: v for k, v in params.items() if v is not None}
        )
    failing = await services.get_json(SERVICE, "/v1/deliveries/failing")
    return render(
        request,
        "notify/deliveries.html",
        page=page or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        filters=filters,
        pager_filters={k: v for k, v in filters.items() if v},
        errors=errors,
        states=STATES,
        failing=failing,
    )


@router.get("/{email_id}", response_class=HTMLResponse)
async def delivery(request: Request, _user: Staff, services: ServicesDep, email_id: ServiceId) -> Response:
    entry = await services.get_json(SERVICE, f"/v1/deliveries/{email_id}")
    if entry is None:
        return problem(
            request,
            404,
            _("Mejlet finns inte i loggen"),
            _("Det kan vara så gammalt att det är borttaget. Gå tillbaka till utskicksloggen."),
        )
    return render(request, "notify/delivery.html", entry=entry, states=STATES, outcomes=OUTCOMES)


@router.post("/{email_id}/clear-bounce", response_class=HTMLResponse)
async def clear_bounce(
    request: Request, _user: Staff, services: ServicesDep, email_id: ServiceId
) -> Response:
    """Bulk mail to this email's address goes again. The address is read from the log, never from the
    form; the change goes into the audit log with every other change made through the gateway."""
    entry = await services.get_json(SERVICE, f"/v1/deliveries/{email_id}")
    if entry is None:
        return problem(
            request,
            404,
            _("Mejlet finns inte i loggen"),
            _("Det kan vara så gammalt att det är borttaget. Gå tillbaka till utskicksloggen."),
        )
    outcome = await send(
        services, "POST", "/v1/bounced-addresses/clear", {"address": entry["recipient"]}, service=SERVICE
    )
    if not outcome.ok:
        return refused(request, outcome)
    return flash.redirect(f"/deliveries/{email_id}", "bounce_cleared")
