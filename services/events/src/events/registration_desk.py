"""Public registrations that arrive together are written together: group commit for one event.

Every registration of an event takes the event's row lock and holds it until its commit is on disk
(registrations.register_together), so one at a time each pays a whole durable commit while the others
wait: about 15 ms each on our machine, under 70 a second however many come. Here the requests for one
event queue in this process; one task at a time takes all that are waiting and registers them in one
transaction (in the order they arrived, the same rules as one by one), and each request gets its own
answer once that transaction has committed. Nothing is answered before it is on disk, so nothing
answered is lost; several processes stay correct, because their batches still take the event's lock.

A refusal about the event (closed, cancelled, not found) is everybody's in the batch, as it would have
been one by one. Any other failure is retried one person at a time, so that one bad registration
fails only its own request.
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
# The public form: a duplicate is answered like a new registration (registrations.Duplicates).
PUBLIC = Duplicates(tell=False)


@dataclass
class _Request:
    person: NewRegistration
    answer: asyncio.Future[Receipt | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RegistrationDesk:
    """The public registrations of this process, taken per event in batches (see the module's text)."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], context: Callable[[], Context]) -> None:
        # Callables: the pool is opened in the app's lifespan, after the desk is made.
        self._pool = pool
        self._context = context
        self._queues: dict[uuid.UUID, list[_Request]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def register(self, event_id: uuid.UUID, person: NewRegistration) -> Receipt | None:
        """Register `person` on the public form; None when they were registered already."""
        request = _Request(person)
        queue = self._queues.get(event_id)
        if queue is None:
            self._queues[event_id] = [request]
            # Nobody was waiting for this event, so no task serves it: start one.
            task = asyncio.create_task(self._serve(event_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            queue.append(request)
        return await request.answer

    async def _serve(self, event_id: uuid.UUID) -> None:
        # The queue stays in the dict while a batch is written, so newcomers join it instead of
        # starting a second task; it is removed only when it is empty (no await in between).
        while queue := self._queues[event_id]:
            batch, self._queues[event_id] = queue[:MAX_BATCH], queue[MAX_BATCH:]
            await self._write(event_id, batch)
        del self._queues[event_id]

    async def _write(self, event_id: uuid.UUID, batch: list[_Request]) -> None:
        try:
            receipts = await self._register(event_id, [r.person for r in batch])
        except RuleError as exc:
            for r in batch:
                _settle(r, exc=exc)
            return
        except Exception as exc:  # noqa: BLE001 - one bad registration must not fail the others
            if len(batch) == 1:
                _settle(batch[0], exc=exc)
                return
            log.warning("registration batch failed; one by one now", size=len(batch),
                        error=type(exc).__name__)
            for r in batch:
                await self._write(event_id, [r])
            return
        for r, receipt in zip(batch, receipts, strict=True):
            _settle(r, receipt=receipt)

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
