"""The schema's own guards: what no use case may get past, whatever the order of writers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone.conditional import untracked_tables
from volunteers.settings import MIGRATIONS_DIR


@pytest.fixture
async def conn(make_database: Callable[..., str]) -> asyncpg.Connection:
    connection = await asyncpg.connect(make_database("volunteers", MIGRATIONS_DIR))
    yield connection
    await connection.close()


async def test_every_table_the_gets_read_is_tracked_for_conditional_gets(conn: asyncpg.Connection) -> None:
    assert await untracked_tables(conn) == []


async def test_the_database_refuses_two_overlapping_assignments_of_one_person(
    conn: asyncpg.Connection,
) -> None:
    pool, volunteer = uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO pools (id, key, name) VALUES ($1, 'mentorer-x', 'Mentorer')", pool)
    await conn.execute(
        "INSERT INTO volunteers (id, name, email) VALUES ($1, 'Ada', 'ada@example.se')", volunteer
    )
    start = datetime(2027, 1, 11, 9, tzinfo=UTC)
    for hours_later in (0, 1):
        request = uuid.uuid4()
        await conn.execute(
            "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)"
            " VALUES ($1, $2, 1, $3, $4, 'staff-1')",
            request,
            pool,
            start,
            start + timedelta(hours=2),
        )
        insert = conn.execute(
            "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            uuid.uuid4(),
            volunteer,
            request,
            pool,
            start + timedelta(hours=hours_later),
            start + timedelta(hours=hours_later + 2),
        )
        if hours_later == 0:
            await insert
        else:
            with pytest.raises(asyncpg.ExclusionViolationError):
                await insert
