"""Row locks that do not block foreign keys (review finding 3).

Creating a request locks the pool and then writes offers that point at volunteers; accepting an
offer locks the volunteer and then writes an assignment that points at the pool. With FOR UPDATE
each waits for the other's key-share lock and PostgreSQL kills one as a deadlock. The tests hold
one side's lock open and show that the other side's write still goes through.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from volunteers.sql_queries import q

from .conftest import Client
from .world import ADMIN, a_pool, a_request, a_volunteer, in_days, token_of

# Long enough for any healthy call on a shared machine; a call blocked on a lock never ends.
DEADLINE = 20.0


async def test_an_accept_goes_through_while_a_request_for_the_same_pool_holds_the_pool(
    client: Client,
) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    request = await a_request(client, pool)
    token = await token_of(client, request["id"], person["id"])
    holder = await asyncpg.connect(client.dsn)
    try:
        async with holder.transaction():
            await q.lock_pool.fetchrow(holder, id=uuid.UUID(pool["id"]))
            answer = await asyncio.wait_for(
                client.call("POST", "/v1/links/offer", json={"token": token}, as_=()), DEADLINE
            )
            assert answer.status_code == 200, answer.text
    finally:
        await holder.close()


async def test_a_request_offers_to_a_volunteer_whose_row_is_locked_by_an_accept(client: Client) -> None:
    pool = await a_pool(client)
    person = await a_volunteer(client, pool)
    holder = await asyncpg.connect(client.dsn)
    try:
        async with holder.transaction():
            await q.lock_volunteer.fetchrow(holder, id=uuid.UUID(person["id"]))
            await q.lock_volunteer_for_rights.fetchrow(holder, id=uuid.UUID(person["id"]))
            request = await asyncio.wait_for(a_request(client, pool, starts_at=in_days(12)), DEADLINE)
        assert await token_of(client, request["id"], person["id"])
    finally:
        await holder.close()
    assert (await client.get(f"/v1/requests/{request['id']}", as_=ADMIN))["id"] == request["id"]
