"""The events service's calendar (iCalendar) and Atom feeds at public addresses of the gateway.

Calendar apps subscribe with no account, and poll every few minutes: the service's answer goes out as
it came (status, body, Content-Type and its validators and Cache-Control), and the client's
If-None-Match goes in (the feeds' one validator), so a poll the service answers 304 stays a 304. The
addresses mirror the service's (`/feeds/…` is `/v1/public/feeds/…`), so a link the service hands out
maps to the gateway's by its prefix alone. A refused link (cut off, unknown, rotated) gets the
service's own words as plain text, which is what a calendar app can show.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request, Response

from gateway.i18n import _
from gateway.upstream import visitor_headers

router = APIRouter(prefix="/feeds", tags=["feeds"])
SERVICE = "events"
SERVICE_PREFIX = "/v1/public/feeds"
Kind = Literal["ics", "atom"]
# What a feed's answer carries on: its type and its validators and caching. Nothing else of the
# service's (its own request id, the platform's headers) is the subscriber's business.
_PASSED_ON = ("content-type", "etag", "last-modified", "cache-control", "vary")
_CONDITIONS = ("if-none-match", "if-modified-since")


def public_path(service_path: str) -> str:
    """The gateway's address of a feed the service names by its own path (`ics_path`, `atom_path`)."""
    if not service_path.startswith(SERVICE_PREFIX + "/"):
        raise ValueError(f"not a feed of the events service: {service_path}")
    return router.prefix + service_path.removeprefix(SERVICE_PREFIX)


def links(request: Request, path: str) -> dict[str, str]:
    """The https (or whatever the gateway is reached by) and webcal:// links to a feed at `path`."""
    url = request.url.replace(path=path, query="", fragment="")
    return {"https": str(url), "webcal": str(url.replace(scheme="webcal"))}


def _segment(value: str) -> str:
    """One path segment as the service gets it: escaped, so a token cannot reach another route."""
    return quote(value, safe="")


async def _pass_on(request: Request, path: str) -> Response:
    if any(part in (".", "..") for part in path.split("/")):
        return _plain(404, _("Kalenderlänken gäller inte. Be om en ny länk från den som gav dig den."))
    headers = {**visitor_headers(request, SERVICE), "Accept-Encoding": "identity"}
    headers.update({name: value for name in _CONDITIONS if (value := request.headers.get(name))})
    client: httpx.AsyncClient = request.app.state.http
    url = f"{request.app.state.upstreams[SERVICE]}{SERVICE_PREFIX}{path}"
    try:
        answer = await client.get(url, headers=headers)
    except httpx.HTTPError:
        return _plain(503, _("Kalendern kan inte hämtas just nu. Försök igen om en stund."))
    if answer.status_code >= 500:
        return _plain(503, _("Kalendern kan inte hämtas just nu. Försök igen om en stund."))
    if answer.status_code >= 400:
        return _plain(answer.status_code, _refusal(answer))
    out = {name: value for name in _PASSED_ON if (value := answer.headers.get(name))}
    if answer.status_code == 304:
        out.pop("content-type", None)
        return Response(status_code=304, headers=out)
    return Response(content=answer.content, status_code=answer.status_code, headers=out)


def _refusal(answer: httpx.Response) -> str:
    """The service's message (`{"detail": "…"}`), or a general one when it sent none."""
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return _("Kalenderlänken gäller inte. Be om en ny länk från den som gav dig den.")


def _plain(status: int, text: str) -> Response:
    return Response(
        content=text + "\n",
        status_code=status,
        media_type="text/plain; charset=utf-8",
        # A refusal must not be kept in place of the feed once the link works (or the service is back).
        headers={"Cache-Control": "no-store"},
    )


@router.get("/events.{kind}", response_class=Response)
async def all_events(kind: Kind, request: Request) -> Response:
    """Every public event."""
    return await _pass_on(request, f"/events.{kind}")


@router.get("/organisations/{organisation_id}/events.{kind}", response_class=Response)
async def organisation_events(organisation_id: str, kind: Kind, request: Request) -> Response:
    """The public events an organisation organises (the service checks the id)."""
    return await _pass_on(request, f"/organisations/{_segment(organisation_id)}/events.{kind}")


@router.get("/private/{token}/events.{kind}", response_class=Response)
async def private_events(token: str, kind: Kind, request: Request) -> Response:
    """All of an organisation's events, by its secret link (the service checks the token)."""
    return await _pass_on(request, f"/private/{_segment(token)}/events.{kind}")


@router.get("/groups/{token}/events.{kind}", response_class=Response)
async def group_events(token: str, kind: Kind, request: Request) -> Response:
    """The events for a group's members, by the group's secret link."""
    return await _pass_on(request, f"/groups/{_segment(token)}/events.{kind}")
