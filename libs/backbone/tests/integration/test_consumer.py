"""The idempotent consumer: one effect per event, retries with backoff, dead letters with reasons."""

import asyncio
import json
import uuid

import pytest

from backbone.envelope import new_envelope
from backbone.testing import eventually

from .consuming import ReadsN, consumer, dead_letters, publish, running, stop


async def _effects(pool) -> list[int]:
    async with pool.acquire() as conn:
        return [r["n"] for r in await conn.fetch("SELECT n FROM effects ORDER BY seq")]


@pytest.fixture
async def effects_table(pool):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (seq bigserial, n int)")


async def _record(conn, _event, data: ReadsN) -> None:
    await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)


async def test_a_redelivered_event_has_no_second_effect(pool, nc, owner, effects_table):
    event_id = str(uuid.uuid4())
    await publish(nc, owner, 1, event_id=event_id, msg_id="copy-1")
    # The same event again, past JetStream's de-duplication (as after the duplicate window).
    await publish(nc, owner, 1, event_id=event_id, msg_id="copy-2")
    await publish(nc, owner, 2)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _count(pool, 2), "two events handled")
    await asyncio.sleep(0.3)
    await stop(tasks)
    assert await _effects(pool) == [1, 2]


async def _count(pool, n: int) -> bool:
    return len(await _effects(pool)) >= n


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_next_one_is_handled(
    pool, nc, owner, effects_table
):
    await nc.jetstream().publish(
        owner.happened.subject, b"{this is not json", headers={"Nats-Msg-Id": "bad-1"}
    )
    await publish(nc, owner, 41)
    await publish(nc, owner, 42)  # valid envelope ...
    await publish(nc, owner, "not a number", aggregate=None)  # ... but data the handler can't read
    await publish(nc, owner, 43)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _count(pool, 3), "three events handled")
    await stop(tasks)
    assert await _effects(pool) == [41, 42, 43]
    dead = await dead_letters(nc, owner)
    reasons = [m.headers["Dead-Letter-Reason"] for m in dead]
    assert len(dead) == 2
    assert "not JSON" in reasons[0]
    assert "cannot read" in reasons[1]
    assert "n: Input should be a valid integer" in reasons[1]
    assert "not a number" not in reasons[1], "values stay out of reasons and logs; they may be personal data"
    assert dead[0].data == b"{this is not json"
    assert dead[0].headers["Dead-Letter-Subject"] == owner.happened.subject
    assert dead[0].headers["Dead-Letter-Delivery-Count"] == "1"


async def test_an_event_that_arrives_on_a_subject_its_type_does_not_name_is_dead_lettered_not_handled(
    pool, nc, owner, effects_table
):
    # What a NATS reply subject can do (NATS checks publish permissions, not reply subjects): make
    # JetStream deliver a copy of another event, or its own acknowledgement, onto a subject of this
    # stream. The copy is a real event, but not one its publisher sent on this subject.
    other_type = owner.happened.subject.rsplit(".", 1)[0] + "_elsewhere.v1"
    copy = new_envelope(subject=other_type, source="/t", data={"n": 666}, aggregate=None, correlation_id=None)
    await nc.jetstream().publish(owner.happened.subject, copy.to_json(), headers={"Nats-Msg-Id": copy.id})
    await publish(nc, owner, 1)
    tasks = running(consumer(pool, nc, owner, _record))
    await eventually(lambda: _count(pool, 1), "the event after it handled")
    await stop(tasks)
    assert await _effects(pool) == [1], "the copy was not handled"
    [dead] = await dead_letters(nc, owner)
    assert json.loads(dead.data)["id"] == copy.id
    reason = dead.headers["Dead-Letter-Reason"]
    assert owner.happened.subject in reason and other_type in reason, reason


async def test_a_failing_handler_is_retried_and_then_succeeds(pool, nc, owner, effects_table):
    attempts = []

    async def flaky(conn, event, data: ReadsN) -> None:
        attempts.append(data.n)
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)
        if len(attempts) < 3:
            raise RuntimeError("temporary trouble")  # rolls back the insert above

    await publish(nc, owner, 5)
    tasks = running(consumer(pool, nc, owner, flaky))
    await eventually(lambda: _count(pool, 1), "one event handled")
    await stop(tasks)
    assert attempts == [5, 5, 5]
    assert await _effects(pool) == [5]


async def test_a_handler_that_always_fails_is_dead_lettered_after_max_deliver(pool, nc, owner, effects_table):
    async def broken(conn, event, data) -> None:
        raise ValueError("cannot handle this")

    await publish(nc, owner, 9)
    tasks = running(consumer(pool, nc, owner, broken, max_deliver=3))

    async def dead_lettered() -> bool:
        return len(await dead_letters(nc, owner)) == 1

    await eventually(dead_lettered, "the message dead-lettered")
    await stop(tasks)
    [dead] = await dead_letters(nc, owner)
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
        await publish(nc, owner, n, aggregate=f"thing/{n % 3}")
    tasks = running(consumer(pool, nc, owner, slow_and_uneven, concurrency=3))
    await eventually(lambda: _count(pool, 30), "thirty events handled")
    await stop(tasks)
    for k in range(3):
        ns = [n for subject, n in seen if subject == f"thing/{k}"]
        assert ns == sorted(ns), f"thing/{k} was handled out of order: {ns}"
        assert len(ns) == 10
    assert [n for _, n in seen] != list(range(30)), "different aggregates ran side by side"


async def test_restarts_leave_no_pull_subscription_behind(pool, nc, owner, effects_table):
    under_test = consumer(pool, nc, owner, _record)
    tasks = running(under_test)
    await publish(nc, owner, 1)
    await eventually(lambda: _count(pool, 1), "one event handled")
    before = len(nc._subs)
    for n in range(2, 5):
        # Deleting the durable under it makes the loop start again, with a new subscription.
        await nc.jetstream().delete_consumer(owner.stream, owner.name)
        await publish(nc, owner, n)
        await eventually(lambda n=n: _count(pool, n), f"{n} events handled")
    await stop(tasks)
    assert len(nc._subs) <= before, f"{len(nc._subs) - before} subscriptions leaked by restarts"


async def test_a_handler_that_always_times_out_is_dead_lettered(pool, nc, owner, effects_table):
    async def hangs(conn, event, data) -> None:
        await asyncio.sleep(3600)

    await publish(nc, owner, 7)
    tasks = running(consumer(pool, nc, owner, hangs, max_deliver=2, handler_timeout=0.3))

    async def dead_lettered() -> bool:
        return len(await dead_letters(nc, owner)) == 1

    await eventually(dead_lettered, "the message dead-lettered", timeout=20)
    await stop(tasks)
    [dead] = await dead_letters(nc, owner)
    assert "Handler failed 2 times" in dead.headers["Dead-Letter-Reason"]
    assert "took longer than 0.3 s" in dead.headers["Dead-Letter-Reason"]


async def test_the_first_lag_report_goes_out_at_once_even_just_after_boot(
    pool, nc, owner, effects_table, monkeypatch
):
    from prometheus_client import REGISTRY

    import backbone.consumer

    monkeypatch.setattr(backbone.consumer, "monotonic", lambda: 1.0)  # the consumer's clock: just booted
    await publish(nc, owner, 1)
    tasks = running(consumer(pool, nc, owner, _record))
    labels = {"service": owner.name, "consumer": owner.name}
    await eventually(
        lambda: REGISTRY.get_sample_value("consumer_lag", labels) is not None, "the lag metric", timeout=5
    )
    await stop(tasks)


async def test_an_os_error_raised_by_the_handler_is_a_handler_failure_not_a_lost_database(
    pool, nc, owner, effects_table
):
    async def cannot_reach_its_mail_server(conn, event, data) -> None:
        raise ConnectionRefusedError("the handler's own connection was refused")

    await publish(nc, owner, 3)
    tasks = running(consumer(pool, nc, owner, cannot_reach_its_mail_server, max_deliver=2))

    async def dead_lettered() -> list:
        return await dead_letters(nc, owner)

    [dead] = await eventually(dead_lettered, "the message dead-lettered")
    await stop(tasks)
    assert "Handler failed 2 times" in dead.headers["Dead-Letter-Reason"]
    assert "ConnectionRefusedError" in dead.headers["Dead-Letter-Reason"]


async def test_a_dead_letter_keeps_the_original_headers_but_no_nats_ones(pool, nc, owner, effects_table):
    js = nc.jetstream()
    await publish(nc, owner, 1, msg_id="first")
    env = new_envelope(
        subject=owner.happened.subject,
        source="/t",
        data={"n": "x"},
        aggregate="thing/1",
        correlation_id="r-1",
    )
    # As the relay publishes: with the previous message's id expected, which a dead letter must not
    # carry (on DEADLETTER it would be refused).
    headers = {
        "Nats-Msg-Id": env.id,
        "Nats-Expected-Last-Msg-Id": "first",
        "Aggregate": "thing/1",
        "X-Request-ID": "r-1",
        "Content-Type": "application/cloudevents+json",
    }
    await js.publish(owner.happened.subject, env.to_json(), headers=headers)
    tasks = running(consumer(pool, nc, owner, _record))

    async def dead_lettered() -> list:
        return await dead_letters(nc, owner)

    [dead] = await eventually(dead_lettered, "the message dead-lettered")
    await stop(tasks)
    assert dead.headers["Aggregate"] == "thing/1"
    assert dead.headers["X-Request-ID"] == "r-1"
    assert dead.headers["Content-Type"] == "application/cloudevents+json"
    assert "Nats-Expected-Last-Msg-Id" not in dead.headers
    assert "cannot read" in dead.headers["Dead-Letter-Reason"]


async def test_inbox_rows_older_than_the_stream_keeps_messages_are_pruned(pool, nc, owner, effects_table):
    under_test = consumer(pool, nc, owner, _record)
    old, recent, retrying, applied_failure = (str(uuid.uuid4()) for _ in range(4))
    async with pool.acquire() as conn:
        # The stream keeps messages 90 days (the fixture's default): an inbox row older than that can
        # never meet its event again.
        await conn.execute(
            "INSERT INTO inbox (consumer, event_id, subject, handled_at) VALUES"
            " ($1, $2, 's', now() - interval '91 days'), ($1, $3, 's', now() - interval '89 days')",
            under_test.durable,
            old,
            recent,
        )
        await conn.execute(
            "INSERT INTO inbox_aggregate (consumer, aggregate, applied_seq) VALUES ($1, 'thing/1', 5)",
            under_test.durable,
        )
        await conn.execute(
            "INSERT INTO inbox_attempts (consumer, event_id, aggregate, seq, failures, last_error) VALUES"
            " ($1, $2, 'thing/1', 6, 1, 'e'), ($1, $3, 'thing/1', 4, 1, 'e')",
            under_test.durable,
            retrying,
            applied_failure,
        )
    await under_test.prune()
    async with pool.acquire() as conn:
        inbox = {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM inbox")}
        attempts = {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM inbox_attempts")}
        aggregates = await conn.fetchval("SELECT count(*) FROM inbox_aggregate")
    assert inbox == {recent}
    assert attempts == {retrying}, "the failure of an event since applied is forgotten; a retrying one is not"
    assert aggregates == 1, "how far each aggregate was applied is kept"
