"""A database outage is waited out, and the naks sent meanwhile do not count as handler failures."""


import pytest

from backbone.db import create_pool
from backbone.embedded import EmbeddedPostgres, free_port
from backbone.migrations import backbone_migrations, ensure_database, migrate
from backbone.testing import eventually

from .consuming import ReadsN, consumer, dead_letters, publish, running, stop


@pytest.fixture
def own_postgres(tmp_path):
    """A server of this test's own, so stopping it disturbs no other test."""
    server = EmbeddedPostgres(tmp_path / "pg", free_port(), durable=False)
    server.start()
    yield server
    server.stop()


async def test_the_first_failure_after_an_outage_is_retried_not_dead_lettered(own_postgres, nc, owner):
    dsn = own_postgres.dsn("outage")
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations())
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    attempts: list[int] = []

    async def fails_once(conn, event, data: ReadsN) -> None:
        attempts.append(data.n)
        if len(attempts) == 1:
            raise RuntimeError("an ordinary failure")
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    consumer_max_deliver = 2
    waiting = consumer(pool, nc, owner, fails_once, max_deliver=consumer_max_deliver)
    await waiting.ensure()
    own_postgres.stop()
    tasks = running(waiting)
    try:
        await publish(nc, owner, 1, aggregate=None)

        async def redelivered_during_outage() -> bool:
            info = await nc.jetstream().consumer_info(owner.stream, owner.name)
            return info.num_redelivered >= 1 and info.delivered.consumer_seq > consumer_max_deliver

        await eventually(redelivered_during_outage, "a redelivery during the outage", timeout=30)
        own_postgres.start()

        async def applied() -> bool:
            try:
                async with pool.acquire() as conn:
                    return bool(await conn.fetchval("SELECT count(*) FROM effects"))
            except Exception:  # noqa: BLE001 - the pool reconnects after the restart
                return False

        await eventually(applied, "the event applied after the outage", timeout=30)
    finally:
        await stop(tasks)
    assert attempts == [1, 1], "one ordinary failure, then handled: not dead-lettered"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 1
    await pool.close()


async def test_a_dead_letter_during_an_outage_is_naked_and_the_fetch_loop_goes_on(own_postgres, nc, owner):
    """#11a: recording a dead letter needs the database; with it away the message waits (nak with a
    delay) and the loop keeps fetching, instead of failing and starting again."""
    dsn = own_postgres.dsn("outage")
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations())
    pool = await create_pool(dsn)
    handled: list[int] = []

    async def handles(conn, event, data: ReadsN) -> None:
        handled.append(data.n)

    waiting = consumer(pool, nc, owner, handles, subjects=[owner.happened.subject])
    await waiting.ensure()
    loop_failures: list[str] = []
    record_failure = waiting.health.failed

    def failed(error: str) -> None:
        loop_failures.append(error)
        record_failure(error)

    waiting.health.failed = failed  # type: ignore[method-assign]
    own_postgres.stop()
    tasks = running(waiting)
    try:
        # Not a readable event: dead-lettered at once, which needs the database.
        await nc.jetstream().publish(
            owner.happened.subject, b"not an event", headers={"Nats-Msg-Id": "bad-1"}
        )

        async def delivered_again() -> bool:
            info = await nc.jetstream().consumer_info(owner.stream, owner.name)
            return info.num_redelivered >= 1

        await eventually(delivered_again, "the unreadable message delivered again", timeout=30)
        assert loop_failures == [], "the fetch loop failed and started again instead of going on"
        own_postgres.start()

        async def recorded() -> bool:
            try:
                async with pool.acquire() as conn:
                    return bool(await conn.fetchval("SELECT count(*) FROM dead_letters"))
            except Exception:  # noqa: BLE001 - the pool reconnects after the restart
                return False

        await eventually(recorded, "the dead letter recorded after the outage", timeout=30)
        await publish(nc, owner, 7, aggregate=None)
        await eventually(lambda: handled == [7], "the next event handled", timeout=30)
    finally:
        await stop(tasks)
    assert loop_failures == []
    assert len(await dead_letters(nc, owner)) == 1
    await pool.close()
