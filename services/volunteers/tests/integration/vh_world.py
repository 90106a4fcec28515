"""Rows for the tests of hours, fees, reports, reviews and rights, written straight into the tables
(the core's use cases are tested in their own files; these tests need only their results)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from backbone.db import create_pool
from volunteers.model import Scope
from volunteers.settings import MIGRATIONS_DIR
from volunteers.work_links import LinkContext, WorkLinkSigner

EVERYTHING = Scope(everything=True)
SIGNER = WorkLinkSigner("test-secret-for-volunteer-work-links-0123456789")
ZONE = ZoneInfo("Europe/Stockholm")  # the settings' default zone; the tests build no settings here


def ctx(now: datetime | None = None) -> LinkContext:
    return LinkContext(signer=SIGNER, zone=ZONE, now=now or datetime.now(UTC))


async def pool(
    conn: asyncpg.Connection, *, name: str = "Klarspråksgranskare", paid: bool = True
) -> uuid.UUID:
    pool_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO pools (id, key, name, paid) VALUES ($1, $2, $3, $4)",
        pool_id,
        f"pool-{pool_id.hex[:10]}",
        name,
        paid,
    )
    return pool_id


async def volunteer(
    conn: asyncpg.Connection,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    pools: tuple[uuid.UUID, ...] = (),
) -> uuid.UUID:
    volunteer_id = uuid.uuid4()
    tag = volunteer_id.hex[:8]
    await conn.execute(
        "INSERT INTO volunteers (id, name, email, phone) VALUES ($1, $2, $3, $4)",
        volunteer_id,
        name or f"Vera Volontär {tag}",
        email or f"vera.{tag}@example.se",
        phone or f"070-{tag}",
    )
    for pool_id in pools:
        await conn.execute(
            "INSERT INTO pool_memberships (id, pool_id, volunteer_id, status, joined_at)"
            " VALUES ($1, $2, $3, 'active', now())",
            uuid.uuid4(),
            pool_id,
            volunteer_id,
        )
    return volunteer_id


async def assignment(
    conn: asyncpg.Connection,
    *,
    pool_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    starts_at: datetime | None = None,
    hours: float = 2,
    status: str = "confirmed",
) -> uuid.UUID:
    starts = starts_at or datetime.now(UTC) - timedelta(days=1)
    ends = starts + timedelta(hours=hours)
    request_id, assignment_id = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)"
        " VALUES ($1, $2, 1, $3, $4, 'staff-1')",
        request_id,
        pool_id,
        starts,
        ends,
    )
    await conn.execute(
        "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        assignment_id,
        volunteer_id,
        request_id,
        pool_id,
        starts,
        ends,
        status,
    )
    return assignment_id


@pytest.fixture(name="conn")
async def migrated_connection(make_database: Callable[..., str]) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database, with the service's JSON codecs (from backbone's pool)."""
    pool = await create_pool(make_database("volunteers", MIGRATIONS_DIR), max_size=2)
    async with pool.acquire() as connection:
        yield connection
    await pool.close()
