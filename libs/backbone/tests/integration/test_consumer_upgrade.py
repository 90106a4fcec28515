"""A rolling deploy: two versions of a consumer on one durable, side by side, lose and double nothing."""

import asyncio

from backbone.consumer import Consumer
from backbone.contracts import event_type
from backbone.testing import eventually

from .conftest import Happened
from .consuming import ReadsN, consumer, dead_letters, publish, running, stop


async def test_two_versions_side_by_side_handle_every_event_once_and_ack_none_unhandled(pool, nc, owner):
    older = owner.happened
    newer = event_type(f"{owner.name}.thing.noticed.v1", Happened, aggregate="thing", description="new")
    handled: list[tuple[str, str, int]] = []

    def recorder(version: str):
        async def record(conn, event, data: ReadsN) -> None:
            handled.append((version, event.type, data.n))

        return record

    def version(name: str, subjects: list[str]) -> Consumer:
        return consumer(
            pool, nc, owner, recorder(name), subjects=subjects, batch_size=4, unhandled_retry=0.1
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
        await publish(nc, owner, n, subject=older.subject if n % 2 else newer.subject, aggregate=None)
    tasks = running(old, new)
    await eventually(lambda: len(handled) >= 20, "twenty events handled", timeout=30)
    await asyncio.sleep(0.5)  # time for anything acked unhandled or handled twice to show
    await stop(tasks)

    assert sorted(n for _, _, n in handled) == list(range(20)), "every event handled exactly once"
    assert all(v == "new" for v, t, _ in handled if t.endswith(newer.subject)), "old has no handler for it"
    info = await nc.jetstream().consumer_info(owner.stream, owner.name)
    assert info.num_pending == 0
    assert info.num_ack_pending == 0


async def test_messages_no_version_handles_cannot_stall_the_consumer_and_end_as_dead_letters(pool, nc, owner):
    # A nak'ed message keeps its place among the durable's max_ack_pending until it is acked: more
    # of them than that would stop every delivery, however short their delay.
    unknown = f"{owner.name}.thing.renamed.v1"
    handled: list[int] = []

    async def record(conn, event, data: ReadsN) -> None:
        handled.append(data.n)

    behind = consumer(
        pool, nc, owner, record, batch_size=2, max_ack_pending=3, unhandled_retry=0.1, unhandled_give_up=1.0
    )
    for n in range(5):
        await publish(nc, owner, n, subject=unknown, aggregate=None)
    await publish(nc, owner, 99, aggregate=None)
    tasks = running(behind)
    try:
        await eventually(lambda: handled == [99], "the event handled behind the unknown ones", timeout=20)

        async def five_dead_letters() -> list:
            dead = await dead_letters(nc, owner)
            return dead if len(dead) == 5 else []

        dead = await eventually(five_dead_letters, "the unknown ones dead-lettered")
    finally:
        await stop(tasks)
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
    new = consumer(pool, nc, owner, record, subjects=[owner.happened.subject, newer.subject])
    tasks = running(new)
    try:
        await eventually(lambda: _covers_newer(js, owner, newer.subject), "the newer version widened it")
        await js.add_consumer(owner.stream, older_version_config)  # the older one's late write
        await publish(nc, owner, 7, subject=newer.subject, aggregate=None)
        await eventually(lambda: handled == [7], "the newer subject's event handled", timeout=20)
    finally:
        await stop(tasks)


async def _covers_newer(js, owner, subject: str) -> bool:
    info = await js.consumer_info(owner.stream, owner.name)
    filters = set(info.config.filter_subjects or []) | {info.config.filter_subject}
    return bool(filters & {subject, f"{owner.name}.>"})
