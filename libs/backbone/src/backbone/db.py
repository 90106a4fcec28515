"""The asyncpg pool: JSON codecs, waiting for the database at start-up, retrying on a dropped connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from backbone.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")

# Errors after which a new connection is likely to work: the server restarted or the socket broke.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """What a pooled connection needs when it is given back: nothing beyond asyncpg's own step
    before this, which rolls back a transaction left open and drops its listener callbacks.

    asyncpg's default also sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`:
    a round trip on every release, which cost as much as a page's session lookup itself (py-spy,
    bench/README.md). Pooled connections carry no session state to undo: settings are set with
    `SET LOCAL` or `set_config(..., true)` inside a transaction, cursors live inside one, and
    advisory locks and LISTEN have connections of their own (migrations, the relay).
    `tests/unit/test_pooled_sessions.py` keeps it so.
    """


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, wait_seconds: float = 60.0
) -> asyncpg.Pool:
    """Open a pool, waiting up to `wait_seconds` for the database to accept connections."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    delay = 0.2
    while True:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                reset=_keep_session,
                max_inactive_connection_lifetime=60.0,
                command_timeout=30.0,
            )
            assert pool is not None
            return pool
        except CONNECTION_ERRORS as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Could not reach PostgreSQL at {_safe(dsn)}: {exc}") from exc
            log.warning("database not reachable yet", error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def run_in_transaction(
    pool: asyncpg.Pool,
    work: Callable[[asyncpg.Connection], Awaitable[T]],
    *,
    attempts: int = 3,
) -> T:
    """Run `work` in one transaction, again on a fresh connection if the old one was dropped.

    Only a transaction that never committed is retried, so the work must be safe to run again
    (it is: nothing it did survived the rollback).
    """
    for attempt in range(1, attempts + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await work(conn)
        except CONNECTION_ERRORS:
            if attempt == attempts:
                raise
            log.warning("database connection dropped, retrying", attempt=attempt)
            await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


async def is_reachable(pool: asyncpg.Pool) -> bool:
    try:
        async with pool.acquire(timeout=2.0) as conn:
            await conn.fetchval("SELECT 1", timeout=2.0)
        return True
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False


def _safe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    if "@" not in dsn:
        return dsn
    scheme, rest = dsn.split("://", 1) if "://" in dsn else ("", dsn)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if scheme else f"{user}@{host}"
