"""Per-aggregate order in the consumer: through retries, dead letters, two replicas and late publishes."""

import asyncio
import json
import random
import uuid

import pytest

from backbone.testing import eventually

from .consuming import ReadsN, consumer, dead_letters, publish, running, stop


@pytest.fixture
async def effects_table(pool):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (seq bigserial, aggregate text, n int)")


async def _effects(pool, aggregate: str | None = None) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT n FROM effects WHERE $1::text IS NULL OR aggregate = $1 ORDER BY seq", aggregate
        )
    return [r["n"] for r in rows]


async def _record(conn, event, data: ReadsN) -> None:
    await conn.execute("INSERT INTO effects (aggregate, n) VALUES ($1, $2)", event.subject, data.n)


async def _has(pool, n: int, aggregate: str | None = None) -> bool:
    return len(await _effects(pool, aggregate)) >= n


async def test_a_failing_first_event_does_not_let_the_second_of_its_aggregate_go_first(
    pool, nc, owner, effects_table
):
    failures = []

    async def first_fails_twice(conn, event, data: ReadsN) -> None:
        if data.n == 1 and len(failures) < 2:
            failures.append(1)
            raise RuntimeError("temporary trouble")
        await _record(conn, event, data)

    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, seq=2)
    tasks = running(consumer(pool, nc, owner, first_fails_twice))
    await eventually(lambda: _has(pool, 2), "two events handled")
    await stop(tasks)
    assert await _effects(pool) == [1, 2]


async def test_when_an_event_is_dead_lettered_the_later_ones_of_its_aggregate_go_on(
    pool, nc, owner, effects_table
):
    async def one_is_broken(conn, event, data: ReadsN) -> None:
        if data.n == 1:
            raise ValueError("cannot handle this one")
        await _record(conn, event, data)

    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, seq=2)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, one_is_broken, max_deliver=2))
    await eventually(lambda: _has(pool, 2), "two events handled")
    await stop(tasks)
    assert await _effects(pool) == [2, 3]
    [dead] = await dead_letters(nc, owner)
    assert json.loads(dead.data)["aggregateseq"] == 1


async def test_events_published_out_of_order_are_applied_in_their_aggregate_order(
    pool, nc, owner, effects_table
):
    await publish(nc, owner, 2, seq=2)
    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _has(pool, 3), "three events handled")
    await stop(tasks)
    assert await _effects(pool) == [1, 2, 3]


async def test_a_copy_of_an_applied_event_is_not_applied_again(pool, nc, owner, effects_table):
    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, seq=2)
    # A different event id with an old sequence number: only the order says it is stale.
    await publish(nc, owner, 99, seq=1)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _has(pool, 3), "three events handled")
    await stop(tasks)
    assert await _effects(pool) == [1, 2, 3]


async def test_two_replicas_on_one_durable_keep_each_aggregates_order(pool, nc, owner, effects_table):
    async def slow_and_uneven(conn, event, data: ReadsN) -> None:
        await asyncio.sleep(random.uniform(0, 0.03))
        await _record(conn, event, data)

    aggregates = [f"thing/{k}" for k in range(3)]
    for n in range(1, 16):
        for aggregate in aggregates:
            await publish(nc, owner, n, seq=n, aggregate=aggregate)
    replicas = [consumer(pool, nc, owner, slow_and_uneven, batch_size=2) for _ in range(2)]
    tasks = running(*replicas)
    await eventually(lambda: _has(pool, 45), "45 events handled", timeout=60)
    await stop(tasks)
    for aggregate in aggregates:
        assert await _effects(pool, aggregate) == list(range(1, 16)), aggregate


async def test_a_gap_that_never_fills_is_waited_out_and_then_passed(pool, nc, owner, effects_table):
    await publish(nc, owner, 2, seq=2)  # seq 1 never comes (say it expired from the stream)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, _record, gap_timeout=1.0))
    await eventually(lambda: _has(pool, 2), "two events handled")
    await stop(tasks)
    assert await _effects(pool) == [2, 3]
    assert not await dead_letters(nc, owner)


async def test_a_replayed_dead_letter_is_handled_although_later_ones_were_applied(
    pool, nc, owner, effects_table
):
    broken = [True]

    async def broken_until_fixed(conn, event, data: ReadsN) -> None:
        if data.n == 1 and broken[0]:
            raise ValueError("bug")
        await _record(conn, event, data)

    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, seq=2)
    tasks = running(consumer(pool, nc, owner, broken_until_fixed, max_deliver=1))
    await eventually(lambda: _has(pool, 1), "one event handled")
    [dead] = await dead_letters(nc, owner)
    broken[0] = False  # the fix is deployed; the operator replays the dead letter
    replay_id = str(uuid.uuid4())
    await nc.jetstream().publish(owner.happened.subject, dead.data, headers={"Nats-Msg-Id": replay_id})
    await eventually(lambda: _has(pool, 2), "two events handled")
    await stop(tasks)
    assert await _effects(pool) == [2, 1]


async def test_events_without_a_sequence_number_are_applied_as_they_come(pool, nc, owner, effects_table):
    await publish(nc, owner, 2, seq=None)
    await publish(nc, owner, 1, seq=None)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _has(pool, 2), "two events handled")
    await stop(tasks)
    assert await _effects(pool) == [2, 1]


async def test_an_ignored_subject_in_the_middle_of_an_aggregate_is_not_waited_for(
    pool, nc, owner, effects_table
):
    # The publisher numbers an aggregate's events across all its subjects; this consumer reads one
    # of them and deliberately ignores the other.
    noted = f"{owner.name}.thing.noted.v1"
    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, subject=noted, seq=2)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, _record, gap_timeout=60.0, ignored=[noted]))
    # Well within the gap timeout: nothing waits for the ignored event.
    await eventually(lambda: _has(pool, 2), "the event after the ignored one handled", timeout=10)
    await stop(tasks)
    assert await _effects(pool) == [1, 3]
    assert not await dead_letters(nc, owner)


async def test_unreadable_data_is_dead_lettered_only_in_its_turn_so_earlier_ones_are_not_skipped(
    pool, nc, owner, effects_table
):
    failed = []

    async def second_fails_once(conn, event, data: ReadsN) -> None:
        if data.n == 2 and not failed:
            failed.append(2)
            raise RuntimeError("temporary trouble")
        await _record(conn, event, data)

    await publish(nc, owner, 1, seq=1)
    await publish(nc, owner, 2, seq=2)
    await publish(nc, owner, 3, seq=3)
    await publish(nc, owner, "not a number", seq=4)
    await publish(nc, owner, 5, seq=5)
    tasks = running(consumer(pool, nc, owner, second_fails_once, backoff=[1.0], gap_timeout=60.0))
    await eventually(lambda: _has(pool, 4), "four events handled", timeout=20)
    await stop(tasks)
    assert await _effects(pool) == [1, 2, 3, 5]
    [dead] = await dead_letters(nc, owner)
    assert json.loads(dead.data)["aggregateseq"] == 4
    assert "cannot read" in dead.headers["Dead-Letter-Reason"]


async def test_an_event_that_comes_after_its_gap_was_given_up_is_dead_lettered(
    pool, nc, owner, effects_table
):
    await publish(nc, owner, 2, seq=2)
    await publish(nc, owner, 3, seq=3)
    tasks = running(consumer(pool, nc, owner, _record, gap_timeout=1.0))
    await eventually(lambda: _has(pool, 2), "two events handled after the gap")
    await publish(nc, owner, 1, seq=1)  # the missing one, too late: applying it would undo 2 and 3

    async def dead_lettered() -> list:
        return await dead_letters(nc, owner)

    [dead] = await eventually(dead_lettered, "the late event dead-lettered")
    await stop(tasks)
    assert await _effects(pool) == [2, 3]
    assert json.loads(dead.data)["aggregateseq"] == 1
    assert "after later events" in dead.headers["Dead-Letter-Reason"]


async def test_a_replica_waiting_for_an_aggregates_row_lock_gives_up_soon_and_waits_its_turn_uncounted(
    pool, nc, owner, effects_table
):
    from prometheus_client import REGISTRY

    labels = {"service": owner.name, "consumer": owner.name, "outcome": "waiting"}
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO inbox_aggregate (consumer, aggregate, applied_seq) VALUES ($1, 'thing/1', 0)",
            owner.name,
        )
    await publish(nc, owner, 1, seq=1)
    async with pool.acquire() as holder:
        tx = holder.transaction()
        await tx.start()
        # Another replica's slow handler holds the aggregate.
        await holder.execute("SELECT 1 FROM inbox_aggregate WHERE consumer = $1 FOR UPDATE", owner.name)
        tasks = running(consumer(pool, nc, owner, _record, ack_wait=4.0))  # waits at most 1 s
        await eventually(
            lambda: (REGISTRY.get_sample_value("events_handled_total", labels) or 0) >= 1,
            "the event gave up the lock wait and waits its turn",
        )
        await tx.rollback()
    await eventually(lambda: _has(pool, 1), "the event handled once the lock is free")
    await stop(tasks)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox_attempts") == 0, "no failure counted"
