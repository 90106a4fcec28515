"""The outbox and its relay: what commits is published once, in order; what rolls back never leaves."""

import asyncio
import json
import uuid

import asyncpg
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from backbone.contracts import SchemaViolation, event_type
from backbone.correlation import bind_request_id
from backbone.db import _init_connection
from backbone.embedded import EmbeddedNats, free_port
from backbone.outbox import add_event
from backbone.relay import OutboxRelay
from backbone.streams import ensure_stream, service_stream

from .conftest import Happened, eventually


async def _stream_messages(nc, stream: str, expected: int, timeout: float = 10.0) -> list:
    """Every message in `stream`, once at least `expected` are there (or the deadline passed)."""
    js = nc.jetstream()
    deadline = asyncio.get_running_loop().time() + timeout
    while (await js.stream_info(stream)).state.messages < expected:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    sub = await js.pull_subscribe(
        "", stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL), durable=None
    )
    msgs = []
    total = (await js.stream_info(stream)).state.messages
    while len(msgs) < total:
        msgs += await sub.fetch(total - len(msgs), timeout=2)
    await sub.unsubscribe()
    return msgs


async def _add(pool, owner, n: int, aggregate: str = "a1") -> str:
    async with pool.acquire() as conn, conn.transaction():
        env = await add_event(conn, owner.happened, Happened(n=n), aggregate_id=aggregate)
    return env.id


async def _run_relay_until_empty(relay: OutboxRelay, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await _init_connection(conn)
        while await relay.relay_once(conn):
            pass
    finally:
        await conn.close()


async def test_an_event_rolled_back_with_its_change_is_never_published(pool, owner):
    with pytest.raises(RuntimeError, match="boom"):
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, owner.happened, Happened(n=1), aggregate_id="x")
            raise RuntimeError("boom")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0


async def test_add_event_refuses_to_run_outside_a_transaction(pool, owner):
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await add_event(conn, owner.happened, Happened(n=1), aggregate_id="x")


async def test_data_that_breaks_the_schema_never_reaches_the_outbox(pool, owner):
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(SchemaViolation):
            await add_event(conn, owner.happened, {"n": "one"}, aggregate_id="x")


async def test_committed_events_are_published_in_order_with_their_id_and_request_id(pool, dsn, nc, owner):
    bind_request_id("req-123")
    ids = [await _add(pool, owner, n) for n in range(5)]
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name)
    await _run_relay_until_empty(relay, dsn)
    msgs = await _stream_messages(nc, owner.stream, 5)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == ids
    assert [json.loads(m.data)["data"]["n"] for m in msgs] == [0, 1, 2, 3, 4]
    assert {m.headers["X-Request-ID"] for m in msgs} == {"req-123"}
    assert {json.loads(m.data)["correlationid"] for m in msgs} == {"req-123"}
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_a_relay_killed_between_publishing_and_marking_publishes_nothing_twice(pool, dsn, nc, owner):
    ids = [await _add(pool, owner, n, aggregate=str(uuid.uuid4())) for n in range(3)]

    async def die(_published_ids: list[int]) -> None:
        raise asyncio.CancelledError  # the process is gone: nothing after this line runs

    crashing = OutboxRelay(dsn=dsn, nc=nc, service=owner.name, after_publish=die)
    with pytest.raises(asyncio.CancelledError):
        await _run_relay_until_empty(crashing, dsn)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 3

    await _add(pool, owner, 3)
    await _run_relay_until_empty(OutboxRelay(dsn=dsn, nc=nc, service=owner.name), dsn)
    msgs = await _stream_messages(nc, owner.stream, 4)
    assert [m.headers["Nats-Msg-Id"] for m in msgs][:3] == ids
    assert len(msgs) == 4, "the re-published events were de-duplicated by JetStream"


async def test_only_one_relay_leads_and_a_standby_takes_over(pool, dsn, nats_server, owner):
    nc1, nc2 = await nats.connect(nats_server.url), await nats.connect(nats_server.url)
    first = OutboxRelay(dsn=dsn, nc=nc1, service=owner.name, poll_seconds=0.1)
    second = OutboxRelay(dsn=dsn, nc=nc2, service=owner.name, poll_seconds=0.1)
    t1 = asyncio.create_task(first.run())
    await eventually(lambda: first.is_leader)
    t2 = asyncio.create_task(second.run())
    await asyncio.sleep(0.5)
    assert not second.is_leader
    t1.cancel()
    await asyncio.gather(t1, return_exceptions=True)
    await eventually(lambda: second.is_leader)
    event_id = await _add(pool, owner, 7)
    msgs = await _stream_messages(nc2, owner.stream, 1)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [event_id]
    t2.cancel()
    await asyncio.gather(t2, return_exceptions=True)
    await nc1.close()
    await nc2.close()


async def test_acks_lost_while_nats_is_away_are_retried_not_waited_for_forever(pool, dsn, tmp_path):
    server = EmbeddedNats(tmp_path / "js", free_port())
    server.start()
    try:
        client = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        owner_name = "t" + uuid.uuid4().hex[:12]
        await ensure_stream(client.jetstream(), service_stream(owner_name))
        happened = event_type(f"{owner_name}.thing.happened.v1", Happened, aggregate="thing", description="t")
        async with pool.acquire() as conn, conn.transaction():
            event = await add_event(conn, happened, Happened(n=1), aggregate_id="a")
        relay = OutboxRelay(dsn=dsn, nc=client, service=owner_name, ack_timeout=0.5)
        conn = await asyncpg.connect(dsn)
        await _init_connection(conn)

        server.stop()
        with pytest.raises(ConnectionError, match="did not acknowledge"):
            await relay.relay_once(conn)
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1

        server.start()
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            try:
                if await relay.relay_once(conn) == 1:
                    break
            except ConnectionError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "the relay never got through"
            await asyncio.sleep(0.2)
        msgs = await _stream_messages(client, owner_name.upper(), 1)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == [event.id]
        await conn.close()
        await client.close()
    finally:
        server.stop()


async def test_published_rows_are_cleaned_up_after_a_week_and_unpublished_ones_never(pool, dsn, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO outbox (event_id, subject, aggregate, envelope, created_at, published_at) VALUES
               (gen_random_uuid(), 's', 'a', '{}', now() - interval '9 days', now() - interval '8 days'),
               (gen_random_uuid(), 's', 'a', '{}', now() - interval '2 days', now() - interval '1 day'),
               (gen_random_uuid(), 's', 'a', '{}', now() - interval '30 days', NULL)"""
        )
    conn = await asyncpg.connect(dsn)
    try:
        await OutboxRelay(dsn=dsn, nc=nc, service=owner.name)._maybe_clean(conn)
        left = await conn.fetch("SELECT published_at IS NULL AS pending FROM outbox ORDER BY created_at")
    finally:
        await conn.close()
    assert [r["pending"] for r in left] == [True, False]
