"""The loop every background worker runs in: a step again and again, a pause between steps, waits
that grow after failures, and an end only when cancelled or told to stop.

The outbox relay, the consumers, the email sender and the services' periodic jobs (the due check,
the session cleanup) all run in it, so a failure never ends a worker, a failing worker never spins,
and a stop always ends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from backbone.logs import get_logger

log = get_logger(__name__)


class Backoff:
    """Waits that grow after each failure, from `first` up to `most`; back to `first` after a success.

    A step that runs for a long time (a relay leading, a consumer reading) may call `reset` itself
    once it is healthy again, so that its next failure waits only `first`.
    """

    def __init__(self, first: float, most: float, factor: float = 2.0) -> None:
        if not 0 <= first <= most:
            raise ValueError(f"A back-off needs 0 ≤ first ≤ most; got first={first}, most={most}.")
        self.first = first
        self.most = most
        self.factor = factor
        self._next = first

    def next(self) -> float:
        """The wait before the next try; each call makes the one after it longer."""
        wait = self._next
        self._next = min(self._next * self.factor, self.most)
        return wait

    def reset(self) -> None:
        self._next = self.first


class TryLater(Exception):
    """Raised by a step that cannot do its work now though nothing broke (the mail server is away,
    an earlier result must be recorded first): the loop backs off, and says `reason` as a warning
    without a traceback (nothing when there is no reason)."""

    def __init__(self, reason: str = "", **fields: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = fields


async def run_forever(
    step: Callable[[], Awaitable[object]],
    *,
    name: str,
    every: float = 0.0,
    backoff: Backoff | None = None,
    expected: tuple[type[BaseException], ...] = (),
    stop: asyncio.Event | None = None,
) -> None:
    """Run `step` until cancelled or until `stop` is set.

    After a step that returns, the back-off starts again from its first wait and the loop waits
    `every` seconds. After a step that raises, the loop logs it (a warning for `expected` errors and
    `TryLater`, with the traceback for anything else) and waits the back-off's next wait, or `every`
    without a back-off. Cancellation is never caught: it ends the loop at once, in a step or in a
    wait. Setting `stop` lets the step in progress finish, ends a wait at once, and ends the loop.
    """
    while stop is None or not stop.is_set():
        try:
            await step()
        except TryLater as exc:
            if exc.reason:
                log.warning(exc.reason, loop=name, **exc.fields)
            pause = backoff.next() if backoff is not None else every
        except Exception as exc:
            pause = backoff.next() if backoff is not None else every
            if isinstance(exc, expected):
                error = str(exc) or type(exc).__name__
                log.warning("background loop failed, retrying", loop=name, error=error, retry_in=pause)
            else:
                log.exception("background loop failed, retrying", loop=name, retry_in=pause)
        else:
            if backoff is not None:
                backoff.reset()
            pause = every
        await _pause(pause, stop)


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)  # also with 0: a step that never awaits must not hog the loop
        return
    try:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that arrives
        # as the event is set, and a worker that cannot be cancelled never shuts down.
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass
