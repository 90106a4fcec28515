"""Routes for the feeds: iCalendar and Atom, of all public events, per organising organisation, and by
secret link per organisation and per group.

A feed's validators come from what it shows, not from the platform's data version: a registration
(which no feed shows) must not make every calendar client that polls download the feed again. The
ETag is a keyed hash of the feed's address and of each event in it (id and row version, `xmin`, which
PostgreSQL changes with every write of the row), so it changes exactly when an event enters, leaves or
changes. There is no Last-Modified, and `If-Modified-Since` is answered in full: an event that leaves a
feed (narrowed to staff, ended long enough ago) takes its date with it, so no date of what is left
could tell a client its copy is stale. A feed once read is kept with its validators
(events.feed_cache) until an event is written, so a poll costs one query of one row, whether it is
answered 304 or in full."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from backbone.conditional import matches
from events import feed_tokens, feeds
from events.api.deps import ERRORS, ConnDep, Registrar, Staff, Visitor, organisation_scope
from events.api.schemas import FeedTokenPublic, GroupFeedTokenPublic
from events.feed_cache import FeedCache, Validators
from events.settings import Settings
from events.sql_queries import q

router = APIRouter(prefix="/v1/public/feeds", tags=["feeds"], responses=ERRORS)
# Rotating an organisation's private feed link: its representative (or staff).
tokens_router = APIRouter(prefix="/v1/organisations", tags=["feeds"], responses=ERRORS)
# Rotating a group's feed link: staff.
group_tokens_router = APIRouter(prefix="/v1/groups", tags=["feeds"], responses=ERRORS)
ICS = "text/calendar; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


def _since(request: Request) -> datetime:
    """Feeds keep events that ended up to `feed_past_days` ago (calendars keep the recent past), from
    the start of the current minute: a feed is kept for a minute at most even when nothing changes."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(days=request.app.state.runtime.settings.feed_past_days)


def _feed(request: Request, settings: Settings, name: str, page: str) -> feeds.Feed:
    base = settings.public_url.rstrip("/")
    return feeds.Feed(
        name=name,
        page_url=f"{base}{page}",
        # Where subscribers fetch it: the gateway's public address (gateway.pages.feeds), not /api/,
        # which needs a signed-in user.
        feed_url=f"{base}/feeds{request.url.path.removeprefix(router.prefix)}",
        public_url=base,
        zone=settings.zone,
        refresh=timedelta(minutes=settings.feed_refresh_minutes),
        now=datetime.now(UTC),
    )


def feed_etag(key: bytes, path: str, keys: str) -> str:
    """The feed's tag, from its events' keys (id and row version, in order): weak (DTSTAMP differs
    between two answers that mean the same), keyed per process so that new code never answers 304 to a
    tag of the old."""
    data = f"{path}\n{keys}".encode()
    return f'W/"{hashlib.blake2b(data, key=key, digest_size=16).hexdigest()}"'


def _headers(validators: Validators, settings: Settings, *, private: bool) -> dict[str, str]:
    # A private feed (a secret link) must not be kept by shared caches, where others could get it.
    scope = "private" if private else "public"
    headers = {
        "Cache-Control": f"{scope}, max-age={settings.feed_refresh_minutes * 60 // 4}",
        "ETag": validators.etag,
    }
    return headers


def _not_modified(request: Request, validators: Validators) -> bool:
    given = request.headers.get("if-none-match")
    return given is not None and matches(given, validators.etag)


FeedKind = Literal["ics", "atom"]
MEDIA_TYPES = {"ics": ICS, "atom": ATOM}


async def _serve(
    request: Request,
    conn: Any,
    kind: FeedKind,
    feed: tuple[Any, dict[str, Any]],
    name: str,
    page: str,
    *,
    owner: Hashable | None = None,
) -> Response:
    """`feed`: the query of its events' keys, and its parameters. The feed version is read first (see
    events.feed_cache): while it stands, the kept validators and bytes answer. `owner`: whose secret
    link this is (a private feed), so that rotating the link drops what is kept of it."""
    private = owner is not None
    keys_query, params = feed
    settings = request.app.state.runtime.settings
    cache: FeedCache = request.app.state.feed_cache
    path = request.url.path
    since = _since(request)
    stamp = (await q.feed_version.fetchval(conn), since)
    kept = cache.get(path, stamp)
    if kept is not None and (kept.body is not None or _not_modified(request, kept.validators)):
        validators, body = kept.validators, kept.body
    else:
        # The keys and the rows of the events to write from one snapshot, so that the entries are
        # those of the events the keys name, in the feed as the keys found it.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            found = await keys_query.fetchrow(conn, since=since, **params)
            validators = Validators(etag=feed_etag(request.app.state.feed_key, path, found["keys"]))
            body = None
            if not _not_modified(request, validators):
                keys = found["keys"].split(",") if found["keys"] else []
                about = _feed(request, settings, name, page)
                if kind == "ics":
                    body = await _icalendar(conn, keys, about, cache.entries)
                else:
                    body = await _atom(conn, keys, about)
        cache.put(path, stamp, validators, body, owner=owner)
    headers = _headers(validators, settings, private=private)
    if body is None or _not_modified(request, validators):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=MEDIA_TYPES[kind], headers=headers)


def _id_of(key: str) -> str:
    return key.partition("/")[0]


async def _icalendar(conn: Any, keys: Sequence[str], feed: feeds.Feed, entries: feeds.Entries) -> bytes:
    """Entries written before are kept; only the events changed since are read and written."""
    place = (feed.zone.key, feed.public_url)
    written: dict[str, feeds.Entry | None] = {key: entries.get((place, key)) for key in keys}
    missing = {_id_of(key): key for key, found in written.items() if found is None}
    if missing:
        for row in await q.feed_events_by_id.fetch(conn, ids=list(missing)):
            try:
                entry = feeds.entry(row, feed.zone, feed.public_url)
            except Exception as exc:  # noqa: BLE001 - one bad entry must not take the feed from everyone
                feeds.skipped(row, exc)
                continue
            entries.put((place, row["key"]), entry)
            written[missing[str(row["id"])]] = entry
    return feeds.calendar((entry for entry in written.values() if entry is not None), feed)


async def _atom(conn: Any, keys: Sequence[str], feed: feeds.Feed) -> bytes:
    rows = await q.feed_events_by_id.fetch(conn, ids=[_id_of(key) for key in keys])
    return feeds.atom(rows, feed)


def _public(organisation_id: uuid.UUID | None) -> tuple[Any, dict[str, Any]]:
    return q.feed_event_keys, {"organisation_id": organisation_id}


@router.get("/events.{kind}", response_class=Response)
async def all_events(kind: FeedKind, request: Request, conn: ConnDep, _who: Visitor) -> Response:
    """Every public event: `events.ics` (iCalendar) or `events.atom`."""
    return await _serve(request, conn, kind, _public(None), "Delaktig – evenemang", "/evenemang")


@router.get("/organisations/{organisation_id}/events.{kind}", response_class=Response)
async def organisation_events(
    organisation_id: uuid.UUID, kind: FeedKind, request: Request, conn: ConnDep, _who: Visitor
) -> Response:
    """The public events an organisation organises."""
    page = f"/evenemang?organisation={organisation_id}"
    name = "Delaktig – organisationens evenemang"
    return await _serve(request, conn, kind, _public(organisation_id), name, page)


@router.get("/private/{token}/events.{kind}", response_class=Response)
async def private_events(
    kind: FeedKind, token: str, request: Request, conn: ConnDep, _who: Visitor
) -> Response:
    """The events an organisation organises that its representative may see (no staff-only ones: the
    rule of the representative's own list), for whoever holds its secret link."""
    organisation_id = await feed_tokens.organisation_of(conn=conn, token=token)
    feed = (q.private_feed_event_keys, {"organisation_id": organisation_id})
    name = "Delaktig – organisationens alla evenemang"
    return await _serve(request, conn, kind, feed, name, "/evenemang", owner=_organisation(organisation_id))


def _organisation(organisation_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return ("organisation", organisation_id)


def _group(group_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return ("group", group_id)


@tokens_router.post("/{organisation_id}/feed-token", response_model=FeedTokenPublic)
async def rotate_feed_token(
    organisation_id: uuid.UUID, request: Request, conn: ConnDep, who: Registrar
) -> FeedTokenPublic:
    """A new private feed link for the organisation; the old one stops working at once, and what this
    process kept of its feed is dropped."""
    organisation_scope(who, organisation_id)  # a representative: their own organisation only
    token = await feed_tokens.rotate(conn=conn, organisation_id=organisation_id, by=who.subject)
    request.app.state.feed_cache.forget(_organisation(organisation_id))
    return FeedTokenPublic(
        organisation_id=organisation_id,
        token=token,
        ics_path=f"{router.prefix}/private/{token}/events.ics",
        atom_path=f"{router.prefix}/private/{token}/events.atom",
    )


@router.get("/groups/{token}/events.{kind}", response_class=Response)
async def group_events(
    kind: FeedKind, token: str, request: Request, conn: ConnDep, _who: Visitor
) -> Response:
    """The events for the members of a group, for whoever holds the group's secret link."""
    group_id = await feed_tokens.group_of(conn=conn, token=token)
    feed = (q.group_feed_event_keys, {"group_id": group_id})
    return await _serve(
        request, conn, kind, feed, "Delaktig – gruppens evenemang", "/evenemang", owner=_group(group_id)
    )


@group_tokens_router.post("/{group_id}/feed-token", response_model=GroupFeedTokenPublic)
async def rotate_group_feed_token(
    group_id: uuid.UUID, request: Request, conn: ConnDep, who: Staff
) -> GroupFeedTokenPublic:
    """A new feed link for a group's members; the old one stops working at once, and what this process
    kept of its feed is dropped."""
    token = await feed_tokens.rotate_group(conn=conn, group_id=group_id, by=who.subject)
    request.app.state.feed_cache.forget(_group(group_id))
    return GroupFeedTokenPublic(
        group_id=group_id,
        token=token,
        ics_path=f"{router.prefix}/groups/{token}/events.ics",
        atom_path=f"{router.prefix}/groups/{token}/events.atom",
    )
