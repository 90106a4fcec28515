"""Operators see dead letters with their reasons, and send one back once its cause is fixed."""

import asyncio

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from backbone.deadletters import read_dead_letters, replay
from backbone.envelope import new_envelope
from backbone.testing import eventually

from .consuming import ReadsN, consumer, publish, running, stop


async def test_a_dead_letter_is_listed_and_replayed_after_the_fix(pool, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    fixed = asyncio.Event()

    async def handler(conn, event, data: ReadsN) -> None:
        if not fixed.is_set():
            raise RuntimeError("bug in the handler")
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    await publish(nc, owner, 7, aggregate="a/1")
    tasks = running(consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0))
    try:
        letters = await eventually(lambda: read_dead_letters(nc, consumer=owner.name), "a dead letter")
        [letter] = letters
        assert letter.subject == owner.happened.subject
        assert "bug in the handler" in letter.reason
        assert letter.delivery_count == 2

        fixed.set()
        assert await replay(nc, letter.sequence) == owner.happened.subject

        async def handled() -> list:
            async with pool.acquire() as conn:
                return [r["n"] for r in await conn.fetch("SELECT n FROM effects")]

        assert await eventually(handled, "the replayed event handled") == [7]
    finally:
        await stop(tasks)


async def test_replaying_a_number_that_does_not_exist_says_so(nc, owner):
    with pytest.raises(LookupError, match="no dead letter number 999999"):
        await replay(nc, 999_999)


async def test_a_replayed_dead_letter_keeps_its_aggregate_and_original_headers(nc, owner):
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": 1}, aggregate="thing/a7", correlation_id="r-1"
    )
    js = nc.jetstream()
    # As a consumer sets one aside: the original message with why it could not be handled.
    stored = await js.publish(
        f"deadletter.{owner.name}.{owner.name}",
        env.to_json(),
        headers={
            "Nats-Msg-Id": f"{owner.name}:dl:1",
            "Aggregate": "thing/a7",
            "X-Request-ID": "r-1",
            "Content-Type": "application/cloudevents+json",
            "Dead-Letter-Reason": "bug",
            "Dead-Letter-Subject": owner.happened.subject,
            "Dead-Letter-Consumer": owner.name,
        },
    )
    assert await replay(nc, stored.seq) == owner.happened.subject
    [again] = await _messages_on(nc, owner.stream)
    headers = again.headers or {}
    assert headers["Aggregate"] == "thing/a7"
    assert headers["X-Request-ID"] == "r-1"
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert not [h for h in headers if h.startswith("Dead-Letter-")]


async def test_a_replayed_dead_letter_without_the_header_gets_its_aggregate_from_the_event(nc, owner):
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": 1}, aggregate="thing/a8", correlation_id=None
    )
    stored = await nc.jetstream().publish(
        f"deadletter.{owner.name}.{owner.name}",
        env.to_json(),
        headers={"Dead-Letter-Reason": "bug", "Dead-Letter-Subject": owner.happened.subject},
    )
    await replay(nc, stored.seq)
    [again] = await _messages_on(nc, owner.stream)
    assert (again.headers or {})["Aggregate"] == "thing/a8"


async def _messages_on(nc, stream: str) -> list:
    sub = await nc.jetstream().pull_subscribe(
        "", stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    try:
        return await sub.fetch(10, timeout=2)
    finally:
        await sub.unsubscribe()
