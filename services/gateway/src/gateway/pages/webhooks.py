"""Webhooks for organisation representatives (administrators: every organisation's): their endpoints,
the secret shown once and rotated, the topics, the delivery log with replays, and a test event.

Every rule is notify's (which URLs are allowed, whose endpoint it is): these pages send what the
person wrote and show notify's reason when it refuses.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from gateway import flash, roles
from gateway.auth import requires
from gateway.csrf import csrf_protect
from gateway.i18n import N_, _
from gateway.navigation import ServiceId
from gateway.rendering import problem, render
from gateway.sessions import SignedIn
from gateway.upstream import Services, ServicesDep, send

router = APIRouter(prefix="/webhooks", dependencies=[Depends(csrf_protect)], tags=["pages"])
Manager = Annotated[SignedIn, requires(*roles.MANAGE_WEBHOOKS)]
SERVICE = "notify"
API = "/v1/webhooks/endpoints"
PAGE_SIZE = 50

TOPICS = {
    "event.published": N_("Ett evenemang har publicerats"),
    "event.changed": N_("Ett evenemang har fått ny tid eller plats"),
    "event.cancelled": N_("Ett evenemang har ställts in"),
    "minutes.published": N_("Ett protokoll har publicerats"),
    "registration.created": N_("Någon från er organisation har anmält sig"),
    "registration.cancelled": N_("Någon från er organisation har avanmält sig"),
    "webhook.test": N_("Test"),
}
STATUSES = {
    "pending": N_("Väntar på nästa försök"),
    "succeeded": N_("Levererat"),
    "failed": N_("Gick inte att leverera"),
}


def _topic_options() -> list[tuple[str, str]]:
    return [(topic, _(label)) for topic, label in TOPICS.items() if topic != "webhook.test"]


def _sees_all(user: SignedIn) -> bool:
    return user.has_role(*roles.ADMINISTER)


async def _list(
    request: Request,
    user: SignedIn,
    services: Services,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    page = await services.get_json(SERVICE, API, params={"limit": 200})
    return render(
        request,
        "webhooks/list.html",
        status_code=status_code,
        page=page or {"items": [], "total": 0},
        errors=errors or {},
        values=values
        or {"url": "", "description": "", "contact_email": "", "topics": [], "organisation_id": ""},
        topics=TOPICS,
        topic_options=_topic_options(),
        sees_all=_sees_all(user),
    )


@router.get("", response_class=HTMLResponse)
async def endpoints(request: Request, user: Manager, services: ServicesDep) -> Response:
    return await _list(request, user, services)


def _secret_page(request: Request, endpoint: dict[str, Any], *, rotated: bool) -> Response:
    # Shown in this answer only: notify never shows the secret again, and no redirect could carry it.
    return render(request, "webhooks/secret.html", endpoint=endpoint, rotated=rotated)


@router.post("", response_class=HTMLResponse)
async def register(
    request: Request,
    user: Manager,
    services: ServicesDep,
    url: Annotated[str, Form(max_length=4000)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    contact_email: Annotated[str, Form(max_length=320)] = "",
    topics: Annotated[list[str] | None, Form()] = None,
    organisation_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    chosen = [t for t in (topics or []) if t in TOPICS]
    values = {
        "url": url.strip(),
        "description": description.strip(),
        "contact_email": contact_email.strip(),
        "topics": chosen,
        "organisation_id": organisation_id.strip(),
    }
    errors: dict[str, str] = {}
    if not values["url"]:
        errors["url"] = _("Skriv mottagarens webbadress, till exempel https://exempel.se/webhook.")
    if not chosen:
        errors["topics"] = _("Välj minst ett ämne.")
    if not values["contact_email"]:
        errors["contact_email"] = _("Skriv en e-postadress. Dit skriver vi om webhooken slutar fungera.")
    if errors:
        return await _list(request, user, services, errors=errors, values=values, status_code=400)
    body: dict[str, Any] = {k: v for k, v in values.items() if k != "organisation_id"}
    if _sees_all(user):
        body["organisation_id"] = values["organisation_id"] or user.organisation_id
    outcome = await send(services, "POST", API, body, service=SERVICE)
    if not outcome.ok:
        # notify's reason beside the field it names (its 422s say which), else at the address.
        shown = {k: v for k, v in outcome.invalid_fields.items() if k in values} or {"url": outcome.message}
        return await _list(request, user, services, errors=shown, values=values, status_code=400)
    return _secret_page(request, outcome.data, rotated=False)


async def _detail(
    request: Request,
    services: Services,
    endpoint_id: str,
    *,
    status: str = "",
    offset: int = 0,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    endpoint = await services.get_json(SERVICE, f"{API}/{endpoint_id}")
    if endpoint is None:
        return problem(
            request,
            404,
            _("Webhooken finns inte"),
            _("Den kan vara borttagen eller höra till en annan organisation. Gå tillbaka till era webhooks."),
        )
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset}
    if status in STATUSES:
        params["status"] = status
    messages = await services.get_json(SERVICE, f"{API}/{endpoint_id}/messages", params=params)
    return render(
        request,
        "webhooks/detail.html",
        status_code=status_code,
        endpoint=endpoint,
        messages=messages or {"items": [], "total": 0, "limit": PAGE_SIZE, "offset": 0},
        status=status if status in STATUSES else "",
        statuses=STATUSES,
        topics=TOPICS,
        topic_options=_topic_options(),
        errors=errors or {},
    )


@router.get("/{endpoint_id}", response_class=HTMLResponse)
async def endpoint(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    endpoint_id: ServiceId,
    status: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    return await _detail(request, services, endpoint_id, status=status, offset=offset)


async def _change(
    request: Request, services: Services, endpoint_id: str, method: str, path: str, body: Any, *, done: str
) -> Response:
    outcome = await send(services, method, path, body, service=SERVICE)
    if not outcome.ok:
        return await _detail(
            request, services, endpoint_id, errors={"endpoint": outcome.message}, status_code=400
        )
    return flash.redirect(f"/webhooks/{endpoint_id}", done)


@router.post("/{endpoint_id}", response_class=HTMLResponse)
async def change(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    endpoint_id: ServiceId,
    url: Annotated[str, Form(max_length=4000)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    contact_email: Annotated[str, Form(max_length=320)] = "",
    topics: Annotated[list[str] | None, Form()] = None,
) -> Response:
    body = {
        "url": url.strip(),
        "description": description.strip(),
        "contact_email": contact_email.strip(),
        "topics": [t for t in (topics or []) if t in TOPICS],
    }
    return await _change(request, services, endpoint_id, "PATCH", f"{API}/{endpoint_id}", body, done="saved")


@router.post("/{endpoint_id}/enabled", response_class=HTMLResponse)
async def turn_on_or_off(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    endpoint_id: ServiceId,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    body = {"enabled": enabled == "true"}
    return await _change(request, services, endpoint_id, "PATCH", f"{API}/{endpoint_id}", body, done="saved")


@router.post("/{endpoint_id}/rotate-secret", response_class=HTMLResponse)
async def rotate_secret(
    request: Request, _user: Manager, services: ServicesDep, endpoint_id: ServiceId
) -> Response:
    outcome = await send(services, "POST", f"{API}/{endpoint_id}/rotate-secret", service=SERVICE)
    if not outcome.ok:
        return await _detail(
            request, services, endpoint_id, errors={"endpoint": outcome.message}, status_code=400
        )
    return _secret_page(request, outcome.data, rotated=True)


@router.post("/{endpoint_id}/test", response_class=HTMLResponse)
async def send_test(
    request: Request, _user: Manager, services: ServicesDep, endpoint_id: ServiceId
) -> Response:
    path = f"{API}/{endpoint_id}/test"
    return await _change(request, services, endpoint_id, "POST", path, None, done="webhook_test_queued")


@router.post("/{endpoint_id}/messages/{message_id}/replay", response_class=HTMLResponse)
async def replay(
    request: Request, _user: Manager, services: ServicesDep, endpoint_id: ServiceId, message_id: ServiceId
) -> Response:
    path = f"{API}/{endpoint_id}/messages/{message_id}/replay"
    return await _change(request, services, endpoint_id, "POST", path, None, done="webhook_replayed")


def _local_moment(value: str, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@router.post("/{endpoint_id}/replay-failed", response_class=HTMLResponse)
async def replay_failed(
    request: Request,
    _user: Manager,
    services: ServicesDep,
    endpoint_id: ServiceId,
    since: Annotated[str, Form(max_length=40)] = "",
    until: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    # A datetime-local field names no zone: the time is read on the gateway's clock (its settings).
    zone = request.app.state.settings.zone
    start, end = _local_moment(since, zone), _local_moment(until, zone)
    if start is None or end is None:
        message = _("Skriv båda tiderna som datum och klockslag, till exempel 2026-03-07 13:30.")
        return await _detail(request, services, endpoint_id, errors={"since": message}, status_code=400)
    body = {"since": start.isoformat(), "until": end.isoformat()}
    path = f"{API}/{endpoint_id}/replay-failed"
    return await _change(request, services, endpoint_id, "POST", path, body, done="webhook_replayed")


@router.post("/{endpoint_id}/delete", response_class=HTMLResponse)
async def remove(request: Request, _user: Manager, services: ServicesDep, endpoint_id: ServiceId) -> Response:
    outcome = await send(services, "DELETE", f"{API}/{endpoint_id}", service=SERVICE)
    if not outcome.ok:
        return await _detail(
            request, services, endpoint_id, errors={"endpoint": outcome.message}, status_code=400
        )
    return flash.redirect("/webhooks", "webhook_removed")


@router.get("/{endpoint_id}/messages/{message_id}", response_class=HTMLResponse)
async def message(
    request: Request, _user: Manager, services: ServicesDep, endpoint_id: ServiceId, message_id: ServiceId
) -> Response:
    entry = await services.get_json(SERVICE, f"{API}/{endpoint_id}/messages/{message_id}")
    if entry is None:
        return problem(
            request,
            404,
            _("Leveransen finns inte"),
            _("Gå tillbaka till webhookens logg."),
        )
    return render(
        request,
        "webhooks/message.html",
        endpoint_id=endpoint_id,
        entry=entry,
        statuses=STATUSES,
        topics=TOPICS,
    )
