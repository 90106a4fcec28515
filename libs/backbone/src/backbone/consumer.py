"""The idempotent consumer: durable pull consumer, explicit ack, inbox, bounded redelivery, dead letters.

For each message: read the envelope and the fields the handler needs (or dead-letter it with the
reason), then in one transaction record the event in the inbox and run the handler. A redelivered
event finds its inbox row and has no second effect. A handler that keeps failing is retried with
backoff and then dead-lettered; a lost database or NATS is waited out, never dead-lettered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ValidationError

from backbone.correlation import bind_request_id
from backbone.db import CONNECTION_ERRORS, run_in_transaction
from backbone.envelope import BadEnvelope, Envelope, parse_envelope
from backbone.logs import get_logger
from backbone.metrics import CONSUMER_LAG, DEAD_LETTERS, EVENTS_HANDLED
from backbone.outbox import AGGREGATE_HEADER
from backbone.streams import DEAD_LETTER_PREFIX

log = get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """One subject a consumer handles: the fields it reads (its own model) and its handler."""

    subject: str
    model: type[BaseModel]
    handler: Handler


class Consumer:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        nc: NATS,
        service: str,
        durable: str,
        stream: str,
        subscriptions: list[Subscription],
        batch_size: int = 64,
        max_deliver: int = 5,
        backoff: list[float] | None = None,
        ack_wait: float = 30.0,
        concurrency: int = 8,
    ) -> None:
        if not subscriptions:
            raise ValueError(f"Consumer {durable} has no subscriptions.")
        self._pool = pool
        self._nc = nc
        self._service = service
        self.durable = durable
        self.stream = stream
        self._by_subject = {s.subject: s for s in subscriptions}
        self._batch_size = batch_size
        self._max_deliver = max_deliver
        self._backoff = backoff or [1.0, 5.0, 30.0]
        self._ack_wait = ack_wait
        self._last_lag_check = 0.0
        self._concurrency = concurrency

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            # Redelivery is bounded by us (dead letter after max_deliver handler failures), not by
            # the server, which would silently stop delivering.
            max_deliver=-1,
            max_ack_pending=max(1000, self._batch_size * 4),
            filter_subjects=sorted(self._by_subject),
        )

    async def ensure(self) -> None:
        js = self._nc.jetstream()
        try:
            await js.consumer_info(self.stream, self.durable)
            await js.add_consumer(self.stream, self.config())  # create-or-update on the server
        except NotFoundError:
            await js.add_consumer(self.stream, self.config())

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                await self.ensure()
                js = self._nc.jetstream()
                psub = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
                log.info("consumer started", consumer=self.durable, stream=self.stream)
                delay = 0.2
                while True:
                    try:
                        msgs = await psub.fetch(self._batch_size, timeout=1.0)
                    except TimeoutError:
                        msgs = []
                    await self.handle_batch(msgs)
                    await self._report_lag(psub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS gone, stream gone: wait and start again
                log.warning("consumer interrupted, restarting", consumer=self.durable, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _report_lag(self, psub: Any) -> None:
        now = time.monotonic()
        if now - self._last_lag_check < 5.0:
            return
        self._last_lag_check = now
        try:
            info = await psub.consumer_info()
            CONSUMER_LAG.labels(self._service, self.durable).set(info.num_pending + info.num_ack_pending)
        except Exception:  # noqa: BLE001 - lag is best effort
            pass

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Events about different aggregates run side by side; each aggregate's keep their order."""
        lanes: dict[str, list[Msg]] = {}
        for msg in msgs:
            lanes.setdefault((msg.headers or {}).get(AGGREGATE_HEADER, ""), []).append(msg)
        gate = asyncio.Semaphore(self._concurrency)

        async def run(lane: list[Msg]) -> None:
            async with gate:
                for msg in lane:
                    await self.handle(msg)

        await asyncio.gather(*(run(lane) for lane in lanes.values()))

    async def handle(self, msg: Msg) -> None:
        delivered = msg.metadata.num_delivered
        try:
            env = parse_envelope(msg.data)
        except BadEnvelope as exc:
            await self._dead_letter(msg, f"Not a readable event: {exc}")
            return
        sub = self._by_subject.get(msg.subject)
        if sub is None:
            await msg.ack()  # the filter changed since this was delivered; it is not ours
            return
        try:
            data = sub.model.model_validate(env.data)
        except ValidationError as exc:
            # Field paths and messages only: the input values may be personal data.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(data)'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            await self._dead_letter(msg, f"Event {env.id} has data this consumer cannot read: {problems}")
            return
        bind_request_id(env.correlationid)

        async def work(conn: asyncpg.Connection) -> bool:
            fresh = await conn.fetchval(
                """INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING true""",
                self.durable,
                env.id,
                msg.subject,
            )
            if not fresh:
                return False
            await sub.handler(conn, env, data)
            return True

        try:
            fresh = await run_in_transaction(self._pool, work)
        except CONNECTION_ERRORS as exc:
            # The database is away; that says nothing about the message. Wait and try again.
            log.warning("database unavailable, event will be redelivered", event_id=env.id, error=str(exc))
            await msg.nak(delay=self._delay(delivered))
            return
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            EVENTS_HANDLED.labels(self._service, self.durable, "failed").inc()
            if delivered >= self._max_deliver:
                await self._dead_letter(msg, f"Handler failed {delivered} times; last error: {exc!r}")
            else:
                log.warning(
                    "handler failed, will retry", event_id=env.id, delivered=delivered, error=repr(exc)
                )
                await msg.nak(delay=self._delay(delivered))
            return
        await msg.ack()
        EVENTS_HANDLED.labels(self._service, self.durable, "handled" if fresh else "duplicate").inc()
        log.debug("event handled", event_id=env.id, subject=msg.subject, duplicate=not fresh)

    def _delay(self, delivered: int) -> float:
        return self._backoff[min(max(delivered, 1), len(self._backoff)) - 1]

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        headers = {
            "Nats-Msg-Id": f"{self.durable}:{meta.stream}:{meta.sequence.stream}",
            "Dead-Letter-Reason": reason[:2000],
            "Dead-Letter-Consumer": self.durable,
            "Dead-Letter-Subject": msg.subject,
            "Dead-Letter-Stream": meta.stream,
            "Dead-Letter-Stream-Sequence": str(meta.sequence.stream),
            "Dead-Letter-Delivery-Count": str(meta.num_delivered),
        }
        # Publish before acking: if this fails the message is redelivered, never lost.
        await self._nc.jetstream().publish(
            f"{DEAD_LETTER_PREFIX}.{self._service}.{self.durable}", msg.data, headers=headers
        )
        await msg.ack()
        DEAD_LETTERS.labels(self._service, self.durable).inc()
        log.error(
            "event dead-lettered",
            consumer=self.durable,
            subject=msg.subject,
            stream_sequence=meta.sequence.stream,
            reason=reason[:500],
        )
