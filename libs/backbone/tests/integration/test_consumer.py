"""The idempotent consumer: one effect per event, retries with backoff, dead letters with reasons."""

import asyncio
import json
import uuid

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from backbone.consumer import Consumer, Subscription
from backbone.envelope import new_envelope
from backbone.streams import DEAD_LETTER_STREAM

from .conftest import eventually


class ReadsN(BaseModel):
    n: int


async def _effects(pool) -> list[int]:
    async with pool.acquire() as conn:
        return [r["n"] for r in await conn.fetch("SELECT n FROM effects ORDER BY seq")]


@pytest.fixture
async def effects_table(pool):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (seq bigserial, n int)")


def _consumer(pool, nc, owner, handler, **kw) -> Consumer:
    return Consumer(
        pool=pool,
        nc=nc,
        service=owner.name,
        durable=owner.name,
        stream=owner.stream,
        subscriptions=[Subscription(owner.happened.subject, ReadsN, handler)],
        backoff=[0.1],
        ack_wait=2.0,
        **kw,
    )


async def _record(conn, _event, data: ReadsN) -> None:
    await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)


async def _publish(nc, owner, n, *, event_id: str | None = None, msg_id: str | None = None) -> str:
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": n}, aggregate="thing/1", correlation_id=None
    )
    if event_id:
        env = env.model_copy(update={"id": event_id})
    await nc.jetstream().publish(
        owner.happened.subject, env.to_json(), headers={"Nats-Msg-Id": msg_id or env.id}
    )
    return env.id


async def _dead_letters(nc, owner) -> list:
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        f"deadletter.{owner.name}.{owner.name}",
        stream=DEAD_LETTER_STREAM,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    try:
        return await sub.fetch(100, timeout=1)
    except TimeoutError:
        return []
    finally:
        await sub.unsubscribe()


async def _running(consumer: Consumer):
    return asyncio.create_task(consumer.run())


async def _stop(task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_redelivered_event_has_no_second_effect(pool, nc, owner, effects_table):
    event_id = str(uuid.uuid4())
    await _publish(nc, owner, 1, event_id=event_id, msg_id="copy-1")
    # The same event again, past JetStream's de-duplication (as after the duplicate window).
    await _publish(nc, owner, 1, event_id=event_id, msg_id="copy-2")
    await _publish(nc, owner, 2)
    task = await _running(_consumer(pool, nc, owner, _record))
    await eventually(lambda: _count(pool, 2))
    await asyncio.sleep(0.3)
    await _stop(task)
    assert await _effects(pool) == [1, 2]


async def _count(pool, n: int) -> bool:
    return len(await _effects(pool)) >= n


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_next_one_is_handled(
    pool, nc, owner, effects_table
):
    await nc.jetstream().publish(
        owner.happened.subject, b"{this is not json", headers={"Nats-Msg-Id": "bad-1"}
    )
    await _publish(nc, owner, 41)
    await _publish(nc, owner, 42)  # valid envelope ...
    env = new_envelope(
        subject=owner.happened.subject,
        source="/t",
        data={"n": "not a number"},
        aggregate=None,
        correlation_id=None,
    )
    await nc.jetstream().publish(owner.happened.subject, env.to_json())  # ... but data the handler can't read
    await _publish(nc, owner, 43)
    task = await _running(_consumer(pool, nc, owner, _record))
    await eventually(lambda: _count(pool, 3))
    await _stop(task)
    assert await _effects(pool) == [41, 42, 43]
    dead = await _dead_letters(nc, owner)
    reasons = [m.headers["Dead-Letter-Reason"] for m in dead]
    assert len(dead) == 2
    assert "not JSON" in reasons[0]
    assert "cannot read" in reasons[1]
    assert "n: Input should be a valid integer" in reasons[1]
    assert "not a number" not in reasons[1], "values stay out of reasons and logs; they may be personal data"
    assert dead[0].data == b"{this is not json"
    assert dead[0].headers["Dead-Letter-Subject"] == owner.happened.subject
    assert dead[0].headers["Dead-Letter-Delivery-Count"] == "1"


async def test_a_failing_handler_is_retried_and_then_succeeds(pool, nc, owner, effects_table):
    attempts = []

    async def flaky(conn, event, data: ReadsN) -> None:
        attempts.append(data.n)
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)
        if len(attempts) < 3:
            raise RuntimeError("temporary trouble")  # rolls back the insert above

    await _publish(nc, owner, 5)
    task = await _running(_consumer(pool, nc, owner, flaky))
    await eventually(lambda: _count(pool, 1))
    await _stop(task)
    assert attempts == [5, 5, 5]
    assert await _effects(pool) == [5]


async def test_a_handler_that_always_fails_is_dead_lettered_after_max_deliver(pool, nc, owner, effects_table):
    async def broken(conn, event, data) -> None:
        raise ValueError("cannot handle this")

    await _publish(nc, owner, 9)
    task = await _running(_consumer(pool, nc, owner, broken, max_deliver=3))

    async def dead_lettered() -> bool:
        return len(await _dead_letters(nc, owner)) == 1

    await eventually(dead_lettered)
    await _stop(task)
    [dead] = await _dead_letters(nc, owner)
    assert dead.headers["Dead-Letter-Delivery-Count"] == "3"
    assert "Handler failed 3 times" in dead.headers["Dead-Letter-Reason"]
    assert "cannot handle this" in dead.headers["Dead-Letter-Reason"]
    assert json.loads(dead.data)["data"] == {"n": 9}


async def test_events_about_one_aggregate_keep_their_order_while_others_run_alongside(
    pool, nc, owner, effects_table
):
    import random

    seen: list[tuple[str, int]] = []

    async def slow_and_uneven(conn, event, data: ReadsN) -> None:
        await asyncio.sleep(random.uniform(0, 0.02))
        seen.append((event.subject, data.n))
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    for n in range(30):
        aggregate = f"thing/{n % 3}"
        env = new_envelope(
            subject=owner.happened.subject,
            source="/t",
            data={"n": n},
            aggregate=aggregate,
            correlation_id=None,
        )
        await nc.jetstream().publish(
            owner.happened.subject, env.to_json(), headers={"Nats-Msg-Id": env.id, "Aggregate": aggregate}
        )
    task = await _running(_consumer(pool, nc, owner, slow_and_uneven, concurrency=3))
    await eventually(lambda: _count(pool, 30))
    await _stop(task)
    for k in range(3):
        ns = [n for subject, n in seen if subject == f"thing/{k}"]
        assert ns == sorted(ns), f"thing/{k} was handled out of order: {ns}"
        assert len(ns) == 10
    assert [n for _, n in seen] != list(range(30)), "different aggregates ran side by side"
