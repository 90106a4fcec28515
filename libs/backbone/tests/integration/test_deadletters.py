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


async def _set_aside(nc, owner, data: bytes, headers: dict[str, str], *, subject: str | None = None,
                     dl_headers: dict[str, str] | None = None) -> tuple[int, int]:
    """As a consumer sets a message aside: the original in its stream, then a dead letter naming it."""
    js = nc.jetstream()
    subject = subject or owner.happened.subject
    original = await js.publish(subject, data, headers=headers)
    letter = await js.publish(
        f"deadletter.{owner.name}.{owner.name}",
        data,
        headers={
            **headers,
            "Dead-Letter-Reason": "bug",
            "Dead-Letter-Subject": subject,
            "Dead-Letter-Consumer": owner.name,
            "Dead-Letter-Stream": owner.stream,
            "Dead-Letter-Stream-Sequence": str(original.seq),
            **(dl_headers or {}),
        },
    )
    return original.seq, letter.seq


async def test_a_replayed_dead_letter_keeps_its_aggregate_and_original_headers(nc, owner):
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": 1}, aggregate="thing/a7", correlation_id="r-1"
    )
    _, seq = await _set_aside(
        nc,
        owner,
        env.to_json(),
        {
            "Nats-Msg-Id": f"{owner.name}:1",
            "Aggregate": "thing/a7",
            "X-Request-ID": "r-1",
            "Content-Type": "application/cloudevents+json",
        },
    )
    assert await replay(nc, seq) == owner.happened.subject
    *_, again = await _messages_on(nc, owner.stream)
    headers = again.headers or {}
    assert headers["Aggregate"] == "thing/a7"
    assert headers["X-Request-ID"] == "r-1"
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert not [h for h in headers if h.startswith("Dead-Letter-")]


async def test_a_replayed_dead_letter_without_the_header_gets_its_aggregate_from_the_event(nc, owner):
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": 1}, aggregate="thing/a8", correlation_id=None
    )
    _, seq = await _set_aside(nc, owner, env.to_json(), {})
    await replay(nc, seq)
    *_, again = await _messages_on(nc, owner.stream)
    assert (again.headers or {})["Aggregate"] == "thing/a8"


async def test_replay_sends_the_original_from_its_stream_not_what_the_dead_letter_says(nc, owner):
    """Whoever can publish under deadletter.> must not get a forged event sent with ops rights."""
    js = nc.jetstream()
    original, _ = await _set_aside(nc, owner, b'{"n": 1}', {})
    forged = await js.publish(
        f"deadletter.{owner.name}.{owner.name}",
        b'{"n": 666}',
        headers={
            "Dead-Letter-Subject": owner.happened.subject,
            "Dead-Letter-Stream": owner.stream,
            "Dead-Letter-Stream-Sequence": str(original),
        },
    )
    with pytest.raises(LookupError, match="differs from the original"):
        await replay(nc, forged.seq)


async def test_replay_refuses_a_subject_outside_the_named_stream(nc, owner):
    js = nc.jetstream()
    original, _ = await _set_aside(nc, owner, b'{"n": 1}', {})
    forged = await js.publish(
        f"deadletter.{owner.name}.{owner.name}",
        b'{"n": 1}',
        headers={
            "Dead-Letter-Subject": "other.thing.happened.v1",
            "Dead-Letter-Stream": owner.stream,
            "Dead-Letter-Stream-Sequence": str(original),
        },
    )
    with pytest.raises(LookupError, match="not a subject of stream"):
        await replay(nc, forged.seq)


async def test_replay_refuses_when_the_original_is_gone(nc, owner):
    original, seq = await _set_aside(nc, owner, b'{"n": 1}', {})
    await nc.jetstream().delete_msg(owner.stream, original)
    with pytest.raises(LookupError, match="no longer in stream"):
        await replay(nc, seq)


async def test_replay_refuses_a_dead_letter_that_names_no_original(nc, owner):
    stored = await nc.jetstream().publish(
        f"deadletter.{owner.name}.{owner.name}",
        b'{"n": 1}',
        headers={"Dead-Letter-Reason": "bug", "Dead-Letter-Subject": owner.happened.subject},
    )
    with pytest.raises(LookupError, match="does not say where"):
        await replay(nc, stored.seq)


async def _messages_on(nc, stream: str) -> list:
    sub = await nc.jetstream().pull_subscribe(
        "", stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    try:
        return await sub.fetch(10, timeout=2)
    finally:
        await sub.unsubscribe()
