"""The outbox relay: publishes committed outbox rows to JetStream, in order, and marks them published.

It can be killed at any point. A row published but not yet marked is published again on the next
pass; JetStream drops the copy because `Nats-Msg-Id` is the event id, and consumers' inboxes drop
any copy that gets past the duplicate window. Only one relay per service works at a time (an
advisory lock), which keeps the outbox order, and so each aggregate's order, on the stream.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
from nats.aio.client import Client as NATS

from backbone.correlation import REQUEST_ID_HEADER
from backbone.db import CONNECTION_ERRORS, _init_connection
from backbone.logs import get_logger
from backbone.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from backbone.outbox import AGGREGATE_HEADER, OUTBOX_WRITTEN

log = get_logger(__name__)

_RETRYABLE: tuple[type[Exception], ...] = (*CONNECTION_ERRORS, TimeoutError)
AfterPublish = Callable[[list[int]], Awaitable[None]]
_CLEANUP_EVERY_SECONDS = 600.0
_KEEP_PUBLISHED = timedelta(days=7)


class OutboxRelay:
    def __init__(
        self,
        *,
        dsn: str,
        nc: NATS,
        service: str,
        batch_size: int = 256,
        poll_seconds: float = 0.25,
        after_publish: AfterPublish | None = None,
        ack_timeout: float = 10.0,
    ) -> None:
        self._dsn = dsn
        self._nc = nc
        self._service = service
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._after_publish = after_publish
        self._ack_timeout = ack_timeout
        self._lock_key = zlib.crc32(f"relay:{service}".encode())
        self._last_cleanup = 0.0
        self.is_leader = False

    async def run(self) -> None:
        """Relay until cancelled, reconnecting to PostgreSQL and NATS as often as it takes."""
        delay = 0.2
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except _RETRYABLE as exc:
                log.warning("relay lost a connection, retrying", error=str(exc))
            except Exception:
                log.exception("relay failed, retrying")
            self.is_leader = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn, timeout=5.0)
        try:
            await _init_connection(conn)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                await asyncio.sleep(self._poll_seconds)  # another replica relays; stand by
            self.is_leader = True
            log.info("relay leading", service=self._service)
            with OUTBOX_WRITTEN.listen(max_wait=self._poll_seconds) as wake:
                while True:
                    published = await self.relay_once(conn)
                    if published < self._batch_size:
                        await self._maybe_clean(conn)
                    await wake.wait(found_work=published > 0)
        finally:
            self.is_leader = False
            conn.terminate()

    async def relay_once(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            """SELECT id, event_id, subject, aggregate, envelope FROM outbox
               WHERE published_at IS NULL ORDER BY id LIMIT $1""",
            self._batch_size,
        )
        if not rows:
            OUTBOX_BACKLOG.labels(self._service).set(0)
            return 0
        js = self._nc.jetstream()
        futures = []
        for row in rows:
            env = row["envelope"]
            headers = {
                "Nats-Msg-Id": str(row["event_id"]),
                "Content-Type": "application/cloudevents+json",
                AGGREGATE_HEADER: row["aggregate"],
            }
            if env.get("correlationid"):
                headers[REQUEST_ID_HEADER] = env["correlationid"]
            payload = _encode(env)
            futures.append(await js.publish_async(row["subject"], payload, headers=headers))
        # An ack lost in a reconnect would leave its future waiting forever: give up after a while,
        # and publish again (JetStream drops what it already has).
        _, pending = await asyncio.wait(futures, timeout=self._ack_timeout)
        for future in pending:
            future.cancel()
        results: list[object] = [
            TimeoutError("no ack from JetStream") if f.cancelled() else (f.exception() or f.result())
            for f in futures
        ]
        # Mark only the unbroken run of acknowledged rows, so a failure is retried in order.
        done: list[int] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("publish failed, will retry", event_id=str(row["event_id"]), error=str(result))
                break
            done.append(row["id"])
        if self._after_publish is not None:
            await self._after_publish(done)
        if done:
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", done)
            OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        if len(done) < len(rows):
            raise ConnectionError("JetStream did not acknowledge every event")
        if len(rows) < self._batch_size:
            OUTBOX_BACKLOG.labels(self._service).set(0)
        else:
            backlog = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            OUTBOX_BACKLOG.labels(self._service).set(backlog)
        return len(done)

    async def _maybe_clean(self, conn: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < _CLEANUP_EVERY_SECONDS:
            return
        self._last_cleanup = now
        await conn.execute("DELETE FROM outbox WHERE published_at < now() - $1::interval", _KEEP_PUBLISHED)


def _encode(envelope: dict[str, object]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
