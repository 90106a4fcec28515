"""A rolling deploy: two versions of a consumer on one durable, side by side, lose and double nothing."""

import asyncio

from pydantic import BaseModel

from backbone.consumer import Consumer, Subscription
from backbone.contracts import event_type
from backbone.envelope import new_envelope
from backbone.testing import eventually

from .conftest import Happened


class ReadsN(BaseModel):
    n: int


async def test_two_versions_side_by_side_handle_every_event_once_and_ack_none_unhandled(pool, nc, owner):
    older = owner.happened
    newer = event_type(f"{owner.name}.thing.noticed.v1", Happened, aggregate="thing", description="new")
    handled: list[tuple[str, str, int]] = []

    def recorder(version: str):
        async def record(conn, event, data: ReadsN) -> None:
            handled.append((version, event.type, data.n))

        return record

    def version(name: str, subjects: list[str]) -> Consumer:
        return Consumer(
            pool=pool,
            nc=nc,
            service=owner.name,
            durable=owner.name,
            stream=owner.stream,
            subscriptions=[Subscription(s, ReadsN, recorder(name)) for s in subjects],
            batch_size=4,
            backoff=[0.1],
            ack_wait=5.0,
            unhandled_retry=0.1,
        )

    new = version("new", [older.subject, newer.subject])
    old = version("old", [older.subject])
    # The durable as an older release made it: only the subjects it handled.
    await nc.jetstream().add_consumer(owner.stream, old.config([older.subject]))
    await new.ensure()
    await old.ensure()  # an old replica restarting after the new one must not narrow the durable
    info = await nc.jetstream().consumer_info(owner.stream, owner.name)
    assert info.config.filter_subjects == [f"{owner.name}.>"], "the publisher's whole subject space"

    for n in range(20):
        subject = older.subject if n % 2 else newer.subject
        env = new_envelope(subject=subject, source="/t", data={"n": n}, aggregate=None, correlation_id=None)
        await nc.jetstream().publish(subject, env.to_json(), headers={"Nats-Msg-Id": env.id})
    tasks = [asyncio.create_task(c.run()) for c in (old, new)]
    await eventually(lambda: len(handled) >= 20, "twenty events handled", timeout=30)
    await asyncio.sleep(0.5)  # time for anything acked unhandled or handled twice to show
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    assert sorted(n for _, _, n in handled) == list(range(20)), "every event handled exactly once"
    assert all(v == "new" for v, t, _ in handled if t.endswith(newer.subject)), "old has no handler for it"
    info = await nc.jetstream().consumer_info(owner.stream, owner.name)
    assert info.num_pending == 0
    assert info.num_ack_pending == 0


async def _dead_letters(nc, owner) -> list:
    from nats.js.api import ConsumerConfig, DeliverPolicy

    from backbone.streams import DEAD_LETTER_STREAM

    sub = await nc.jetstream().pull_subscribe(
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


async def test_messages_no_version_handles_cannot_stall_the_consumer_and_end_as_dead_letters(pool, nc, owner):
    # A nak'ed message keeps its place among the durable's max_ack_pending until it is acked: more
    # of them than that would stop every delivery, however short their delay.
    unknown = f"{owner.name}.thing.renamed.v1"
    handled: list[int] = []

    async def record(conn, event, data: ReadsN) -> None:
        handled.append(data.n)

    consumer = Consumer(
        pool=pool,
        nc=nc,
        service=owner.name,
        durable=owner.name,
        stream=owner.stream,
        subscriptions=[Subscription(owner.happened.subject, ReadsN, record)],
        batch_size=2,
        max_ack_pending=3,
        backoff=[0.1],
        ack_wait=5.0,
        unhandled_retry=0.1,
        unhandled_give_up=1.0,
    )
    for n in range(5):
        env = new_envelope(subject=unknown, source="/t", data={"n": n}, aggregate=None, correlation_id=None)
        await nc.jetstream().publish(unknown, env.to_json(), headers={"Nats-Msg-Id": env.id})
    env = new_envelope(
        subject=owner.happened.subject, source="/t", data={"n": 99}, aggregate=None, correlation_id=None
    )
    await nc.jetstream().publish(owner.happened.subject, env.to_json(), headers={"Nats-Msg-Id": env.id})
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: handled == [99], "the event handled behind the unknown ones", timeout=20)

        async def five_dead_letters() -> list:
            dead = await _dead_letters(nc, owner)
            return dead if len(dead) == 5 else []

        dead = await eventually(five_dead_letters, "the unknown ones dead-lettered")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert all("no running version handles this subject" in m.headers["Dead-Letter-Reason"] for m in dead)
    assert {m.headers["Dead-Letter-Subject"] for m in dead} == {unknown}


async def test_a_subject_taken_away_by_an_older_replicas_late_write_is_added_again(pool, nc, owner):
    """Two versions start together: the older one read the durable before the newer one widened it
    and writes its own subjects after, over the newer one's (each read back its own write once)."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    newer = event_type(f"{owner.name}.thing.noticed.v1", Happened, aggregate="thing", description="new")
    handled: list[int] = []

    async def record(conn, event, data: ReadsN) -> None:
        handled.append(data.n)

    js = nc.jetstream()
    older_version_config = ConsumerConfig(
        durable_name=owner.name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=5.0,
        max_deliver=-1,
        filter_subjects=[owner.happened.subject],
    )
    await js.add_consumer(owner.stream, older_version_config)  # the older one's read saw this
    new = Consumer(
        pool=pool,
        nc=nc,
        service=owner.name,
        durable=owner.name,
        stream=owner.stream,
        subscriptions=[Subscription(s, ReadsN, record) for s in (owner.happened.subject, newer.subject)],
        backoff=[0.1],
        ack_wait=5.0,
    )
    task = asyncio.create_task(new.run())
    try:
        await eventually(lambda: _covers_newer(js, owner, newer.subject), "the newer version widened it")
        await js.add_consumer(owner.stream, older_version_config)  # the older one's late write
        env = new_envelope(
            subject=newer.subject, source="/t", data={"n": 7}, aggregate=None, correlation_id=None
        )
        await js.publish(newer.subject, env.to_json(), headers={"Nats-Msg-Id": env.id})
        await eventually(lambda: handled == [7], "the newer subject's event handled", timeout=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _covers_newer(js, owner, subject: str) -> bool:
    info = await js.consumer_info(owner.stream, owner.name)
    filters = set(info.config.filter_subjects or []) | {info.config.filter_subject}
    return bool(filters & {subject, f"{owner.name}.>"})
