"""What the consumer tests share: a consumer of the test's owner with short waits, publishing as the
relay does, reading the dead letters, and running consumers to a stop that really ends them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from backbone.consumer import Consumer, Handler, Subscription
from backbone.envelope import new_envelope
from backbone.streams import DEAD_LETTER_STREAM

from .conftest import Owner


class ReadsN(BaseModel):
    n: int


def consumer(
    pool: Any, nc: NATS, owner: Owner, handler: Handler, *, subjects: list[str] | None = None, **settings: Any
) -> Consumer:
    """The owner's consumer on its own durable, handling `subjects` (its event type unless said),
    with the short waits of a test; `settings` overrides any of them."""
    return Consumer(
        pool=pool,
        nc=nc,
        service=owner.name,
        durable=owner.name,
        stream=owner.stream,
        subscriptions=[Subscription(s, ReadsN, handler) for s in subjects or [owner.happened.subject]],
        **{"backoff": [0.1], "ack_wait": 5.0, "gap_retry": 0.1, **settings},
    )


async def publish(
    nc: NATS,
    owner: Owner,
    n: Any,
    *,
    subject: str | None = None,
    aggregate: str | None = "thing/1",
    seq: int | None = None,
    event_id: str | None = None,
    msg_id: str | None = None,
) -> str:
    """Publish `{"n": n}` as the relay does (the aggregate in a header, with `seq` its number in the
    envelope) on the owner's event type or `subject`; returns the event id.

    `event_id` and `msg_id` make copies: the same event again, past JetStream's de-duplication.
    """
    subject = subject or owner.happened.subject
    env = new_envelope(subject=subject, source="/t", data={"n": n}, aggregate=aggregate, correlation_id=None)
    changes: dict[str, Any] = {"id": event_id} if event_id else {}
    if seq is not None:
        changes["aggregateseq"] = seq
    env = env.model_copy(update=changes)
    headers = {"Nats-Msg-Id": msg_id or env.id}
    if aggregate is not None:
        headers["Aggregate"] = aggregate
    await nc.jetstream().publish(subject, env.to_json(), headers=headers)
    return env.id


async def dead_letters(nc: NATS, owner: Owner) -> list[Any]:
    """The dead letters of the owner's consumer so far, oldest first."""
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


def running(*consumers: Consumer) -> list[asyncio.Task[None]]:
    """The consumers started, each in a task of its own; end them with `stop`."""
    return [asyncio.create_task(c.run(), name=f"consumer {c.durable}") for c in consumers]


async def stop(tasks: Iterable[asyncio.Task[Any]], *, timeout: float = 15.0) -> None:
    """Cancel the tasks until each has ended, and raise what any of them failed with.

    One cancellation is not always enough: nats-py's fetch can swallow it as its wait completes
    (see backbone.consumer._raise_if_cancelling). A task left running would hang the test until
    pytest's timeout; this says so within `timeout` instead.
    """
    tasks = list(tasks)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = {t for t in tasks if not t.done()}
    while pending:
        if loop.time() > deadline:
            raise AssertionError(f"{len(pending)} task(s) still running {timeout:g} s after the first cancel")
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise AssertionError(f"{task.get_name()} failed before it was stopped") from task.exception()
