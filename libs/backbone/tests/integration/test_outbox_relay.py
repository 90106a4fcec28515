"""The outbox and its relay: what commits is published once, in order; what rolls back never leaves."""

import asyncio
import json
import sys
import uuid

import asyncpg
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy, DiscardPolicy
from prometheus_client import REGISTRY

from backbone.contracts import SchemaViolation, event_type
from backbone.correlation import bind_request_id
from backbone.db import _init_connection
from backbone.embedded import EmbeddedNats, free_port
from backbone.outbox import add_event
from backbone.relay import OutboxRelay, set_aside_rows
from backbone.streams import ensure_stream, service_stream
from backbone.testing import eventually

from .conftest import Happened


async def _stream_messages(nc, stream: str, expected: int, timeout: float = 10.0) -> list:
    """Every message in `stream`, once at least `expected` are there (or the deadline passed)."""
    js = nc.jetstream()

    async def arrived() -> bool:
        return (await js.stream_info(stream)).state.messages >= expected

    await eventually(arrived, f"{expected} messages in {stream}", timeout=timeout)
    sub = await js.pull_subscribe(
        "", stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL), durable=None
    )
    msgs = []
    total = (await js.stream_info(stream)).state.messages
    while len(msgs) < total:
        msgs += await sub.fetch(total - len(msgs), timeout=2)
    await sub.unsubscribe()
    return msgs


async def _add(pool, owner, n: int, aggregate: str = "a1", text: str = "") -> str:
    async with pool.acquire() as conn, conn.transaction():
        env = await add_event(conn, owner.happened, Happened(n=n, text=text), aggregate_id=aggregate)
    return env.id


async def _run_relay_until_empty(relay: OutboxRelay, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await _init_connection(conn)
        while await relay.relay_once(conn):
            pass
    finally:
        await conn.close()



async def _relay_gets_through(relay: OutboxRelay, conn: asyncpg.Connection) -> None:
    """Wait until a pass of the relay publishes one row (NATS back after an outage)."""

    async def got_through() -> bool:
        try:
            return await relay.relay_once(conn) == 1
        except ConnectionError:
            return False

    await eventually(got_through, "the relay getting through once NATS is back", timeout=20, interval=0.2)


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
    await eventually(lambda: first.is_leader, "the first relay leading")
    t2 = asyncio.create_task(second.run())
    await asyncio.sleep(0.5)
    assert not second.is_leader
    t1.cancel()
    await asyncio.gather(t1, return_exceptions=True)
    await eventually(lambda: second.is_leader, "the second relay leading")
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
        await _relay_gets_through(relay, conn)
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
    await OutboxRelay(dsn=dsn, nc=nc, service=owner.name, pool=pool).clean_published()
    async with pool.acquire() as conn:
        left = await conn.fetch("SELECT published_at IS NULL AS pending FROM outbox ORDER BY created_at")
    assert [r["pending"] for r in left] == [True, False]


async def _insert_raw(pool, owner, *, aggregate: str, data: dict) -> int:
    """An outbox row written as add_event would, minus its checks: for rows add_event refuses today."""
    env = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"/{owner.name}",
        "type": f"se.delaktig.{owner.happened.subject}",
        "time": "2026-01-01T00:00:00Z",
        "subject": aggregate,
        "data": data,
    }
    async with pool.acquire() as conn:
        return await conn.fetchval(
            """INSERT INTO outbox (event_id, subject, aggregate, envelope) VALUES ($1, $2, $3, $4)
               RETURNING id""",
            env["id"],
            owner.happened.subject,
            aggregate,
            env,
        )


def _set_aside_count(service: str) -> float:
    return REGISTRY.get_sample_value("outbox_set_aside_total", {"service": service}) or 0.0


async def test_a_row_too_large_for_nats_is_set_aside_and_the_rows_behind_it_go_out(pool, dsn, nc, owner):
    before = await _add(pool, owner, 1)
    big = await _insert_raw(pool, owner, aggregate="thing/a1", data={"n": 2, "text": "x" * nc.max_payload})
    after = await _add(pool, owner, 3)
    await _run_relay_until_empty(OutboxRelay(dsn=dsn, nc=nc, service=owner.name), dsn)

    msgs = await _stream_messages(nc, owner.stream, 2)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [before, after]
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT published_at, set_aside_at, set_aside_reason FROM outbox WHERE id = $1", big
        )
        assert row["published_at"] is None
        assert row["set_aside_at"] is not None
        assert "max_payload" in row["set_aside_reason"]
        [listed] = await set_aside_rows(conn)
    assert listed.id == big and listed.subject == owner.happened.subject and listed.aggregate == "thing/a1"
    assert _set_aside_count(owner.name) == 1
    assert REGISTRY.get_sample_value("outbox_set_aside_rows", {"service": owner.name}) == 1


async def test_a_row_over_the_streams_max_msg_size_waits_for_the_operator_and_then_goes_out_in_order(
    pool, dsn, nc, owner
):
    """max_msg_size is the operator's to change, and may be lowered for a while: a row over it is
    retried (with an error in the log), never set aside for good, and goes out once it fits."""
    js = nc.jetstream()
    config = (await js.stream_info(owner.stream)).config
    config.max_msg_size = 2048
    await js.update_stream(config)
    ids = [
        await _add(pool, owner, 1),
        await _add(pool, owner, 2, text="x" * 4000),
        await _add(pool, owner, 3),
    ]
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name)
    with pytest.raises(ConnectionError, match="max_msg_size"):
        await _run_relay_until_empty(relay, dsn)
    async with pool.acquire() as conn:
        waiting = await conn.fetch(
            "SELECT set_aside_at FROM outbox WHERE published_at IS NULL ORDER BY id"
        )
    assert [r["set_aside_at"] for r in waiting] == [None, None]

    config.max_msg_size = -1
    await js.update_stream(config)
    await _run_relay_until_empty(relay, dsn)
    msgs = await _stream_messages(nc, owner.stream, 3)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == ids


async def _insert_published(pool, n: int, *, days_ago: int) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO outbox (event_id, subject, aggregate, envelope, created_at, published_at)
               SELECT gen_random_uuid(), 's', 'a', '{}', now() - make_interval(days => $2 + 1),
                      now() - make_interval(days => $2)
               FROM generate_series(1, $1)""",
            n,
            days_ago,
        )


async def test_cleanup_deletes_in_batches_until_nothing_old_is_left(pool, dsn, nc, owner, monkeypatch):
    monkeypatch.setattr("backbone.relay._CLEANUP_BATCH", 2)
    await _insert_published(pool, 5, days_ago=8)
    await _insert_published(pool, 1, days_ago=1)
    await OutboxRelay(dsn=dsn, nc=nc, service=owner.name, pool=pool).clean_published()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1


async def test_published_rows_have_an_index_for_the_cleanup(pool):
    async with pool.acquire() as conn:
        indexes = await conn.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox'")
    assert any(
        "(published_at)" in r["indexdef"] and "WHERE (published_at IS NOT NULL)" in r["indexdef"]
        for r in indexes
    ), [r["indexdef"] for r in indexes]


async def test_a_slow_cleanup_never_costs_the_leader_its_lock(pool, dsn, nc, owner):
    """The cleanup of a large outbox can take long; the leader must go on relaying meanwhile, not
    time out on its lock connection and step down (and a standby after it, and so on)."""
    await _insert_published(pool, 3, days_ago=8)
    blocker = await asyncpg.connect(dsn)
    blocking = blocker.transaction()
    await blocking.start()
    await blocker.execute(
        "SELECT id FROM outbox WHERE published_at < now() - interval '7 days' FOR UPDATE"
    )
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name, lock_timeout=2.0, poll_seconds=0.05)
    stepped_down = False

    async def watch() -> None:
        nonlocal stepped_down
        led = False
        while True:
            led = led or relay.is_leader
            stepped_down = stepped_down or (led and not relay.is_leader)
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    task = asyncio.create_task(relay.run())
    try:

        async def cleanup_waits() -> bool:
            # Not on the blocker: inside a transaction pg_stat_activity keeps its first snapshot.
            async with pool.acquire() as conn:
                return bool(
                    await conn.fetchval(
                        """SELECT count(*) FROM pg_stat_activity
                           WHERE query LIKE '%DELETE FROM outbox%' AND wait_event_type = 'Lock'"""
                    )
                )

        await eventually(cleanup_waits, "the cleanup waiting for the locked rows")
        event = await _add(pool, owner, 1)
        msgs = await _stream_messages(nc, owner.stream, 1)
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == [event]
        assert not stepped_down, "the leader stepped down while the cleanup waited"
        await blocking.rollback()

        async def cleaned() -> bool:
            return await blocker.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") == 1

        await eventually(cleaned, "the old rows deleted once they were free")
        assert not stepped_down
    finally:
        task.cancel()
        watcher.cancel()
        await asyncio.gather(task, watcher, return_exceptions=True)
        await blocker.close()


async def test_the_relays_retry_wait_starts_again_once_it_leads(pool, dsn, nc, owner):
    """Failures before it led (the database away at start) must not make a later failure wait long."""
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name)
    for _ in range(10):
        relay.backoff.next()
    task = asyncio.create_task(relay.run())
    try:
        await _add(pool, owner, 1)
        await _stream_messages(nc, owner.stream, 1)  # it leads, and published
        # The message is on the stream before the pass has marked its row and ended: wait for a turn
        # of the relay after that (the same step that resets the back-off).
        published = asyncio.get_running_loop().time()
        await eventually(lambda: relay.health.last_turn > published, "a pass of the relay after the publish")
        assert relay.backoff.next() == relay.backoff.first
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_operators_list_set_aside_rows_with_the_command_line_tool(pool, dsn, nc, owner):
    big = await _insert_raw(pool, owner, aggregate="thing/a9", data={"n": 1, "text": "x" * nc.max_payload})
    await _run_relay_until_empty(OutboxRelay(dsn=dsn, nc=nc, service=owner.name), dsn)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backbone.deadletters",
        "set-aside",
        "--database-url",
        dsn,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert f"#{big}" in text and owner.happened.subject in text and "thing/a9" in text
    assert "max_payload" in text


async def test_relay_passes_do_not_grow_the_connections_subscriptions(pool, dsn, nc, owner):
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name)
    conn = await asyncpg.connect(dsn)
    try:
        await _init_connection(conn)
        await _add(pool, owner, 0)
        assert await relay.relay_once(conn) == 1
        subscriptions = len(nc._subs)
        for n in range(1, 6):
            await _add(pool, owner, n)
            assert await relay.relay_once(conn) == 1
    finally:
        await conn.close()
    assert len(nc._subs) == subscriptions


async def test_a_publish_failing_mid_batch_never_lets_a_later_event_of_its_aggregate_pass_it(
    pool, dsn, nc, owner
):
    js = nc.jetstream()
    changed = event_type(f"{owner.name}.thing.changed.v1", Happened, aggregate="thing", description="t")
    noted = event_type(f"{owner.name}.thing.noted.v1", Happened, aggregate="thing", description="t")
    # One message per subject, and refuse new ones: `changed` is full, so its row fails and the rows
    # around it (other subjects, same stream, same aggregate) would be stored.
    config = (await js.stream_info(owner.stream)).config
    config.max_msgs_per_subject = 1
    config.discard = DiscardPolicy.NEW
    config.discard_new_per_subject = True
    await js.update_stream(config)
    await js.publish(changed.subject, b"{}", headers={"Nats-Msg-Id": "filler"})

    ids = []
    for event, n in ((owner.happened, 1), (changed, 2), (noted, 3)):
        async with pool.acquire() as conn, conn.transaction():
            ids.append((await add_event(conn, event, Happened(n=n), aggregate_id="x")).id)
    relay = OutboxRelay(dsn=dsn, nc=nc, service=owner.name)
    with pytest.raises(ConnectionError, match="did not acknowledge"):
        await _run_relay_until_empty(relay, dsn)
    async with pool.acquire() as conn:
        pending = await conn.fetch("SELECT event_id FROM outbox WHERE published_at IS NULL ORDER BY id")
    assert [str(r["event_id"]) for r in pending] == ids[1:], "nothing after the failed row is marked"

    config.max_msgs_per_subject = 10  # the operator makes room
    await js.update_stream(config)
    await _run_relay_until_empty(relay, dsn)
    msgs = await _stream_messages(nc, owner.stream, 4)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == ["filler", *ids]


async def test_publishes_nats_refuses_while_it_is_away_leave_no_pending_ack_behind(pool, dsn, tmp_path):
    # nats-py takes one of its pending-ack slots (4000) before it sends; a publish it refuses while
    # reconnecting (its buffer full) never gives it back. Enough of those and the relay stalls for
    # good: every pass would see no slot free.
    server = EmbeddedNats(tmp_path / "js", free_port())
    server.start()
    try:
        client = await nats.connect(
            server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2, pending_size=1
        )
        owner_name = "t" + uuid.uuid4().hex[:12]
        await ensure_stream(client.jetstream(), service_stream(owner_name))
        happened = event_type(f"{owner_name}.thing.happened.v1", Happened, aggregate="thing", description="t")
        relay = OutboxRelay(dsn=dsn, nc=client, service=owner_name, ack_timeout=0.5)
        conn = await asyncpg.connect(dsn)
        await _init_connection(conn)
        async with pool.acquire() as c, c.transaction():
            await add_event(c, happened, Happened(n=0), aggregate_id="a")
        assert await relay.relay_once(conn) == 1
        async with pool.acquire() as c, c.transaction():
            event = await add_event(c, happened, Happened(n=1), aggregate_id="a")

        server.stop()
        for _ in range(3):
            with pytest.raises(ConnectionError, match="did not acknowledge"):
                await relay.relay_once(conn)
        server.start()
        await _relay_gets_through(relay, conn)
        msgs = await _stream_messages(client, owner_name.upper(), 2)
        assert msgs[-1].headers["Nats-Msg-Id"] == event.id
        assert relay._jetstream().publish_async_pending() == 0, "a refused publish kept its slot"
        await conn.close()
        await client.close()
    finally:
        server.stop()
