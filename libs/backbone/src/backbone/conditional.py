"""Conditional GETs: every answer to a GET carries an ETag, and a request that sends it back in
`If-None-Match` gets 304 without a body, before the route runs a single query.

The ETag is a hash of what could change the answer:
- the service's data version (migrations 0006 and 0007), raised at the commit of every transaction
  that wrote the tables the service tracks, whoever made it: a change by anyone gives every answer a
  new ETag. It is a sum of a few counters, each transaction raising its connection's one while it
  commits, so writers neither take turns on one row nor wait for each other in a cycle;
- the current minute, so lists that depend on the clock ("next meetings", "overdue") roll over;
- the caller's identity as verified (subject, roles, organisation, pools, name): nobody is ever
  answered 304 to a tag made for somebody else, so nothing one person may not see reaches them;
- the method, path and query;
- a random key of the process, made when it starts: the version counter cannot be guessed back
  from a tag (nor the write rate learnt), a tag cannot be forged, and a new process (a deploy with
  new code, a fix to who may see what) never answers 304 to a tag an older one made. Several
  processes of one service would each have their own key: that costs a full answer, never a wrong 304.

Tagged answers say `Cache-Control: private, no-cache`: for the caller's own cache only (the tag is
made for one identity), and always asked again, since the minute and any write change it.

The version is read before the route reads anything: a write committed in between gives the answer
newer data under the older tag, which only costs one full answer more on the next request. (The
other order could put an older answer under the newer tag and serve it as current.)
A route that sets an ETag of its own (the minutes' revision, for If-Match) keeps it.

The data version itself, for a client that keeps answers (the gateway): `GET /v1/data-version` answers
204 with `X-Data-Version`, a keyed hash of the version and the minute only, and every answer tagged here
(200 and 304) carries the same header for the version and minute its tag was made from. Equal values
mean equal tags for every caller and URL, so a client that kept an answer with its value may take a
probe's equal value for the 304 this service would give, without asking for each answer. Keyed by the
process's secret like the tags: another process's value never matches, and says no more than the tags
do (that something was written).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time

import asyncpg
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.db import CONNECTION_ERRORS
from backbone.identity import Identity
from backbone.logs import get_logger
from backbone.queries import backbone_queries as q
from backbone.runtime import Runtime

log = get_logger(__name__)

# Routes found for 304s, by method and path: the routes of a serving app do not change, and walking
# them all for every 304 was about a tenth of a service's time on a page that revalidates.
ROUTES_KEPT = 4_096

# A request waits this long for a pooled connection before it is answered 503: a full pool (a slow
# query, a leak) must not make every GET hang until the client gives up.
ACQUIRE_TIMEOUT_SECONDS = 10.0
CACHE_CONTROL = "private, no-cache"

# Backbone's own tables: no service's GET reads them, and the relay and consumers write them all the
# time (a tracked outbox would change every ETag each time the relay marks a row published).
BACKBONE_TABLES = frozenset(
    {
        "schema_migrations",
        "outbox",
        "inbox",
        "inbox_attempts",
        "inbox_aggregate",
        "aggregate_sequence",
        "data_version",
        "dead_letters",
    }
)
# GETs that read backbone's own tables (above), which no data version tracks: never tagged, so a 304
# cannot hide what came in since. The dead letters every service lists (backbone.deadletter_admin).
UNTAGGED_PATHS = ("/v1/admin/dead-letters",)
# The probe of the data version (above), answered here for any verified caller, before any route.
VERSION_PATH = "/v1/data-version"
VERSION_HEADER = "X-Data-Version"
_VERSION_ROUTE = Route(VERSION_PATH, endpoint=lambda _request: Response(status_code=204))


def etag(
    *, secret: bytes, version: int, minute: int, identity: Identity, method: str, path: str, query: bytes
) -> str:
    # Weak: the tag says the answer means the same, which is what a data version can promise.
    # Keyed BLAKE2b is a MAC: without `secret` nobody can tell which version a tag was made from.
    data = repr((version, minute, identity, method, path, query)).encode()
    return f'W/"{hashlib.blake2b(data, key=secret, digest_size=16).hexdigest()}"'


def version_token(*, secret: bytes, version: int, minute: int) -> str:
    """What `X-Data-Version` says: equal exactly when the version and the minute are (for one secret)."""
    data = repr(("data-version", version, minute)).encode()
    return hashlib.blake2b(data, key=secret, digest_size=16).hexdigest()


def matches(if_none_match: str, tag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): any listed tag equal to ours, with or without W/."""
    ours = tag.removeprefix("W/")
    return any(given.strip().removeprefix("W/") == ours for given in if_none_match.split(","))


class NoDataVersion(Exception):
    """The data_version table has no row: migrations 0006 and 0007 make them, so something deleted them."""


async def data_version(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    version = await q.current_data_version.fetchval(conn)
    if version is None:
        raise NoDataVersion(
            "The data_version table has no row, so conditional GETs cannot tag answers. "
            "Put it back: INSERT INTO data_version (version) VALUES (1)."
        )
    return int(version)


async def untracked_tables(conn: asyncpg.Connection) -> list[str]:
    """The service's tables whose writes would not change its ETags; a service's test wants none."""
    rows = await q.untracked_tables.fetch(conn, backbone_tables=sorted(BACKBONE_TABLES))
    return [r["table_name"] for r in rows]


def _matching_route(scope: Scope) -> BaseRoute | None:
    """The route the router would pick for this request (the first that matches in full)."""
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _child = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


class ConditionalGets:
    """ETags on GET answers and 304 for a matching If-None-Match; runs inside IdentityRequired.

    It takes the request's connection from the pool to read the version, and hands it to the route
    (ConnDep), so a GET still costs one acquire and one release: a release resets the connection, a
    round trip that cost as much as the version query itself.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime, secret: bytes | None = None) -> None:
        self._app = app
        self._runtime = runtime
        # Made once per process (the middleware is built when the app starts serving), never stored.
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._routes: dict[tuple[str, str, str], BaseRoute] = {}
        # Paths whose last 200 carried a tag of the route's own (a feed's, a revision): their answers
        # never carry ours, so no client holds one of ours for them, and reading the version would
        # only cost a query. Left out of ours until one of their 200s comes without a tag of its own.
        self._own_tags: set[tuple[str, str]] = set()

    def _name_the_route(self, scope: Scope) -> None:
        """Puts the route the 304 stands for into the scope, as the router would have: the request
        metrics (backbone.http.RequestContext) count it under its route, not as "unmatched"."""
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        route = self._routes.get(key)
        if route is None:
            route = _matching_route(scope)
            if route is None:
                return
            if len(self._routes) >= ROUTES_KEPT:
                self._routes.clear()
            self._routes[key] = route
        scope["route"] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        identity = scope.get("state", {}).get("identity") if scope["type"] == "http" else None
        if identity is None or scope["method"] != "GET" or scope["path"].startswith(UNTAGGED_PATHS):
            await self._app(scope, receive, send)
            return
        path = (scope.get("root_path", ""), scope["path"])
        if path in self._own_tags:
            await self._app(scope, receive, self._watching_own_tags(path, send))
            return
        pool = self._runtime.pool
        conn: asyncpg.Connection | None = None
        # One release for every way out, cancellation included: a connection kept by an error
        # (no table before migrations ran, a cancelled query, no row) would empty the pool.
        try:
            try:
                conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)
                version = await data_version(conn)
            except Exception as exc:  # noqa: BLE001 - any failure here is a 503, logged in _unavailable
                await self._unavailable(exc, scope, receive, send)
                return
            if scope["path"] == VERSION_PATH:
                await self._probe(version, scope, receive, send)
                return
            await self._answer(conn, version, identity, scope, receive, send)
        finally:
            if conn is not None:
                await pool.release(conn)

    def _watching_own_tags(self, path: tuple[str, str], send: Send) -> Send:
        async def send_untagged(message: Message) -> None:
            started = message["type"] == "http.response.start"
            if started and message["status"] == 200 and "etag" not in MutableHeaders(scope=message):
                self._own_tags.discard(path)  # untagged this once; ours again from the next one
            await send(message)

        return send_untagged

    async def _unavailable(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
        if isinstance(exc, (*CONNECTION_ERRORS, asyncio.TimeoutError)):
            log.warning("no database connection for a conditional GET", error=str(exc) or type(exc).__name__)
        else:
            # Not the network: a missing table (migrations not run) or row needs someone to act.
            log.error(
                "cannot read the data version; have the migrations run?",
                error=str(exc),
                error_type=type(exc).__name__,
            )
        refusal = JSONResponse(
            status_code=503,
            content={"detail": "The service cannot read its data right now. Try again in a moment."},
            headers={"Retry-After": "2"},
        )
        await refusal(scope, receive, send)

    async def _probe(self, version: int, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = _VERSION_ROUTE  # counted under its path (backbone.http.RequestContext)
        token = version_token(secret=self._secret, version=version, minute=int(time.time() // 60))
        await Response(status_code=204, headers={VERSION_HEADER: token, "Cache-Control": "no-store"})(
            scope, receive, send
        )

    async def _answer(
        self,
        conn: asyncpg.Connection,
        version: int,
        identity: Identity,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        minute = int(time.time() // 60)
        token = version_token(secret=self._secret, version=version, minute=minute)
        tag = etag(
            secret=self._secret,
            version=version,
            minute=minute,
            identity=identity,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b""),
        )
        given = Headers(scope=scope).get("if-none-match")
        if given is not None and matches(given, tag):
            self._name_the_route(scope)
            await Response(
                status_code=304,
                headers={"ETag": tag, "Cache-Control": CACHE_CONTROL, VERSION_HEADER: token},
            )(scope, receive, send)
            return

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                if "etag" not in headers:
                    headers["ETag"] = tag
                    # Only beside our own tag: a route's own ETag does not follow the data version.
                    headers[VERSION_HEADER] = token
                else:
                    if len(self._own_tags) >= ROUTES_KEPT:
                        self._own_tags.clear()
                    self._own_tags.add((scope.get("root_path", ""), scope["path"]))
                if "cache-control" not in headers:
                    headers["Cache-Control"] = CACHE_CONTROL
            await send(message)

        # The route's ConnDep goes on with this connection (backbone.dependencies).
        scope["state"]["connection"] = conn
        try:
            await self._app(scope, receive, send_with_tag)
        finally:
            scope["state"].pop("connection", None)
