"""The idempotent consumer: durable pull consumer, explicit ack, inbox, per-aggregate order, dead letters.

For each message: read the envelope, then in one transaction check the event's place in its
aggregate's order and, in its turn, read the fields the handler needs (or dead-letter it with the
reason), record the event in the inbox and run the handler. A redelivered event finds its inbox row
and has no second effect. An event whose predecessor has not been applied yet waits (nak with a
short delay). A subject the consumer deliberately ignores is applied in its turn without a handler,
so the events after it do not wait. A handler that keeps failing (or timing out) is retried with
backoff and then dead-lettered; a lost database or NATS is waited out, never counted. A message on
a subject this process neither handles nor ignores is never acked: it is left for a replica that
has one, with growing waits, and dead-lettered when no version took it for a long time (see
"Upgrading consumers" in docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from time import monotonic
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Gauge
from pydantic import BaseModel, ValidationError

from backbone.correlation import bind_request_id
from backbone.db import CONNECTION_ERRORS, run_in_transaction
from backbone.envelope import BadEnvelope, Envelope, parse_envelope, type_of
from backbone.logs import get_logger
from backbone.metrics import CONSUMER_LAG, DEAD_LETTERS, EVENTS_HANDLED
from backbone.outbox import AGGREGATE_HEADER
from backbone.queries import backbone_queries as q
from backbone.streams import DEAD_LETTER_PREFIX, PROVISION_HINT, NotProvisioned
from backbone.workers import Backoff, LoopHealth, run_forever

log = get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]

# 1 for each subject on a consumer's stream that it reads only in another major version: events it
# will never get. Set at start, so a dashboard shows a v2 nobody reads yet.
UNREAD_VERSIONS = Gauge(
    "consumer_unread_subject_versions",
    "Subjects on the stream that a consumer reads only in another major version",
    ["service", "consumer", "subject"],
)

# How many messages wait acked by nobody: at max_ack_pending the durable delivers nothing more.
ACK_PENDING = Gauge(
    "consumer_ack_pending",
    "Messages delivered to a consumer and not yet acked (waiting ones included)",
    ["service", "consumer"],
)

_SUBJECT_VERSION = re.compile(r"^(?P<base>.+)\.v(?P<major>\d+)$")


@dataclass(frozen=True)
class Subscription:
    """One subject a consumer handles: the fields it reads (its own model) and its handler."""

    subject: str
    model: type[BaseModel]
    handler: Handler


class HandlerTimedOut(Exception):
    """A handler ran past its time: a failure of the handler, counted like any other.

    Deliberately not a TimeoutError, which is an OSError and so would read as "database away".
    """


class _HandlerFailed(Exception):
    """Whatever the handler raised, on a connection still open: the handler's failure, counted.

    A handler's own OSError or ConnectionError (its SMTP server, a file) says nothing about the
    database, so it must not read as "database away" and be retried forever uncounted.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


class _Outcome(enum.Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    HANDLED_AFTER_GAP = "handled_after_gap"
    IGNORED = "ignored"  # a subject this consumer deliberately does not read, applied in its turn
    WAIT = "waiting"
    UNREADABLE = "unreadable"  # its turn, but data the handler cannot read: dead-lettered
    TOO_LATE = "too_late"  # came after its aggregate went on without it: dead-lettered


class _Order(enum.Enum):
    APPLY = "apply"  # in order, or no order to keep: handle it
    LATE = "late"  # at or below what was applied: a copy, or one that came after its turn
    REPLAY = "replay"  # at or below what was applied, but dead-lettered and now replayed
    WAIT = "wait"  # an earlier event of its aggregate has not been applied yet
    SKIP_GAP = "skip_gap"  # waited long enough for an earlier event that never came: go on


@dataclass(frozen=True)
class _Place:
    """Where an event stands in its aggregate's order, for this consumer."""

    order: _Order
    applied: int = 0


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
        ignored: Iterable[str] = (),
        batch_size: int = 64,
        max_deliver: int = 5,
        backoff: list[float] | None = None,
        ack_wait: float = 30.0,
        concurrency: int = 8,
        handler_timeout: float | None = None,
        gap_retry: float = 1.0,
        gap_timeout: float = 300.0,
        unhandled_retry: float = 5.0,
        unhandled_retry_most: float = 300.0,
        unhandled_give_up: float = 3600.0,
        max_ack_pending: int = 10_000,
        manage: bool = True,
    ) -> None:
        if not subscriptions:
            raise ValueError(f"Consumer {durable} has no subscriptions.")
        self._ignored = frozenset(ignored)
        if both := self._ignored & {s.subject for s in subscriptions}:
            raise ValueError(f"Consumer {durable} both handles and ignores {sorted(both)}; choose one.")
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
        # A handler still running when the ack wait ends gets its message delivered a second time
        # alongside it: stop it before that.
        self._handler_timeout = handler_timeout if handler_timeout is not None else ack_wait * 0.8
        if self._handler_timeout >= ack_wait:
            raise ValueError(
                f"Consumer {durable}: handler_timeout ({self._handler_timeout}s) must be shorter than"
                f" ack_wait ({ack_wait}s), or a slow handler's message is delivered again while it runs."
            )
        # A turn that starts within this of the fetch needs no in-progress to keep the handler inside
        # the ack wait: it still has more than handler_timeout plus this left for its commit and ack.
        self._in_progress_after = (ack_wait - self._handler_timeout) / 2
        self._gap_retry = gap_retry
        self._gap_timeout = gap_timeout
        self._unhandled_retry = unhandled_retry
        self._unhandled_retry_most = max(unhandled_retry_most, unhandled_retry)
        self._unhandled_give_up = unhandled_give_up
        self._max_ack_pending = max(max_ack_pending, batch_size)
        # Held on the aggregate's row lock at most this long; then the event waits its turn again.
        self._lock_timeout = min(5.0, ack_wait / 4)
        self._last_lag_check: float | None = None  # None: never, so the first report goes at once
        self._last_prune: float | None = None
        self._concurrency = concurrency
        # False: the durable is made by the provisioning step, and this only checks it (see ensure).
        self._manage = manage
        # A turn: a batch handled, or JetStream answering the consumer's periodic look at its durable.
        # Not an empty fetch alone: with NATS away that times out just the same.
        self.health = LoopHealth(f"consumer:{durable}:{stream}")

    @property
    def subjects(self) -> list[str]:
        return sorted(self._by_subject)

    @property
    def filters(self) -> list[str]:
        """The publisher's whole subject space (`meetings.>`), not only the subjects we handle.

        An aggregate's sequence numbers run across all of its publisher's subjects: a consumer that
        received only its own would see every event it does not read as a gap, and wait for it.
        """
        return sorted({subject.split(".", 1)[0] + ".>" for subject in self._by_subject})

    def config(
        self, filter_subjects: list[str] | None = None, *, max_ack_pending: int = 0
    ) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            # Redelivery is bounded by us (dead letter after max_deliver handler failures), not by
            # the server, which would silently stop delivering.
            max_deliver=-1,
            # A nak'ed message keeps its place here until acked: events waiting for their turn, or
            # for a version that reads them, must never fill it (it would stop every delivery).
            max_ack_pending=max(self._max_ack_pending, max_ack_pending),
            filter_subjects=filter_subjects or self.filters,
        )

    async def ensure(self) -> None:
        """Create the durable, or widen its subjects to include ours; never narrow them.

        Replicas of two versions share the durable during a rolling deploy: an older one starting
        again must not take away a subject a newer one added (its events would wait unseen). Two
        starting together can still each write over the other's read, so the consumer checks again
        every few seconds while it runs (see `_every_few_seconds`).

        Not managing (`manage` False), it writes nothing: the durable must exist as a pull consumer
        whose subjects cover ours, or NotProvisioned says what to run.
        """
        js = self._nc.jetstream()
        if not self._manage:
            await self._check_provisioned()
            return
        for _ in range(5):
            try:
                info = await js.consumer_info(self.stream, self.durable)
            except NotFoundError:
                await js.add_consumer(self.stream, self.config())
                continue  # read it back: another replica may have created it at the same moment
            current = _filters_of(info.config)
            if self._covered_by(current) and (info.config.max_ack_pending or 0) >= self._max_ack_pending:
                await self._warn_of_other_versions(sorted(current))
                return
            # JetStream refuses filters that overlap: ours replace the ones they cover.
            kept = {f for f in current if not any(filter_covers(ours, f) for ours in self.filters)}
            # Read again after writing: two replicas widening at once may each write only their own.
            # An operator's higher max_ack_pending stays.
            config = self.config(
                sorted(kept | set(self.filters)), max_ack_pending=info.config.max_ack_pending or 0
            )
            await js.add_consumer(self.stream, config)
        raise RuntimeError(
            f"Could not add {self.filters} to the subjects of consumer {self.durable} on {self.stream}:"
            " other replicas kept changing it. Start again; if it persists, look at the consumer"
            " with `nats consumer info`."
        )

    async def _check_provisioned(self) -> None:
        where = f"The durable consumer {self.durable} on {self.stream}"
        try:
            info = await self._nc.jetstream().consumer_info(self.stream, self.durable)
        except NotFoundError:
            raise NotProvisioned(f"{where} does not exist. {PROVISION_HINT}") from None
        if info.config.deliver_subject:
            # A push consumer sends every message to a subject anyone allowed may read.
            raise NotProvisioned(
                f"{where} is a push consumer (deliver subject {info.config.deliver_subject}); it must "
                f"be a pull consumer. Delete it and provision again. {PROVISION_HINT}"
            )
        if not self._covered_by(_filters_of(info.config)):
            raise NotProvisioned(
                f"{where} does not cover {self.filters} (it has {sorted(_filters_of(info.config))}). "
                + PROVISION_HINT
            )

    def _covered_by(self, current: set[str]) -> bool:
        return all(any(filter_covers(f, ours) for f in current) for ours in self.filters)

    async def _warn_of_other_versions(self, durable_subjects: list[str]) -> None:
        """Say so when the stream carries a major version of a subject we read only in another one."""
        try:
            info = await self._nc.jetstream().stream_info(self.stream, subjects_filter=">")
            on_stream = set((info.state.subjects or {}).keys())
        except Exception:  # noqa: BLE001 - a warning is best effort; never stop a consumer for it
            return
        for subject, base, major in other_versions(self.subjects, on_stream):
            UNREAD_VERSIONS.labels(self._service, self.durable, subject).set(1)
            log.warning(
                "stream carries a version of a subject this consumer does not read",
                consumer=self.durable,
                subject=subject,
                reads=[s for s in self.subjects if s.startswith(base + ".v")],
                major=major,
            )

    async def run(self) -> None:
        """Consume until cancelled; NATS or the stream gone: wait and start again, as often as it takes."""
        backoff = Backoff(0.2, 5.0)

        async def consume() -> None:
            psub: Any = None
            try:
                await self.ensure()
                js = self._nc.jetstream()
                psub = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
                log.info("consumer started", consumer=self.durable, stream=self.stream)
                backoff.reset()
                while True:
                    try:
                        msgs = await psub.fetch(self._batch_size, timeout=1.0)
                    except TimeoutError:
                        msgs = []
                    _raise_if_cancelling()
                    await self.handle_batch(msgs)
                    if msgs:
                        self.health.turned()
                    if await self._every_few_seconds(psub):
                        self.health.turned()
            finally:
                # Each start makes a new subscription (and its inbox); drop the old one, or every
                # restart leaves one more behind on the connection.
                if psub is not None:
                    with contextlib.suppress(Exception):
                        await psub.unsubscribe()

        await run_forever(
            consume,
            name=self.health.name,
            backoff=backoff,
            expected=(Exception,),
            health=self.health,
        )

    async def _every_few_seconds(self, psub: Any) -> bool:
        """Report the lag, put back our subjects if another version's write took them away, prune.

        True when it looked and JetStream answered: a turn of the loop even when nothing arrives.
        """
        now = monotonic()
        if self._last_lag_check is not None and now - self._last_lag_check < 5.0:
            return False
        self._last_lag_check = now
        try:
            info = await psub.consumer_info()
        except Exception as exc:  # noqa: BLE001 - lag is best effort; readiness hears of it
            self.health.failed(f"JetStream did not answer for the durable: {exc!r}")
            return False
        CONSUMER_LAG.labels(self._service, self.durable).set(info.num_pending + info.num_ack_pending)
        ACK_PENDING.labels(self._service, self.durable).set(info.num_ack_pending)
        if not self._covered_by(_filters_of(info.config)):
            # Not managing, ensure raises NotProvisioned and the consumer waits for provisioning.
            log.warning("another version's write took our subjects off the durable; adding them again",
                        consumer=self.durable, subjects=self.filters, managed=self._manage)
            await self.ensure()
        if self._last_prune is None or now - self._last_prune >= 3600.0:
            self._last_prune = now
            try:
                await self.prune()
            except Exception:  # pruning is housekeeping; it tries again in an hour
                log.warning("could not prune the inbox", consumer=self.durable, exc_info=True)
        return True

    async def prune(self) -> None:
        """Forget inbox rows the stream can no longer redeliver, and the failures of applied events.

        A message stays on the stream at most its max_age, so an inbox row older than that can never
        meet its event again. How far each aggregate was applied (`inbox_aggregate`) is kept, and so
        are the marks of dead letters (a replay needs them).
        """
        info = await self._nc.jetstream().stream_info(self.stream)
        max_age = float(info.config.max_age or 0)
        async with self._pool.acquire() as conn:
            if max_age > 0:
                await q.prune_inbox.execute(conn, consumer=self.durable, older_than_seconds=max_age)
            await q.prune_inbox_attempts.execute(conn, consumer=self.durable)

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Events about different aggregates run side by side; each aggregate's keep their order."""
        received = monotonic()
        lanes: dict[str, list[Msg]] = {}
        for msg in msgs:
            lanes.setdefault((msg.headers or {}).get(AGGREGATE_HEADER, ""), []).append(msg)
        gate = asyncio.Semaphore(self._concurrency)

        async def run(lane: list[Msg]) -> None:
            async with gate:
                for msg in lane:
                    await self.handle(msg, received=received)

        await asyncio.gather(*(run(lane) for lane in lanes.values()))

    async def handle(self, msg: Msg, *, received: float | None = None) -> None:
        """Handle one message; `received` is when it was fetched (monotonic), if known."""
        try:
            env = parse_envelope(msg.data)
        except BadEnvelope as exc:
            await self._dead_letter(msg, f"Not a readable event: {exc}")
            return
        if env.type != type_of(msg.subject):
            # Its publisher sends each event on the subject its type names, and only under its own
            # prefix (NATS authorization). One found elsewhere came another way: a reply subject,
            # which NATS does not check against permissions, can have JetStream put a copy of an
            # event another service may read, or its own acknowledgement, on any subject.
            await self._dead_letter(
                msg,
                f"An event of type {env.type} arrived on {msg.subject}, a subject its type does not name:"
                " not sent there by its publisher, so not handled.",
            )
            return
        sub = self._by_subject.get(msg.subject)
        if sub is None and msg.subject not in self._ignored:
            await self._left_for_another_version(msg, env)
            return
        bind_request_id(env.correlationid)
        ordered = env.subject is not None and env.aggregateseq is not None
        unreadable: list[str] = []  # why its data cannot be read, when that is the outcome

        async def work(conn: asyncpg.Connection) -> _Outcome:
            place = await self._place(conn, env) if ordered else _Place(_Order.APPLY)
            if place.order is _Order.WAIT:
                return _Outcome.WAIT
            if place.order is _Order.LATE:
                if sub is None:
                    return _Outcome.IGNORED
                if await q.inbox_has_event.fetchval(conn, consumer=self.durable, event_id=env.id):
                    return _Outcome.DUPLICATE
                return _Outcome.TOO_LATE
            if sub is None:
                # Ignored on purpose: applied in its turn without a handler, so the next one goes on.
                if ordered and place.order is not _Order.REPLAY:
                    await self._mark_applied(conn, env)
                self._log_place(place, env)
                return _Outcome.IGNORED
            # Read its data only in its turn: dead-lettering it earlier would count it as applied
            # and skip the earlier events of its aggregate still being retried.
            try:
                data = sub.model.model_validate(env.data)
            except ValidationError as exc:
                unreadable.append(_problems(exc))
                return _Outcome.UNREADABLE
            # Its turn starts now, maybe after a wait for the row lock or for the events before it in
            # its lane: the handler gets a full ack wait. Not needed (a NATS message saved) when the
            # turn starts soon after the fetch: the ack wait left still covers the handler's time.
            if received is None or monotonic() - received > self._in_progress_after:
                with contextlib.suppress(Exception):
                    await msg.in_progress()
            # The inbox row, the aggregate's mark and forgetting the failures go first, in one round
            # trip: all of it is rolled back with the handler's work if the handler fails.
            fresh = await q.apply_inbox_event.fetchval(
                conn,
                consumer=self.durable,
                event_id=env.id,
                subject=msg.subject,
                mark=ordered and place.order is not _Order.REPLAY,
                aggregate=env.subject,
                seq=env.aggregateseq,
            )
            if fresh:
                await self._run_handler(conn, sub, env, data)
            self._log_place(place, env)
            if not fresh:
                return _Outcome.DUPLICATE
            return _Outcome.HANDLED_AFTER_GAP if place.order is _Order.SKIP_GAP else _Outcome.HANDLED

        try:
            outcome = await run_in_transaction(self._pool, work)
        except _HandlerFailed as exc:
            await self._failed(msg, env, exc.error)
            return
        except asyncpg.exceptions.LockNotAvailableError:
            # Another replica holds this aggregate (a slow handler): wait for the turn, uncounted.
            EVENTS_HANDLED.labels(self._service, self.durable, _Outcome.WAIT.value).inc()
            await msg.nak(delay=self._gap_retry)
            return
        except CONNECTION_ERRORS as exc:
            # The database is away; that says nothing about the message. Wait and try again, uncounted.
            log.warning("database unavailable, event will be redelivered", event_id=env.id, error=str(exc))
            await msg.nak(delay=self._backoff[0])
            return
        except Exception as exc:  # noqa: BLE001 - a failure of our own queries is retried like a handler's
            await self._failed(msg, env, exc)
            return
        if outcome is _Outcome.WAIT:
            EVENTS_HANDLED.labels(self._service, self.durable, outcome.value).inc()
            await msg.nak(delay=self._gap_retry)
            return
        if outcome is _Outcome.UNREADABLE:
            await self._dead_letter(
                msg, f"Event {env.id} has data this consumer cannot read: {unreadable[0]}", env=env
            )
            return
        if outcome is _Outcome.TOO_LATE:
            # Applying it now would undo the later events of its aggregate; an operator decides.
            await self._dead_letter(
                msg,
                f"Event {env.id} (number {env.aggregateseq} of {env.subject}) came after later events of"
                " its aggregate were applied: the consumer had stopped waiting for it. Replay it only if"
                " applying it after them is right.",
                env=env,
                advance=False,
            )
            return
        await msg.ack()
        EVENTS_HANDLED.labels(self._service, self.durable, outcome.value).inc()
        log.debug("event handled", event_id=env.id, subject=msg.subject, outcome=outcome.value)

    async def _run_handler(
        self, conn: asyncpg.Connection, sub: Subscription, env: Envelope, data: Any
    ) -> None:
        deadline = asyncio.timeout(self._handler_timeout)
        try:
            async with deadline:
                await sub.handler(conn, env, data)
        except Exception as exc:
            if conn.is_closed():
                raise  # the database went away under the handler: waited out, never counted
            if isinstance(exc, TimeoutError):
                # Also a statement timeout inside the handler: it would happen again, so it counts.
                exc = HandlerTimedOut(
                    f"the handler took longer than {self._handler_timeout:g} s"
                    if deadline.expired()
                    else f"the handler timed out: {exc!r}"
                )
            raise _HandlerFailed(exc) from exc

    def _log_place(self, place: _Place, env: Envelope) -> None:
        if place.order is _Order.SKIP_GAP:
            log.error(
                "gave up waiting for earlier events of an aggregate; went on without them",
                consumer=self.durable,
                aggregate=env.subject,
                missing=f"{place.applied + 1}..{(env.aggregateseq or 0) - 1}",
                waited_seconds=self._gap_timeout,
            )
        elif place.order is _Order.REPLAY:
            log.warning(
                "handled a replayed dead letter after later events of its aggregate",
                consumer=self.durable,
                aggregate=env.subject,
                sequence=env.aggregateseq,
                applied=place.applied,
            )

    def _unhandled_delay(self, delivery: int) -> float:
        return min(self._unhandled_retry * 2 ** (max(delivery, 1) - 1), self._unhandled_retry_most)

    async def _left_for_another_version(self, msg: Msg, env: Envelope) -> None:
        """A subject this version neither handles nor ignores: never ack it, but never hold it forever.

        Another version of this service (a rolling deploy) may read it: leave it for that one, with
        waits that grow, since a nak'ed message keeps its ack-pending place. If none took it within
        `unhandled_give_up`, no running version reads it: dead-letter it, for a replay once one does.
        """
        delivered = msg.metadata.num_delivered or 1
        waited = sum(self._unhandled_delay(k) for k in range(1, delivered))
        if waited >= self._unhandled_give_up:
            await self._dead_letter(
                msg,
                f"Left for another version for {waited:.0f} s, but no running version handles this subject"
                f" ({msg.subject}). Replay it once a version that reads it runs, or add the subject to"
                " the consumer's ignored subjects if nobody needs it.",
                env=env,
                advance=False,
            )
            return
        log.debug("no handler here; left for another replica", consumer=self.durable, subject=msg.subject)
        EVENTS_HANDLED.labels(self._service, self.durable, "left_for_another_version").inc()
        await msg.nak(delay=self._unhandled_delay(delivered))

    async def _place(self, conn: asyncpg.Connection, env: Envelope) -> _Place:
        """Lock this consumer's row for the aggregate and say whether the event comes next.

        The row lock makes two replicas take turns on one aggregate: the second sees what the
        first applied once the first commits.
        """
        seq = env.aggregateseq or 0
        # A replica whose handler holds the row for long makes this one give up (LockNotAvailable:
        # the event waits its turn again) rather than sit on a connection; the handler after it
        # gets the ordinary lock timeout back. One round trip: made if missing, locked, timeout back.
        row = await q.place_inbox_event.fetchrow(
            conn,
            consumer=self.durable,
            aggregate=env.subject,
            timeout=f"{int(self._lock_timeout * 1000)}ms",
            gap_seconds=self._gap_timeout,
        )
        assert row is not None  # made by the statement if it was missing
        applied = int(row["applied_seq"])
        if seq <= applied:
            set_aside = await q.inbox_event_set_aside.fetchval(conn, consumer=self.durable, event_id=env.id)
            return _Place(_Order.REPLAY if set_aside else _Order.LATE, applied)
        if seq == applied + 1:
            return _Place(_Order.APPLY, applied)
        # The next one is known and being retried (it failed): wait for it, however long that takes;
        # it ends handled or dead-lettered, and either lets this one go on.
        next_is_retrying = await q.inbox_seq_retrying.fetchval(
            conn, consumer=self.durable, aggregate=env.subject, seq=applied + 1
        )
        lowest = row["lowest_waiting_seq"]
        given_up = row["waiting_since"] is not None and not next_is_retrying and row["waited_enough"]
        # Go on from the lowest number seen waiting, so the ones behind it follow in order; if that
        # one never comes back (its consumer was reset), from any after twice as long.
        if given_up and (lowest is None or seq <= lowest or row["waited_twice"]):
            return _Place(_Order.SKIP_GAP, applied)
        await q.mark_inbox_waiting.execute(
            conn, consumer=self.durable, aggregate=env.subject, restart=bool(next_is_retrying), seq=seq
        )
        return _Place(_Order.WAIT, applied)

    async def _mark_applied(self, conn: asyncpg.Connection, env: Envelope) -> None:
        await q.mark_inbox_applied.execute(
            conn, consumer=self.durable, aggregate=env.subject, seq=env.aggregateseq
        )

    async def _failed(self, msg: Msg, env: Envelope, exc: Exception) -> None:
        """Count a handler failure in the database; retry with backoff, or dead-letter at the limit."""
        EVENTS_HANDLED.labels(self._service, self.durable, "failed").inc()
        error = repr(exc) if not isinstance(exc, HandlerTimedOut) else f"HandlerTimedOut({exc})"
        try:
            async with self._pool.acquire() as conn:
                failures = int(
                    await q.count_inbox_failure.fetchval(
                        conn,
                        consumer=self.durable,
                        event_id=env.id,
                        aggregate=env.subject,
                        seq=env.aggregateseq,
                        error=error[:2000],
                    )
                )
        except CONNECTION_ERRORS as db_exc:
            # Cannot count it now; the next delivery runs the handler again and counts then.
            log.warning("database unavailable, failure not counted", event_id=env.id, error=str(db_exc))
            await msg.nak(delay=self._backoff[0])
            return
        if failures >= self._max_deliver:
            await self._dead_letter(msg, f"Handler failed {failures} times; last error: {error}", env=env)
            return
        log.warning("handler failed, will retry", event_id=env.id, failures=failures, error=error)
        await msg.nak(delay=self._delay(failures))

    def _delay(self, failures: int) -> float:
        return self._backoff[min(max(failures, 1), len(self._backoff)) - 1]

    async def _dead_letter(
        self, msg: Msg, reason: str, *, env: Envelope | None = None, advance: bool = True
    ) -> None:
        meta = msg.metadata
        # The original's headers go along (Aggregate, X-Request-ID, Content-Type) for a replay, but
        # no Nats-* one: the relay's Nats-Expected-Last-Msg-Id would make DEADLETTER refuse it.
        headers = {
            key: value
            for key, value in (msg.headers or {}).items()
            if not key.lower().startswith(("nats-", "dead-letter-"))
        }
        headers |= {
            "Nats-Msg-Id": f"{self.durable}:{meta.stream}:{meta.sequence.stream}",
            "Dead-Letter-Reason": reason[:2000],
            "Dead-Letter-Consumer": self.durable,
            "Dead-Letter-Subject": msg.subject,
            "Dead-Letter-Stream": meta.stream,
            "Dead-Letter-Stream-Sequence": str(meta.sequence.stream),
            "Dead-Letter-Delivery-Count": str(meta.num_delivered),
        }
        # Kept in the service's own database too, where its administrators see it and have this
        # consumer handle it again (backbone.deadletter_admin). Recorded before the ack, like the publish.
        # With the database away the message waits (a nak with a delay) and the loop goes on: a
        # redelivery records it again (one row per message), and DEADLETTER drops a second copy of
        # the publish by its Nats-Msg-Id.
        try:
            async with self._pool.acquire() as conn:
                await q.record_dead_letter.execute(
                    conn,
                    consumer=self.durable,
                    stream=meta.stream,
                    stream_seq=meta.sequence.stream,
                    subject=msg.subject,
                    headers={k: v for k, v in headers.items() if not k.startswith(("Nats-", "Dead-Letter-"))},
                    data=msg.data,
                    reason=reason[:2000],
                    delivery_count=meta.num_delivered,
                )
        except CONNECTION_ERRORS as exc:
            await self._dead_letter_later(msg, exc)
            return
        # Publish before acking: if this fails the message is redelivered, never lost.
        await self._nc.jetstream().publish(
            f"{DEAD_LETTER_PREFIX}.{self._service}.{self.durable}", msg.data, headers=headers
        )
        if env is not None:
            try:
                await self._set_aside(env, reason, advance=advance)
            except CONNECTION_ERRORS as exc:
                await self._dead_letter_later(msg, exc)
                return
        await msg.ack()
        DEAD_LETTERS.labels(self._service, self.durable).inc()
        log.error(
            "event dead-lettered",
            consumer=self.durable,
            subject=msg.subject,
            stream_sequence=meta.sequence.stream,
            reason=reason[:500],
        )

    async def _dead_letter_later(self, msg: Msg, exc: BaseException) -> None:
        """The database went away while dead-lettering: uncounted, the message comes back later."""
        log.warning(
            "database unavailable, message will be dead-lettered when it comes back",
            consumer=self.durable,
            stream_sequence=msg.metadata.sequence.stream,
            error=str(exc),
        )
        await msg.nak(delay=self._backoff[0])

    async def _set_aside(self, env: Envelope, reason: str, *, advance: bool) -> None:
        """A dead letter counts as applied for its aggregate's order, so later events go on.

        Only one dead-lettered in its turn (`advance`): one that never had its turn (no version reads
        it, or it came too late) must not move the aggregate past events still to come. Either way it
        is marked as set aside, so a replay of it is still handled (late, and logged as such).
        """

        async def work(conn: asyncpg.Connection) -> None:
            # Failures start again from zero for a replay, which comes after a fix.
            await q.set_aside_inbox_event.execute(
                conn,
                consumer=self.durable,
                event_id=env.id,
                aggregate=env.subject,
                seq=env.aggregateseq,
                reason=reason[:2000],
            )
            if advance and env.subject is not None and env.aggregateseq is not None:
                await q.skip_inbox_aggregate_to.execute(
                    conn, consumer=self.durable, aggregate=env.subject, seq=env.aggregateseq
                )

        await run_in_transaction(self._pool, work)


def _problems(exc: ValidationError) -> str:
    """Field paths and messages only: the input values may be personal data."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(data)'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)
    )


def other_versions(reads: list[str], subjects: set[str]) -> list[tuple[str, str, int]]:
    """Subjects among `subjects` whose base we read, but only in other major versions.

    E.g. reading `meetings.minutes.published.v1` while the stream carries `...published.v2`:
    those v2 events never reach this consumer. Returns (subject, base, major) for each.
    """
    ours: dict[str, set[int]] = {}
    for subject in reads:
        if m := _SUBJECT_VERSION.match(subject):
            ours.setdefault(m["base"], set()).add(int(m["major"]))
    found = []
    for subject in sorted(subjects):
        m = _SUBJECT_VERSION.match(subject)
        if m and m["base"] in ours and int(m["major"]) not in ours[m["base"]]:
            found.append((subject, m["base"], int(m["major"])))
    return found


def filter_covers(pattern: str, subject: str) -> bool:
    """Whether every subject that `subject` (a filter, maybe wildcards) matches also matches `pattern`."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or have[i] == ">" or (token != "*" and token != have[i]):
            return False
    return len(have) == len(want)


def _filters_of(config: ConsumerConfig) -> set[str]:
    current = set(config.filter_subjects or [])
    if config.filter_subject:
        current.add(config.filter_subject)
    return current


def _raise_if_cancelling() -> None:
    """nats-py's fetch waits with `asyncio.wait_for`, which on Python 3.11 swallows a cancellation
    that arrives as the fetch completes: the task is still marked as cancelling, so end it here, or
    a consumer told to stop would go on fetching for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
