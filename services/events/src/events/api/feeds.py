"""Routes for the feeds: iCalendar and Atom, of all public events and per organising organisation.

Conditional GETs come from the platform (ETag, 304); Last-Modified says when the newest event in the
feed last changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from events import feed_tokens, feeds
from events.api.deps import ERRORS, ConnDep, Registrar, Visitor, organisation_scope
from events.api.schemas import FeedTokenPublic
from events.settings import Settings
from events.sql_queries import q

router = APIRouter(prefix="/v1/public/feeds", tags=["feeds"], responses=ERRORS)
# Rotating an organisation's private feed link: its representative (or staff).
tokens_router = APIRouter(prefix="/v1/organisations", tags=["feeds"], responses=ERRORS)
ICS = "text/calendar; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


async def _rows(conn: Any, settings: Settings, organisation_id: uuid.UUID | None) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(days=settings.feed_past_days)
    return [
        dict(r) for r in await q.list_feed_events.fetch(conn, since=since, organisation_id=organisation_id)
    ]


def _feed(request: Request, settings: Settings, name: str, page: str) -> feeds.Feed:
    base = settings.public_url.rstrip("/")
    return feeds.Feed(
        name=name,
        page_url=f"{base}{page}",
        feed_url=f"{base}/api/events{request.url.path}",
        public_url=base,
        zone=settings.zone,
        refresh=timedelta(minutes=settings.feed_refresh_minutes),
        now=datetime.now(UTC),
    )


def _answer(
    body: bytes, media_type: str, rows: list[dict[str, Any]], settings: Settings, *, private: bool
) -> Response:
    # A private feed (a secret link) must not be kept by shared caches, where others could get it.
    scope = "private" if private else "public"
    headers = {"Cache-Control": f"{scope}, max-age={settings.feed_refresh_minutes * 60 // 4}"}
    modified = feeds.last_modified(rows)
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    return Response(content=body, media_type=media_type, headers=headers)


FeedKind = Literal["ics", "atom"]
RENDERERS: dict[str, tuple[Callable[[list[dict[str, Any]], feeds.Feed], bytes], str]] = {
    "ics": (feeds.icalendar, ICS),
    "atom": (feeds.atom, ATOM),
}


def _serve(
    request: Request,
    kind: FeedKind,
    rows: list[dict[str, Any]],
    name: str,
    page: str,
    *,
    private: bool = False,
) -> Response:
    settings = request.app.state.runtime.settings
    render, media_type = RENDERERS[kind]
    body = render(rows, _feed(request, settings, name, page))
    return _answer(body, media_type, rows, settings, private=private)


@router.get("/events.{kind}", response_class=Response)
async def all_events(kind: FeedKind, request: Request, conn: ConnDep, _who: Visitor) -> Response:
    """Every public event: `events.ics` (iCalendar) or `events.atom`."""
    rows = await _rows(conn, request.app.state.runtime.settings, None)
    return _serve(request, kind, rows, "Delaktig – evenemang", "/evenemang")


@router.get("/organisations/{organisation_id}/events.{kind}", response_class=Response)
async def organisation_events(
    organisation_id: uuid.UUID, kind: FeedKind, request: Request, conn: ConnDep, _who: Visitor
) -> Response:
    """The public events an organisation organises."""
    rows = await _rows(conn, request.app.state.runtime.settings, organisation_id)
    page = f"/evenemang?organisation={organisation_id}"
    return _serve(request, kind, rows, "Delaktig – organisationens evenemang", page)


@router.get("/private/{token}/events.{kind}", response_class=Response)
async def private_events(
    kind: FeedKind, token: str, request: Request, conn: ConnDep, _who: Visitor
) -> Response:
    """Every event an organisation organises, whatever the audience, for whoever holds its secret link."""
    settings = request.app.state.runtime.settings
    organisation_id = await feed_tokens.organisation_of(conn=conn, token=token)
    since = datetime.now(UTC) - timedelta(days=settings.feed_past_days)
    found = await q.list_private_feed_events.fetch(conn, since=since, organisation_id=organisation_id)
    return _serve(
        request,
        kind,
        [dict(r) for r in found],
        "Delaktig – organisationens alla evenemang",
        "/evenemang",
        private=True,
    )


@tokens_router.post("/{organisation_id}/feed-token", response_model=FeedTokenPublic)
async def rotate_feed_token(organisation_id: uuid.UUID, conn: ConnDep, who: Registrar) -> FeedTokenPublic:
    """A new private feed link for the organisation; the old one stops working at once."""
    organisation_scope(who, organisation_id)  # a representative: their own organisation only
    token = await feed_tokens.rotate(conn=conn, organisation_id=organisation_id, by=who.subject)
    return FeedTokenPublic(
        organisation_id=organisation_id,
        token=token,
        ics_path=f"{router.prefix}/private/{token}/events.ics",
        atom_path=f"{router.prefix}/private/{token}/events.atom",
    )
