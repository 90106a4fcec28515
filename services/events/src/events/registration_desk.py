"""Public registrations that arrive together are written together: group commit for one event.

Every registration of an event takes the event's row lock and holds it until its commit is on disk
(registrations.register_together), so one at a time each pays a whole durable commit while the others
wait: about 15 ms each on our machine, under 70 a second however many come. Here the requests for one
event queue in this process; one task at a time takes all that are waiting and registers them in one
transaction (in the order they arrived, the same rules as one by one), and each request gets its own
answer once that transaction has committed. Nothing is answered before it is on disk, so nothing
answered is lost; several processes stay correct, because their batches still take the event's lock.

A refusal about the event (closed, cancelled, not found) is everybody's in the batch, as it would have
been one by one. A lost database (a connection refused or cut, a server shutting down) is everybody's
too, at once: trying each person again would only wait for the same outage over and over. Any other
failure is retried one person at a time, so that one bad registration fails only its own request.

Nobody waits forever: a line longer than `max_waiting` is asked to come back later; a batch that is
cut short (cancelled, its database lost) tells its people to try again; and when the service stops,
`close` answers everyone still in line at once and gives the batch being written a few seconds to
finish. "Try again" is safe: on the public form a second registration of the same person is answered
like the first and stores nothing new.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from backbone.errors import RuleError
from backbone.logs import get_logger
from events import registrations
from events.registrations import Context, Duplicates, NewRegistration, Receipt

log = get_logger(__name__)
# Large enough that a crowd is a few commits, small enough that one transaction stays short.
MAX_BATCH = 200
# Registrations of one event that may wait for the next batch; more are asked to come back later.
MAX_WAITING = 1000
# The public form: a duplicate is answered like a new registration (registrations.Duplicates).
PUBLIC = Duplicates(tell=False)
# The database is away, not the registration at fault: the whole batch is answered "try again".
LOST_DATABASE = (
    OSError,  # refused, reset, a timeout waiting for a connection
    asyncpg.exceptions.PostgresConnectionError,  # the connection broke or does not exist
    asyncpg.exceptions.OperatorInterventionError,  # the server shutting down, a cancelled statement
    asyncpg.exceptions.TooManyConnectionsError,
)
BUSY = "För många anmälningar just nu, försök igen om en stund."
# Cut short or the database lost: the commit may have been on its way, so "not saved" could be wrong.
AGAIN = (
    "Anmälan kom kanske inte fram. Försök igen om en stund: du blir inte anmäld två gånger."
)
# What the answer's Retry-After asks for: a batch is written in well under a second.
RETRY_AFTER_SECONDS = 5
STOPPING = "Anmälan tar paus en kort stund, försök igen om en stund."


class Unavailable(Exception):
    """The registration was not taken, through no fault of the person: they may send it again.

    `perhaps_taken`: its batch was cut short or lost the database on its way, so its commit may have
    gone through (sending again registers nobody twice). False: it surely was not (a full line, a
    desk that has stopped), which the gateway counts as no attempt against the address's budget."""

    def __init__(self, message: str, *, perhaps_taken: bool) -> None:
        super().__init__(message)
        self.perhaps_taken = perhaps_taken


def _lost_database(exc: BaseException) -> bool:
    """The database is away, not this batch at fault. asyncpg says a closed or closing pool or
    connection (a shutdown) with a plain InterfaceError; its subclasses (DataError: a value it cannot
    send, a bad configuration) are the batch's own fault."""
    if isinstance(exc, LOST_DATABASE):
        return True
    closed = "closed" in str(exc) or "closing" in str(exc)
    return type(exc) is asyncpg.exceptions.InterfaceError and closed


@dataclass
class _Request:
    person: NewRegistration
    answer: asyncio.Future[Receipt | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RegistrationDesk:
    """The public registrations of this process, taken per event in batches (see the module's text)."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        context: Callable[[], Context],
        *,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        # Callables: the pool is opened in the app's lifespan, after the desk is made.
        self._pool = pool
        self._context = context
        self._max_waiting = max_waiting
        self._queues: dict[uuid.UUID, list[_Request]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def waiting(self, event_id: uuid.UUID) -> int:
        """How many registrations of the event wait for the next batch (not the one being written)."""
        return len(self._queues.get(event_id, ()))

    async def register(self, event_id: uuid.UUID, person: NewRegistration) -> Receipt | None:
        """Register `person` on the public form; None when they were registered already."""
        if self._closed:
            raise Unavailable(STOPPING, perhaps_taken=False)
        queue = self._queues.get(event_id)
        if queue is not None and len(queue) >= self._max_waiting:
            raise Unavailable(BUSY, perhaps_taken=False)
        request = _Request(person)
        if queue is None:
            # Nobody was waiting for this event, so no task serves it: start one.
            self._start(event_id, [request])
        else:
            queue.append(request)
        return await request.answer

    def _start(self, event_id: uuid.UUID, requests: list[_Request]) -> None:
        self._queues[event_id] = requests
        task = asyncio.create_task(self._serve(event_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, patience: float = 5.0) -> None:
        """Take no more registrations; answer everyone in line now; let the batches being written
        finish for up to `patience` seconds, then cut them short (their people are told to try again)."""
        self._closed = True
        for queue in self._queues.values():
            for r in queue:
                _settle(r, exc=Unavailable(STOPPING, perhaps_taken=False))
            queue.clear()
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=patience)
        for task in late:
            task.cancel()
        if late:
            log.warning("registration batches cut short at shutdown", batches=len(late))
            await asyncio.wait(late, timeout=patience)

    async def _serve(self, event_id: uuid.UUID) -> None:
        # The queue stays in the dict while a batch is written, so newcomers join it instead of
        # starting a second task; it is removed only when this task ends (no await in between), and
        # always: a queue left behind would have newcomers wait for a task that is gone.
        batch: list[_Request] = []
        try:
            while queue := self._queues[event_id]:
                batch, self._queues[event_id] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                await self._write(event_id, batch)
        finally:
            # The batch is answered already, unless this task was cut short.
            for r in batch:
                _settle(r, exc=Unavailable(AGAIN, perhaps_taken=True))
            left = self._queues.pop(event_id)
            if left:  # they came while it was cut short: a new task serves them
                self._start(event_id, left)

    async def _write(self, event_id: uuid.UUID, batch: list[_Request]) -> bool:
        """Register the batch and answer each; False when the database was lost."""
        try:
            receipts = await self._register(event_id, [r.person for r in batch])
        except RuleError as exc:
            for r in batch:
                _settle(r, exc=exc)
            return True
        except Exception as exc:  # noqa: BLE001 - one bad registration must not fail the others
            if _lost_database(exc):
                log.warning("registration batch not saved: no database", size=len(batch),
                            error=type(exc).__name__)
                for r in batch:
                    _settle(r, exc=Unavailable(AGAIN, perhaps_taken=True))
                return False
            if len(batch) == 1:
                _settle(batch[0], exc=exc)
                return True
            log.warning("registration batch failed; one by one now", size=len(batch),
                        error=type(exc).__name__)
            for n, r in enumerate(batch):
                if not await self._write(event_id, [r]):
                    # Not tried since their batch rolled back: surely not taken.
                    for rest in batch[n + 1:]:
                        _settle(rest, exc=Unavailable(AGAIN, perhaps_taken=False))
                    return False
            return True
        for r, receipt in zip(batch, receipts, strict=True):
            _settle(r, receipt=receipt)
        return True

    async def _register(self, event_id: uuid.UUID, people: list[NewRegistration]) -> list[Receipt | None]:
        async with self._pool().acquire() as conn:
            return await registrations.register_together(
                conn=conn, event_id=event_id, people=people, ctx=self._context(), by=None, public=True,
                duplicates=PUBLIC,
            )


def _settle(request: _Request, *, receipt: Receipt | None = None, exc: BaseException | None = None) -> None:
    # A request whose client went away has a cancelled future; its registration stands all the same.
    if request.answer.done():
        return
    if exc is not None:
        request.answer.set_exception(exc)
    else:
        request.answer.set_result(receipt)
