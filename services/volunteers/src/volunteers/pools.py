"""Pools and their requirements: use cases on a connection, one transaction each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from backbone import paging
from backbone.errors import NotAllowed, NotFound, RuleError, StaleVersion
from volunteers.model import NewPool, NewRequirement, PoolStatus, Scope
from volunteers.sql_queries import q

Row = dict[str, Any]


@dataclass(frozen=True)
class PoolChanges:
    name: str
    description: str
    coordinator_subject: str | None
    coordinator_name: str | None
    monthly_cap: int
    offer_hours: int
    paid: bool
    status: PoolStatus


async def scope_of(conn: asyncpg.Connection, *, everything: bool, names: tuple[str, ...]) -> Scope:
    """The pools an identity works with: every one, or those its pool list names (by id or key)."""
    if everything:
        return Scope(everything=True)
    if not names:
        return Scope(everything=False)
    rows = await q.pools_named.fetch(conn, names=list(names))
    return Scope(everything=False, pool_ids=frozenset(r["id"] for r in rows))


async def _with_requirements(conn: asyncpg.Connection, pools: list[Row]) -> list[Row]:
    ids = [p["id"] for p in pools]
    requirements = await q.requirements_of_pools.fetch(conn, pool_ids=ids)
    counts = await q.member_counts.fetch(conn, pool_ids=ids)
    for pool in pools:
        pool["requirements"] = [dict(r) for r in requirements if r["pool_id"] == pool["id"]]
        pool["members"] = {c["status"]: int(c["n"]) for c in counts if c["pool_id"] == pool["id"]}
    return pools


def _requirement_keys_unique(requirements: tuple[NewRequirement, ...]) -> None:
    keys = [r.key for r in requirements]
    if len(keys) != len(set(keys)):
        raise RuleError("Två krav har samma nyckel. Ge varje krav en egen nyckel.")


async def create_pool(*, conn: asyncpg.Connection, pool: NewPool) -> Row:
    _requirement_keys_unique(pool.requirements)
    async with conn.transaction():
        if await q.get_pool_by_key.fetchrow(conn, key=pool.key):
            raise RuleError(f"Det finns redan en pool med nyckeln ”{pool.key}”. Välj en annan nyckel.")
        row = dict(
            await q.insert_pool.fetchrow(
                conn,
                id=uuid.uuid4(),
                key=pool.key,
                name=pool.name,
                description=pool.description,
                coordinator_subject=pool.coordinator_subject,
                coordinator_name=pool.coordinator_name,
                monthly_cap=pool.monthly_cap,
                offer_hours=pool.offer_hours,
                paid=pool.paid,
            )
        )
        for requirement in pool.requirements:
            await _insert_requirement(conn, row["id"], requirement)
        return (await _with_requirements(conn, [row]))[0]


async def _insert_requirement(
    conn: asyncpg.Connection, pool_id: uuid.UUID, requirement: NewRequirement
) -> Row:
    return dict(
        await q.insert_requirement.fetchrow(
            conn,
            id=uuid.uuid4(),
            pool_id=pool_id,
            key=requirement.key,
            kind=requirement.kind,
            label=requirement.label,
            expires=requirement.expires,
        )
    )


async def add_requirement(
    *, conn: asyncpg.Connection, pool_id: uuid.UUID, requirement: NewRequirement, scope: Scope
) -> Row:
    async with conn.transaction():
        await _locked(conn, pool_id, scope)
        existing = await q.requirements_of.fetch(conn, pool_id=pool_id)
        if any(r["key"] == requirement.key for r in existing):
            raise RuleError(f"Poolen har redan ett krav med nyckeln ”{requirement.key}”.")
        return await _insert_requirement(conn, pool_id, requirement)


async def _locked(conn: asyncpg.Connection, pool_id: uuid.UUID, scope: Scope) -> Row:
    row = await q.lock_pool.fetchrow(conn, id=pool_id)
    if row is None:
        raise NotFound(f"Det finns ingen pool med id {pool_id}.")
    # Every pool is listed for all staff, so "not found" would be untrue: say whose it is to change.
    scope.require(pool_id)
    return dict(row)


async def get_pool(*, conn: asyncpg.Connection, pool_id: uuid.UUID) -> Row:
    row = await q.get_pool.fetchrow(conn, id=pool_id)
    if row is None:
        raise NotFound(f"Det finns ingen pool med id {pool_id}.")
    return (await _with_requirements(conn, [dict(row)]))[0]


async def list_pools(*, conn: asyncpg.Connection, limit: int, offset: int) -> tuple[list[Row], int]:
    rows, total = await paging.fetch_page(conn, q.list_pools, pool_ids=None, limit=limit, offset=offset)
    return await _with_requirements(conn, rows), total


async def update_pool(
    *, conn: asyncpg.Connection, pool_id: uuid.UUID, changes: PoolChanges, version: int, scope: Scope
) -> Row:
    async with conn.transaction():
        current = await _locked(conn, pool_id, scope)
        if current["version"] != version:
            raise StaleVersion("Någon annan har ändrat poolen under tiden. Ladda om sidan och försök igen.")
        # Who coordinates is who may see the pool's people: a coordinator may not hand the pool on.
        if not scope.everything and changes.coordinator_subject != current["coordinator_subject"]:
            raise NotAllowed(
                "Bara en administratör kan ändra vem som samordnar poolen. Skicka samma samordnare "
                "som poolen har nu, eller be en administratör om ändringen."
            )
        row = dict(await q.update_pool.fetchrow(conn, id=pool_id, **vars(changes)))
        return (await _with_requirements(conn, [row]))[0]
