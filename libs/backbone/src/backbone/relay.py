"""The outbox relay: publishes committed outbox rows to JetStream, in order, and marks them published.

It can be killed at any point. A row published but not yet marked is published again on the next
pass; JetStream drops the copy because `Nats-Msg-Id` is the event id, and consumers' inboxes drop
any copy that gets past the duplicate window. Only one relay per service works at a time (an
advisory lock), which keeps the outbox order, and so each aggregate's order, on the stream.

A batch is pipelined, and each message but a batch's first says which message must be last on its
stream before it (`Nats-Expected-Last-Msg-Id`): when one publish fails, JetStream refuses every
later one of the batch instead of storing it ahead of the failed one, and the next pass starts again
at the failed row. A row that can never be published (bigger than the server's max_payload, refused
for good) is set aside, with when and why, so the rows behind it go on; operators see those with
`python -m backbone.deadletters set-aside`. A row the stream refuses for a limit an operator can
change (its max_msg_size, or a full stream, which refuses new messages) is retried instead, with
an error in the log, and the rows behind it wait in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import BadHeaderError, BadSubjectError, MaxPayloadError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import APIError, NotFoundError, TooManyStalledMsgsError

from backbone.correlation import REQUEST_ID_HEADER
from backbone.db import CONNECTION_ERRORS, _init_connection
from backbone.logs import get_logger
from backbone.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, OUTBOX_SET_ASIDE, OUTBOX_SET_ASIDE_ROWS
from backbone.outbox import AGGREGATE_HEADER, OUTBOX_WRITTEN, backlog
from backbone.queries import backbone_queries as q
from backbone.workers import Backoff, LoopHealth, run_forever

log = get_logger(__name__)

_RETRYABLE: tuple[type[Exception], ...] = (*CONNECTION_ERRORS, TimeoutError)
AfterPublish = Callable[[list[int]], Awaitable[None]]
_CLEANUP_EVERY_SECONDS = 600.0
_CLEANUP_BATCH = 5000
_KEEP_PUBLISHED = timedelta(days=7)
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
# JetStream's error codes: the stream's last message is not the one this publish expected.
_WRONG_LAST_MSG_ID = 10070
# Refusals no retry changes: headers over the server's fixed limit (10097). Bigger than the stream's
# max_msg_size (10054) is not among them: that limit is the operator's and may be lowered for a
# while, and setting the row aside would lose the event for good. The relay retries it, and says
# loudly what to do; a message over the server's max_payload is set aside before it is sent.
_REFUSED_FOR_GOOD = frozenset({10097})
_OVER_MAX_MSG_SIZE = 10054

@dataclass(frozen=True)
class SetAsideRow:
    """An outbox row the relay could never publish: its event never reached any consumer."""

    id: int
    event_id: str
    subject: str
    aggregate: str
    size: int
    set_aside_at: datetime
    reason: str


class _Refused(Exception):
    """Publishing this row can never succeed; set it aside."""


class _JetStream(JetStreamContext):
    """JetStreamContext whose publish_async futures also complete when JetStream answers an error.

    nats-py 2.16 raises the error inside its reply callback instead of setting it on the future
    (nats-io/nats.py#985, fix pending in #994), so a refused publish looked like a lost ack: we
    could neither tell "too large for good" from "try again" nor stop at once.
    """

    async def _handle_async_reply(self, msg: Msg) -> None:
        try:
            await super()._handle_async_reply(msg)
        except APIError as exc:
            # The library's own token layout: inbox prefix, ".", a 22-character NUID, ".", token.
            token = msg.subject[len(self._nc._inbox_prefix) + 22 + 2 :]
            future = self._publish_async_futures.get(token)
            if future is not None and not future.done():
                future.set_exception(exc)

    async def publish_async(self, *args: Any, **kwargs: Any) -> asyncio.Future[PubAck]:
        """nats-py takes a pending-ack slot and registers the future before it sends; when the send
        raises (its reconnect buffer full, a subject or header it refuses) nobody ever gets that
        future, and the slot stays taken for the life of the context. Enough of those (a long NATS
        outage) and no slot is ever free again: the relay would stall for good. Cancel it: that
        gives the slot back. (Only the relay's own pass publishes on this context, one at a time, so
        a future that appeared during the call is this call's.)"""
        before = set(self._publish_async_futures)
        try:
            return await super().publish_async(*args, **kwargs)
        except BaseException:
            for token, future in list(self._publish_async_futures.items()):
                if token not in before and not future.done():
                    future.cancel()
            raise


def lock_session_settings(timeout: float) -> dict[str, str]:
    """Server settings for the lock connection: the database ends the session, and so frees the
    lock, once the relay has been silent or unreachable for `timeout` seconds.

    idle_session_timeout is what ends it when the leader's host vanished and the link is idle or
    stuck in a frozen middlebox (keepalive probes are answered by whatever still holds the socket);
    tcp_user_timeout ends it when the server's writes go unacknowledged; keepalives cover the rest.
    A live relay's queries are never more than `timeout / 2` apart (see OutboxRelay).
    """
    seconds = max(1, int(timeout))
    return {
        "idle_session_timeout": str(int(timeout * 1000)),
        "tcp_user_timeout": str(int(timeout * 1000)),
        "tcp_keepalives_idle": str(max(1, seconds // 2)),
        "tcp_keepalives_interval": str(max(1, seconds // 6)),
        "tcp_keepalives_count": "3",
    }


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
        lock_timeout: float = 20.0,
        pool: asyncpg.Pool | None = None,
    ) -> None:
        self._dsn = dsn
        # For the cleanup, which must never run on the lock connection (see _maybe_clean); without a
        # pool it opens a connection of its own.
        self._pool = pool
        self._nc = nc
        self._service = service
        self._batch_size = batch_size
        self._lock_timeout = lock_timeout
        # The lock connection must never stay silent as long as the database waits before ending the
        # session, or a healthy leader would lose its lock: bound every wait between two queries
        # (a pass waits at most for one stream lookup and the acks, each a quarter of it).
        self._poll_seconds = min(poll_seconds, lock_timeout / 4)
        self._ack_timeout = min(ack_timeout, lock_timeout / 4)
        self._after_publish = after_publish
        self._lock_key = zlib.crc32(f"relay:{service}".encode())
        self._last_cleanup: float | None = None  # None: never, so the first idle pass cleans
        self._cleanup: asyncio.Task[None] | None = None
        # One context, and so one reply subscription, for the life of the NATS connection.
        self._js: JetStreamContext | None = None
        self._stream_of: dict[str, str] = {}
        self.is_leader = False
        self.is_standing_by = False
        self.backoff = Backoff(0.2, 5.0)
        # A turn: a pass that went through, or a standby's look at the lock (readiness, see Loops).
        self.health = LoopHealth("relay")

    async def run(self) -> None:
        """Relay until cancelled, reconnecting to PostgreSQL and NATS as often as it takes.

        `_lead` returns only by raising, so run_forever never resets the back-off itself: `_lead`
        resets it after each pass that went through, so only failures in a row (nothing relayed
        between them) wait longer, up to 5 s.
        """
        await run_forever(
            self._lead, name="relay", backoff=self.backoff, expected=_RETRYABLE, health=self.health
        )

    async def connect_for_lock(self) -> asyncpg.Connection:
        """A connection that gives its advisory lock up within `lock_timeout` of its peer vanishing.

        Every query on it times out after a quarter of that, so a leader that cannot reach the
        database steps down before the database frees its lock for a standby.
        """
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn,
            timeout=min(5.0, self._lock_timeout / 2),
            command_timeout=self._lock_timeout / 4,
            server_settings=lock_session_settings(self._lock_timeout),
        )
        await _init_connection(conn)
        return conn

    async def _lead(self) -> None:
        conn = await self.connect_for_lock()
        try:
            self.is_standing_by = True
            while not await q.try_relay_lock.fetchval(conn, key=self._lock_key):
                self.health.turned()  # standing by is this replica's work while another relays
                await asyncio.sleep(self._poll_seconds)
            self.is_standing_by = False
            self.is_leader = True
            log.info("relay leading", service=self._service)
            # Each pass queries the lock connection: that is also the leader's check that it still
            # holds the lock (a dead session or a frozen link raises, and the leader steps down).
            with OUTBOX_WRITTEN.listen(max_wait=self._poll_seconds) as wake:
                while True:
                    handled = await self.relay_once(conn)
                    # Leading and relaying: the next failure waits the shortest time again. Not on
                    # gaining the lock alone, or a row that fails every pass would retry at once.
                    self.backoff.reset()
                    self.health.turned()
                    if handled < self._batch_size:
                        self._maybe_clean()
                    # Look again at once only after a full batch: a shorter one took all there was,
                    # and a row written meanwhile rings (or the poll finds it).
                    await wake.wait(found_work=handled >= self._batch_size)
        finally:
            self.is_leader = False
            self.is_standing_by = False
            conn.terminate()
            if self._cleanup is not None:
                self._cleanup.cancel()  # only the leader cleans; and its connection goes back now
                await asyncio.gather(self._cleanup, return_exceptions=True)

    def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            self._js = _JetStream(self._nc, timeout=self._ack_timeout)
        return self._js

    async def relay_once(self, conn: asyncpg.Connection) -> int:
        """Publish one batch; returns how many rows it took care of (published or set aside)."""
        rows = await q.pending_outbox_rows.fetch(conn, limit=self._batch_size)
        if not rows:
            OUTBOX_BACKLOG.labels(self._service).set(0)
            return 0
        outcomes = await self._publish(rows)
        # Mark the unbroken run of rows that are done (published, or set aside for good); from the
        # first other failure on, nothing is marked, so the next pass starts there, in order.
        done: list[int] = []
        set_aside: list[tuple[asyncpg.Record, str]] = []
        failure: tuple[asyncpg.Record, BaseException] | None = None
        for row, outcome in zip(rows, outcomes, strict=False):
            if isinstance(outcome, _Refused):
                set_aside.append((row, str(outcome)))
            elif isinstance(outcome, BaseException):
                failure = (row, outcome)
                break
            else:
                done.append(row["id"])
        if self._after_publish is not None:
            await self._after_publish(done)
        if done:
            await q.mark_outbox_published.execute(conn, ids=done)
            OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        if set_aside:
            await self._set_aside(conn, set_aside)
        if failure is not None:
            row, exc = failure
            if _is_wrong_last_msg_id(exc):
                # Something else published on the stream meanwhile (a dead-letter replay, or a
                # former leader): the next pass starts at this row without an expectation.
                self._stream_of.clear()
                log.info("stream moved on under the relay, publishing again", event_id=str(row["event_id"]))
            elif isinstance(exc, APIError) and exc.err_code == _OVER_MAX_MSG_SIZE:
                # Everything behind this row waits, in order, until the stream takes it again.
                log.error(
                    "outbox stalled: the event is bigger than its stream's max_msg_size; raise the "
                    "stream's max_msg_size (nats stream edit) and the relay goes on by itself",
                    event_id=str(row["event_id"]),
                    subject=row["subject"],
                    error=str(exc),
                )
                OUTBOX_BACKLOG.labels(self._service).set(await backlog(conn))
                raise ConnectionError(
                    f"The stream refuses event {row['event_id']} as bigger than its max_msg_size: {exc}"
                ) from exc
            else:
                log.warning("publish failed, will retry", event_id=str(row["event_id"]), error=str(exc))
                raise ConnectionError(f"JetStream did not acknowledge every event: {exc}") from exc
        if len(rows) < self._batch_size:
            OUTBOX_BACKLOG.labels(self._service).set(len(rows) - len(done) - len(set_aside))
        else:
            OUTBOX_BACKLOG.labels(self._service).set(await backlog(conn))
        return len(done) + len(set_aside)

    async def _publish(self, rows: list[asyncpg.Record]) -> list[object]:
        """Pipeline the rows' messages; per row its PubAck, a _Refused, or the error that stopped it."""
        js = self._jetstream()
        sent: list[asyncio.Future[PubAck] | BaseException] = []
        last_on_stream: dict[str, str] = {}
        for row in rows:
            subject = row["subject"]
            event_id = str(row["event_id"])
            headers = {
                "Nats-Msg-Id": event_id,
                "Content-Type": "application/cloudevents+json",
                AGGREGATE_HEADER: row["aggregate"],
            }
            if row["correlationid"]:
                headers[REQUEST_ID_HEADER] = row["correlationid"]
            try:
                stream = await self._stream_for(js, subject)
            except Exception as exc:  # noqa: BLE001 - NATS away: this row and the rest wait
                sent.append(exc)
                break
            if stream is not None and stream in last_on_stream:
                headers[EXPECTED_LAST_MSG_ID] = last_on_stream[stream]
            payload = row["envelope"].encode()
            size = _wire_size(payload, headers)
            if size > self._nc.max_payload:
                sent.append(
                    _Refused(
                        f"The event is {size} bytes as a NATS message, more than the server's "
                        f"max_payload of {self._nc.max_payload} bytes."
                    )
                )
                continue
            try:
                # Never wait for one of nats-py's pending-ack slots (the batch stays far below their
                # number, see settings.relay_batch_size, and every future of a pass is done or
                # cancelled before the next): none free is a stall, a publish to retry. Checked here
                # rather than with wait_stall, which costs a task and a timer per message.
                if js._publish_async_pending_semaphore.locked():
                    raise TooManyStalledMsgsError
                future = await js.publish_async(subject, payload, headers=headers)
            except (MaxPayloadError, BadSubjectError, BadHeaderError) as exc:
                sent.append(_Refused(f"NATS refuses this message: {exc!r}."))
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. not connected: this row and the rest wait
                sent.append(exc)
                break
            if stream is not None:
                last_on_stream[stream] = event_id
            sent.append(future)
        futures = [f for f in sent if isinstance(f, asyncio.Future)]
        if futures:
            # An ack lost in a reconnect would leave its future waiting forever: give up after a
            # while, and publish again (JetStream drops what it already has).
            _, pending = await asyncio.wait(futures, timeout=self._ack_timeout)
            for future in pending:
                future.cancel()
        return [self._outcome(f) if isinstance(f, asyncio.Future) else f for f in sent]

    def _outcome(self, future: asyncio.Future[PubAck]) -> object:
        if future.cancelled():
            return TimeoutError(f"no ack from JetStream within {self._ack_timeout:g} s")
        exc = future.exception()
        if exc is None:
            return future.result()
        if isinstance(exc, APIError) and exc.err_code in _REFUSED_FOR_GOOD:
            return _Refused(f"JetStream refuses this message for good: {exc.description} ({exc.err_code}).")
        return exc

    async def _stream_for(self, js: JetStreamContext, subject: str) -> str | None:
        """The stream that stores `subject`, or None when none does (the publish will say so)."""
        if subject not in self._stream_of:
            try:
                self._stream_of[subject] = await js.find_stream_name_by_subject(subject)
            except NotFoundError:
                return None
        return self._stream_of[subject]

    async def _set_aside(self, conn: asyncpg.Connection, rows: list[tuple[asyncpg.Record, str]]) -> None:
        await q.set_aside_outbox_rows.execute(
            conn, ids=[row["id"] for row, _ in rows], reasons=[reason for _, reason in rows]
        )
        OUTBOX_SET_ASIDE.labels(self._service).inc(len(rows))
        for row, reason in rows:
            log.error(
                "outbox row set aside: it can never be published",
                outbox_id=row["id"],
                event_id=str(row["event_id"]),
                subject=row["subject"],
                reason=reason,
            )
        await self._count_set_aside(conn)

    async def _count_set_aside(self, conn: asyncpg.Connection) -> None:
        count = await q.outbox_set_aside_count.fetchval(conn)
        OUTBOX_SET_ASIDE_ROWS.labels(self._service).set(count)

    def _maybe_clean(self) -> None:
        """Start the cleanup of old published rows, at most every 10 minutes, beside the passes.

        Not on the lock connection and not in the pass: on a large outbox it can take a while, and
        the lock connection's queries time out after a quarter of the lock timeout (and must not go
        quiet for longer than half of it), so the leader would step down, a standby would try at
        once and step down too, and so on.
        """
        if self._cleanup is not None and not self._cleanup.done():
            return
        now = time.monotonic()
        if self._last_cleanup is not None and now - self._last_cleanup < _CLEANUP_EVERY_SECONDS:
            return
        self._last_cleanup = now
        self._cleanup = asyncio.create_task(self._clean_quietly(), name=f"relay-cleanup:{self._service}")

    async def _clean_quietly(self) -> None:
        try:
            await self.clean_published()
        except Exception as exc:  # noqa: BLE001 - the next cleanup, in 10 minutes, tries again
            log.warning("outbox cleanup failed, will try again later", service=self._service, error=str(exc))

    async def clean_published(self) -> None:
        """Delete rows published more than a week ago, a batch at a time, so no statement runs long."""
        async with self._cleanup_connection() as conn:
            # Set-aside rows are never published, so never cleaned: they wait for an operator.
            while True:
                status = await q.delete_published_outbox_rows.execute(
                    conn, older_than=_KEEP_PUBLISHED, batch=_CLEANUP_BATCH
                )
                if int(status.split()[-1]) < _CLEANUP_BATCH:
                    break
            await self._count_set_aside(conn)

    @contextlib.asynccontextmanager
    async def _cleanup_connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is not None:
            async with self._pool.acquire() as conn:
                yield conn
            return
        conn = await asyncpg.connect(self._dsn)
        try:
            await _init_connection(conn)
            yield conn
        finally:
            await conn.close()


async def set_aside_rows(conn: asyncpg.Connection, *, limit: int = 100) -> list[SetAsideRow]:
    """The oldest `limit` rows the relay set aside, for operators."""
    rows = await q.list_set_aside_outbox_rows.fetch(conn, limit=limit)
    return [
        SetAsideRow(
            id=r["id"],
            event_id=str(r["event_id"]),
            subject=r["subject"],
            aggregate=r["aggregate"],
            size=r["size"],
            set_aside_at=r["set_aside_at"],
            reason=r["set_aside_reason"] or "",
        )
        for r in rows
    ]


def _is_wrong_last_msg_id(exc: BaseException) -> bool:
    return isinstance(exc, APIError) and exc.err_code == _WRONG_LAST_MSG_ID


def _wire_size(payload: bytes, headers: Mapping[str, str]) -> int:
    """What the server counts against max_payload: headers as NATS encodes them, plus the payload."""
    header_block = 10 + sum(len(k.encode()) + len(v.encode()) + 4 for k, v in headers.items()) + 2
    return header_block + len(payload)


def _encode(envelope: dict[str, object]) -> bytes:
    """An envelope as compact JSON, as a message's payload (bench/ceilings.py publishes with it; the
    relay itself sends the stored text as it is)."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
