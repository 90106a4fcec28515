"""This machine's ceilings, measured against the stack's own PostgreSQL and NATS.

Each is the simplest thing the pipeline has to do once per meeting, done as fast as it goes:
- a PostgreSQL transaction inserting a row and an outbox row, at concurrency 16 (what the
  meetings API does per request, without HTTP);
- JetStream publish in batches, awaiting every ack (what the outbox relay does);
- JetStream pull-consume with an explicit ack per message (what every consumer does).
They use a scratch database and a scratch stream, and leave the services' own untouched.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from backbone.db import create_pool
from backbone.envelope import CONTENT_TYPE, new_envelope
from backbone.migrations import backbone_migrations, ensure_database, migrate
from backbone.queries import Queries
from backbone.relay import _encode
from backbone.settings import ServiceSettings

q = Queries(Path(__file__).parent / "sql")

SCRATCH_DATABASE = "bench_ceiling"
SCRATCH_STREAM = "BENCH_CEILING"
SCRATCH_SUBJECT = "benchceiling.meeting.scheduled.v1"
SUBJECT = "meetings.meeting.scheduled.v1"
PUBLISH_BATCH = 256  # the outbox relay's default batch size
FETCH_BATCH = 256
WARMUP_SECONDS = 1.0


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def sample_envelope(n: int) -> dict[str, Any]:
    """An envelope the size and shape of `meetings.meeting.scheduled.v1` with one invitee."""
    meeting_id = str(uuid.uuid4())
    env = new_envelope(
        subject=SUBJECT,
        source="/meetings",
        data={
            "meeting_id": meeting_id,
            "title": f"Takmöte {n}",
            "group_name": "Gemensam utvecklingsgrupp",
            "starts_at": "2027-01-04T12:30:00Z",
            "ends_at": "2027-01-04T14:30:00Z",
            "timezone": ServiceSettings.model_fields["timezone"].default,
            "place": "Bryggan",
            "invitees": [{"name": f"Deltagare {n}", "email": f"tak-{n}@example.se"}],
        },
        aggregate=f"meeting/{meeting_id}",
        correlation_id=uuid.uuid4().hex,
    )
    return env.model_dump(mode="json", exclude_none=True)


async def postgres_outbox_transactions(
    dsn: str, *, seconds: float, concurrency: int = 16
) -> Rate:
    """Transactions per second, each inserting a row plus an outbox row, from `concurrency` clients."""
    await ensure_database(dsn)
    await migrate(dsn, backbone_migrations())
    pool = await create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        async with pool.acquire() as conn:
            await conn.execute(q.create_items.sql)
        done = 0
        stop = asyncio.Event()

        async def client(conn: asyncpg.Connection) -> None:
            nonlocal done
            n = 0
            while not stop.is_set():
                env = sample_envelope(n)
                async with conn.transaction():
                    await conn.execute(q.insert_item.sql, uuid.uuid4(), env["data"]["title"])
                    await conn.execute(q.insert_outbox_row.sql, uuid.UUID(str(env["id"])), SUBJECT,
                                       env["subject"], env)
                done += 1
                n += 1

        async def one(_: int) -> None:
            async with pool.acquire() as conn:
                await client(conn)

        return await _measure(lambda: done, [one(i) for i in range(concurrency)], stop, seconds)
    finally:
        await pool.close()


async def jetstream_publish_and_consume(nats_url: str, *, seconds: float) -> tuple[Rate, Rate]:
    """Batched publish with acks on a file-storage stream, then pull-consume with ack of the same."""
    nc = await nats.connect(nats_url, name="bench-ceiling")
    js = nc.jetstream()
    try:
        await js.add_stream(
            StreamConfig(
                name=SCRATCH_STREAM,
                subjects=["benchceiling.>"],
                storage=StorageType.FILE,
                duplicate_window=600.0,  # as the services' streams: every publish carries Nats-Msg-Id
            )
        )
        payloads = [_encode(sample_envelope(n)) for n in range(PUBLISH_BATCH)]
        published = 0
        stop = asyncio.Event()

        async def publisher() -> None:
            nonlocal published
            while not stop.is_set():
                futures = [
                    await js.publish_async(
                        SCRATCH_SUBJECT,
                        payload,
                        headers={"Nats-Msg-Id": str(uuid.uuid4()), "Content-Type": CONTENT_TYPE},
                    )
                    for payload in payloads
                ]
                await asyncio.gather(*futures)
                published += len(futures)

        publish = await _measure(lambda: published, [publisher()], stop, seconds)

        consumed = 0
        stop = asyncio.Event()

        async def consumer() -> None:
            nonlocal consumed
            passes = 0
            # A stream holds only a few seconds of publishing, far less than a consumer can read in
            # `seconds`, so read it again with a fresh durable consumer until the time is up.
            while not stop.is_set():
                passes += 1
                durable = f"ceiling{passes}"
                await js.add_consumer(
                    SCRATCH_STREAM,
                    ConsumerConfig(durable_name=durable, deliver_policy=DeliverPolicy.ALL,
                                   ack_policy=AckPolicy.EXPLICIT, max_ack_pending=FETCH_BATCH * 4),
                )
                psub = await js.pull_subscribe_bind(durable=durable, stream=SCRATCH_STREAM)
                left = published
                while left > 0 and not stop.is_set():
                    try:
                        msgs = await psub.fetch(FETCH_BATCH, timeout=1.0)
                    except TimeoutError:
                        break
                    for msg in msgs:
                        await msg.ack()
                        consumed += 1
                    left -= len(msgs)
                await psub.unsubscribe()
                await js.delete_consumer(SCRATCH_STREAM, durable)

        consume = await _measure(lambda: consumed, [consumer()], stop, seconds)
        return publish, consume
    finally:
        try:
            await js.delete_stream(SCRATCH_STREAM)
        finally:
            await nc.close()


async def _measure(
    count: Callable[[], int], workers: list[Coroutine[Any, Any, None]], stop: asyncio.Event, seconds: float
) -> Rate:
    """Run `workers`, skip a warm-up second, count what completes in the next `seconds`."""
    tasks = [asyncio.create_task(w) for w in workers]
    try:
        await _sleep_or_fail(WARMUP_SECONDS, tasks)
        start, first = time.perf_counter(), count()
        await _sleep_or_fail(seconds, tasks)
        end, last = time.perf_counter(), count()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Rate(count=last - first, seconds=end - start)


async def _sleep_or_fail(seconds: float, tasks: list[asyncio.Task[None]]) -> None:
    """Sleep, but raise at once if a worker failed (a ceiling from a broken client means nothing)."""
    done, _ = await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        exc = task.exception()
        if exc is not None:
            raise RuntimeError(f"A ceiling client failed: {exc!r}") from exc
