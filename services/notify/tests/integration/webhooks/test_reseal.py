"""The reseal worker: it goes past a row it cannot open, drops expired previous secrets without
opening them, goes through every row however many batches that takes, and says how many rows are
still sealed under a key that is not the current one."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from notify.webhooks.sealing import parse_keys, reseal_stored_secrets
from notify.webhooks.signing import new_secret

from .conftest import TEST_BOX, Resolver, add_endpoint

pytestmark = pytest.mark.timeout(60)
GONE_BOX = parse_keys("gone:" + base64.b64encode(b"g" * 32).decode())
# The lowest id there is: the reseal worker reads rows in id order, so this row comes first.
FIRST_ID = uuid.UUID(int=1)


async def stored(pool: asyncpg.Pool, endpoint_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            "SELECT secret, previous_secret, previous_secret_until FROM webhook_endpoints WHERE id = $1",
            endpoint_id,
        )


async def as_before_sealing(pool: asyncpg.Pool, endpoint_id: uuid.UUID) -> None:
    async with pool.acquire() as conn:
        query = "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1"
        await conn.execute(query, endpoint_id, new_secret())


def remaining_gauge() -> float | None:
    return REGISTRY.get_sample_value("webhook_secrets_under_old_keys")


async def test_a_row_that_does_not_open_is_passed_over_and_the_rows_after_it_are_resealed(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    bad = await add_endpoint(pool, resolver, url="http://receiver.test:1/bad")
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhook_endpoints SET id = $2, secret = $3 WHERE id = $1",
            bad["id"],
            FIRST_ID,
            GONE_BOX.seal(new_secret(), endpoint_id=FIRST_ID),
        )
    others = [await add_endpoint(pool, resolver, url=f"http://receiver.test:1/{n}") for n in range(3)]
    for other in others:
        await as_before_sealing(pool, other["id"])

    report = await reseal_stored_secrets(pool, TEST_BOX)
    assert (report.moved, report.remaining) == (3, 1)
    for other in others:
        assert (await stored(pool, other["id"]))["secret"].startswith("enc1:dev:")
    assert (await stored(pool, FIRST_ID))["secret"].startswith("enc1:gone:"), "left as it was"
    assert remaining_gauge() == 1
    # The next run does not stop at it either, and still counts it.
    again = await reseal_stored_secrets(pool, TEST_BOX)
    assert (again.moved, again.remaining) == (0, 1)


async def test_an_expired_previous_secret_is_dropped_and_not_opened(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test:1/in")
    async with pool.acquire() as conn:
        # A rotation long over, its old secret sealed under a key since removed.
        await conn.execute(
            "UPDATE webhook_endpoints SET previous_secret = $2, previous_secret_until = $3 WHERE id = $1",
            endpoint["id"],
            GONE_BOX.seal(new_secret(), endpoint_id=endpoint["id"]),
            datetime.now(UTC) - timedelta(hours=1),
        )
    before = (await stored(pool, endpoint["id"]))["secret"]

    report = await reseal_stored_secrets(pool, TEST_BOX)
    assert (report.moved, report.remaining) == (1, 0)
    row = await stored(pool, endpoint["id"])
    assert row["previous_secret"] is None and row["secret"] == before
    assert remaining_gauge() == 0


async def test_a_previous_secret_still_in_use_that_does_not_open_keeps_the_current_one_moving(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test:1/in")
    previous = GONE_BOX.seal(new_secret(), endpoint_id=endpoint["id"])
    plain = new_secret()
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhook_endpoints SET secret = $2, previous_secret = $3, previous_secret_until = $4 "
            "WHERE id = $1",
            endpoint["id"],
            plain,
            previous,
            datetime.now(UTC) + timedelta(hours=1),
        )
    report = await reseal_stored_secrets(pool, TEST_BOX)
    assert (report.moved, report.remaining) == (1, 1)
    row = await stored(pool, endpoint["id"])
    assert TEST_BOX.open(row["secret"], endpoint_id=endpoint["id"]) == plain
    assert row["previous_secret"] == previous


async def test_every_row_is_resealed_however_many_batches_it_takes(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    made = [await add_endpoint(pool, resolver, url=f"http://receiver.test:1/{n}") for n in range(5)]
    for endpoint in made:
        await as_before_sealing(pool, endpoint["id"])

    report = await reseal_stored_secrets(pool, TEST_BOX, batch=2)
    assert (report.moved, report.remaining) == (5, 0)
    for endpoint in made:
        assert (await stored(pool, endpoint["id"]))["secret"].startswith("enc1:dev:")
