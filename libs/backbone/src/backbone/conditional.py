"""Conditional GETs: every answer to a GET carries an ETag, and a request that sends it back in
`If-None-Match` gets 304 without a body, before the route runs a single query.

The ETag is a hash of what could change the answer:
- the service's data version (migration 0006), raised by every committed write to the tables the
  service tracks, whoever made it: a change by anyone gives every answer a new ETag;
- the current minute, so lists that depend on the clock ("next meetings", "overdue") roll over;
- the caller's identity as verified (subject, roles, organisation, pools, name): nobody is ever
  answered 304 to a tag made for somebody else, so nothing one person may not see reaches them;
- the method, path and query.

The version is read before the route reads anything: a write committed in between gives the answer
newer data under the older tag, which only costs one full answer more on the next request. (The
other order could put an older answer under the newer tag and serve it as current.)
A route that sets an ETag of its own (the minutes' revision, for If-Match) keeps it.
"""

from __future__ import annotations

import hashlib
import time

import asyncpg
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.db import CONNECTION_ERRORS
from backbone.identity import Identity
from backbone.queries import backbone_queries as q
from backbone.runtime import Runtime

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
    }
)


def etag(*, version: int, minute: int, identity: Identity, method: str, path: str, query: bytes) -> str:
    # Weak: the tag says the answer means the same, which is what a data version can promise.
    key = repr((version, minute, identity, method, path, query)).encode()
    return f'W/"{hashlib.blake2b(key, digest_size=16).hexdigest()}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): any listed tag equal to ours, with or without W/."""
    ours = tag.removeprefix("W/")
    return any(given.strip().removeprefix("W/") == ours for given in if_none_match.split(","))


async def data_version(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return int(await q.current_data_version.fetchval(conn))


async def untracked_tables(conn: asyncpg.Connection) -> list[str]:
    """The service's tables whose writes would not change its ETags; a service's test wants none."""
    rows = await q.untracked_tables.fetch(conn, backbone_tables=sorted(BACKBONE_TABLES))
    return [r["table_name"] for r in rows]


class ConditionalGets:
    """ETags on GET answers and 304 for a matching If-None-Match; runs inside IdentityRequired.

    It takes the request's connection from the pool to read the version, and hands it to the route
    (ConnDep), so a GET still costs one acquire and one release: a release resets the connection, a
    round trip that cost as much as the version query itself.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self._app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        identity = scope.get("state", {}).get("identity") if scope["type"] == "http" else None
        if identity is None or scope["method"] != "GET":
            await self._app(scope, receive, send)
            return
        pool = self._runtime.pool
        conn: asyncpg.Connection | None = None
        try:
            conn = await pool.acquire()
            version = await data_version(conn)
        except CONNECTION_ERRORS:
            if conn is not None:
                await pool.release(conn)
            # No version, no tag: the route answers (503, from the platform's error handlers).
            await self._app(scope, receive, send)
            return
        try:
            await self._answer(conn, version, identity, scope, receive, send)
        finally:
            await pool.release(conn)

    async def _answer(
        self,
        conn: asyncpg.Connection,
        version: int,
        identity: Identity,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        tag = etag(
            version=version,
            minute=int(time.time() // 60),
            identity=identity,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b""),
        )
        given = Headers(scope=scope).get("if-none-match")
        if given is not None and matches(given, tag):
            await Response(status_code=304, headers={"ETag": tag})(scope, receive, send)
            return

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                if "etag" not in headers:
                    headers["ETag"] = tag
            await send(message)

        # The route's ConnDep goes on with this connection (backbone.dependencies).
        scope["state"]["connection"] = conn
        try:
            await self._app(scope, receive, send_with_tag)
        finally:
            scope["state"].pop("connection", None)
