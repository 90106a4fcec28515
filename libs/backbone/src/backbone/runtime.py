"""A service's running parts: pool, NATS, streams, relay, consumers; opened in order, drained on stop."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from backbone.consumer import Consumer, Subscription
from backbone.db import create_pool, is_reachable
from backbone.logs import get_logger
from backbone.migrations import backbone_migrations, ensure_database, migrate, read_migrations
from backbone.queries import backbone_queries as q
from backbone.relay import OutboxRelay
from backbone.settings import ServiceSettings
from backbone.streams import (
    NotProvisioned,
    dead_letter_stream,
    ensure_stream,
    service_stream,
    streams_exist,
)
from backbone.workers import CURRENT_LOOPS, Loops

log = get_logger(__name__)


class _FrozenHeap:
    """The process's heap frozen out of the collector's full passes while any runtime runs (the
    freeze is the process's, not one runtime's)."""

    def __init__(self) -> None:
        self.running = 0
        # Tests run apps in threads of one process (uvicorn servers beside each other).
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.running += 1
            gc.freeze()  # again for each start: what the new runtime made joins what is frozen

    def leave(self) -> None:
        with self._lock:
            self.running -= 1
            if self.running == 0:
                gc.unfreeze()


_frozen_heap = _FrozenHeap()


@dataclass(frozen=True)
class Readiness:
    """What /readyz answers: each check, and a sentence for each one that failed."""

    checks: dict[str, bool]
    reasons: list[str]

    @property
    def ready(self) -> bool:
        return all(self.checks.values())


def inbox_prefix(service: str) -> str:
    """Where NATS sends this service's replies: a prefix of its own, so that the NATS permissions can
    let each service read only its own replies (`_INBOX.meetings.>`), never another's."""
    return f"_INBOX.{service}"


async def connect_nats(url: str, name: str, wait_seconds: float = 60.0) -> NATS:
    """Connect, waiting for the server at start-up; afterwards the client reconnects forever.

    `name` is the service's: its replies come to `inbox_prefix(name)`.
    """

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", error=str(exc))

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await nats.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                error_cb=on_error,
                disconnected_cb=on_disconnect,
                reconnected_cb=on_reconnect,
                inbox_prefix=inbox_prefix(name),
            )
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Could not reach NATS at {url}: {exc}") from exc
            log.warning("nats not reachable yet", error=str(exc))
            await asyncio.sleep(0.5)


async def _cancel_all(tasks: list[asyncio.Task[None]], patience: float = 10.0) -> None:
    """Cancel background loops, again if one swallowed its cancellation (a library may), up to `patience`."""
    deadline = asyncio.get_running_loop().time() + patience
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
        if pending and asyncio.get_running_loop().time() > deadline:
            log.error("background tasks did not stop", tasks=sorted(t.get_name() for t in pending))
            return


async def _within(step: Coroutine[Any, Any, Any], seconds: float) -> bool:
    """Run a shutdown step for at most `seconds`; True if it finished without error.

    Unlike wait_for, this never waits for a step that ignores its cancellation.
    """
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        return False
    return task.exception() is None


def stream_of(subject: str) -> str:
    """Events live in their owner's stream: `meetings.x.y.v1` is in MEETINGS."""
    return subject.split(".", 1)[0].upper()


async def apply_migrations(settings: ServiceSettings, migrations_dir: Path | None) -> list[str]:
    # Created only when missing: in the container stack the database is made by the init script,
    # and the service's role may connect to nothing else (not even `postgres`, where it is created).
    try:
        await (await asyncpg.connect(settings.database_url)).close()
    except asyncpg.InvalidCatalogNameError:
        await ensure_database(settings.database_url)
    own = read_migrations(settings.service_name, migrations_dir) if migrations_dir else []
    return await migrate(settings.database_url, backbone_migrations() + own)


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        subscriptions: list[Subscription] | None = None,
        ignored: Iterable[str] = (),
        extra_streams: list[StreamConfig] | None = None,
    ) -> None:
        self.settings = settings
        self.subscriptions = subscriptions or []
        # Subjects on the streams read that this service deliberately does not handle (see consumer.py).
        self.ignored = frozenset(ignored)
        self.streams = [
            service_stream(
                settings.service_name,
                replicas=settings.stream_replicas,
                max_age=settings.stream_max_age_seconds,
                max_bytes=settings.stream_max_bytes,
            ),
            dead_letter_stream(
                replicas=settings.stream_replicas, max_age=settings.dead_letter_max_age_seconds
            ),
            *(extra_streams or []),
        ]
        self._pool: asyncpg.Pool | None = None
        self._nc: NATS | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[Consumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = []
        # Every forever-loop started below lists itself here (see workers.CURRENT_LOOPS), for /readyz.
        self.loops = Loops()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("The runtime has not started: no database pool yet.")
        return self._pool

    @property
    def nc(self) -> NATS:
        if self._nc is None:
            raise RuntimeError("The runtime has not started: no NATS connection yet.")
        return self._nc

    async def start(self) -> None:
        s = self.settings
        self._pool = await create_pool(s.database_url, min_size=s.pool_min_size, max_size=s.pool_max_size)
        self._nc = await connect_nats(s.nats_url, s.service_name)
        js = self._nc.jetstream()
        for config in self.streams:
            await ensure_stream(js, config, manage=s.manage_streams)
        if s.run_consumers and not s.manage_streams:
            # Before serving: a durable that was never provisioned stops the start with a message
            # that says what to run, instead of a consumer that retries unseen.
            for consumer in self.build_consumers():
                await consumer.ensure()
        if s.run_relay:
            self.relay = OutboxRelay(
                dsn=s.database_url,
                nc=self._nc,
                service=s.service_name,
                batch_size=s.relay_batch_size,
                poll_seconds=s.relay_poll_seconds,
                lock_timeout=s.relay_lock_timeout_seconds,
                pool=self._pool,
            )
            self._spawn(self.relay.run(), "relay")
        if s.run_consumers:
            for consumer in self.build_consumers():
                self.consumers.append(consumer)
                self._spawn(consumer.run(), f"consumer:{consumer.stream}")
        if s.run_consumers:
            for name, start in self._workers:
                self._spawn(start(), name)
        log.info("service started", streams=[c.name for c in self.streams])

    async def provision(self) -> list[str]:
        """Create or widen this service's streams and durable consumers: the provisioning step, run
        with a NATS user that may (not the service's own, when `manage_streams` is False). Safe to
        run again; it never narrows or undoes what an operator set. Returns what it looked after."""
        s = self.settings
        nc = await connect_nats(s.nats_url, s.service_name)
        done = []
        try:
            js = nc.jetstream()
            for config in self.streams:
                await ensure_stream(js, config)
                done.append(f"stream {config.name}")
            # Consumer.ensure speaks only to NATS: no database is opened for provisioning.
            for consumer in self._consumers(cast(asyncpg.Pool, None), nc, manage=True):
                try:
                    await consumer.ensure()
                except NotFoundError:
                    raise NotProvisioned(
                        f"The stream {consumer.stream} that {s.service_name} reads does not exist yet: "
                        f"provision its service first (`python -m {consumer.stream.lower()} provision`)."
                    ) from None
                done.append(f"consumer {consumer.stream}/{consumer.durable}")
        finally:
            await nc.close()
        return done

    def add_worker(self, name: str, start: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A service's own background loop (e.g. the email sender), started after the pool and NATS."""
        self._workers.append((name, start))

    def build_consumers(self) -> list[Consumer]:
        return self._consumers(self.pool, self.nc, manage=self.settings.manage_streams)

    def _consumers(self, pool: asyncpg.Pool, nc: NATS, *, manage: bool) -> list[Consumer]:
        s = self.settings
        by_stream: dict[str, list[Subscription]] = defaultdict(list)
        for sub in self.subscriptions:
            by_stream[stream_of(sub.subject)].append(sub)
        return [
            Consumer(
                pool=pool,
                nc=nc,
                service=s.service_name,
                durable=s.service_name,
                stream=stream,
                subscriptions=subs,
                ignored=[subject for subject in self.ignored if stream_of(subject) == stream],
                batch_size=s.consumer_batch_size,
                max_deliver=s.consumer_max_deliver,
                backoff=s.consumer_backoff_seconds,
                ack_wait=s.consumer_ack_wait_seconds,
                concurrency=s.consumer_concurrency,
                handler_timeout=s.consumer_handler_timeout_seconds,
                gap_retry=s.consumer_gap_retry_seconds,
                gap_timeout=s.consumer_gap_timeout_seconds,
                max_ack_pending=s.consumer_max_ack_pending,
                unhandled_give_up=s.consumer_unhandled_give_up_seconds,
                manage=manage,
            )
            for stream, subs in sorted(by_stream.items())
        ]

    def _spawn(self, coro: Any, name: str) -> None:
        # In a context of its own that names this runtime's Loops, so the loops the task runs list
        # themselves there, and not in another runtime's of the same process (tests run several).
        context = contextvars.copy_context()
        context.run(CURRENT_LOOPS.set, self.loops)
        task = asyncio.create_task(coro, name=name, context=context)
        self._tasks.append(task)

    async def stop(self) -> None:
        await _cancel_all(self._tasks)
        self._tasks.clear()
        if self._nc is not None and self._nc.is_connected and not await _within(self._nc.drain(), 5.0):
            await _within(self._nc.close(), 2.0)
        if self._pool is not None and not await _within(self._pool.close(), 5.0):
            self._pool.terminate()
        log.info("service stopped")

    async def readiness(self) -> dict[str, bool]:
        return (await self.readiness_report()).checks

    async def readiness_report(self) -> Readiness:
        """The connections, and whether the work goes on: every loop turning, the outbox moving."""
        s = self.settings
        db_ok = self._pool is not None and await is_reachable(self._pool)
        nats_ok = self._nc is not None and self._nc.is_connected
        streams_ok = nats_ok and await streams_exist(
            self.nc.jetstream(), [c.name or "" for c in self.streams]
        )
        reasons = []
        if not db_ok:
            reasons.append("The service cannot reach its database.")
        if not nats_ok:
            reasons.append("The service is not connected to NATS.")
        elif not streams_ok:
            reasons.append("A stream of the service is missing in NATS (or JetStream does not answer).")
        stuck = self.loops.stuck(s.readiness_stuck_loop_seconds) if s.readiness_stuck_loop_seconds else []
        reasons += stuck
        outbox_ok = True
        if db_ok and s.run_relay and s.readiness_outbox_age_seconds:
            age = await self._oldest_unsent_age()
            if age is not None and age > s.readiness_outbox_age_seconds:
                outbox_ok = False
                reasons.append(
                    f"The oldest event in the outbox has waited {age:.0f} s to be published (allowed "
                    f"{s.readiness_outbox_age_seconds:.0f} s): the relay is not getting events out; "
                    "its log lines say why."
                )
        checks = {
            "database": db_ok,
            "nats": nats_ok,
            "streams": bool(streams_ok),
            "loops": not stuck,
            "outbox": outbox_ok,
        }
        return Readiness(checks=checks, reasons=reasons)

    async def _oldest_unsent_age(self) -> float | None:
        try:
            async with self.pool.acquire(timeout=2.0) as conn:
                age = await q.oldest_unsent_outbox_age.fetchval(conn)
        except Exception:  # noqa: BLE001 - the database check above reports a lost database
            return None
        return None if age is None else float(age)

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        await self.start()
        # What the process holds once started (modules, routes, templates, models, locale data, the
        # pool) lives as long as it does. Frozen, the collector's full passes skip it: under load they
        # came about once a second in the gateway, walked all of it for 100 to 160 ms with nothing to
        # collect, and every request in flight waited (bench/README.md). Unfrozen on stop, so what an
        # app leaves behind (tests start many in one process) can be collected; with several apps in
        # one process, once the last has stopped. No collection first: it would cost each start as
        # much as one of those passes.
        _frozen_heap.enter()
        try:
            yield
        finally:
            _frozen_heap.leave()
            await self.stop()
