"""The loop every background worker runs in: a step again and again, a pause between steps, waits
that grow after failures, and an end only when cancelled or told to stop.

The outbox relay, the consumers, the email sender and the services' periodic jobs (the due check,
the session cleanup) all run in it, so a failure never ends a worker, a failing worker never spins,
and a stop always ends it.

Each loop also keeps its `LoopHealth`: when it last completed a turn, and the last error. A loop
started inside a `Runtime` is listed in the runtime's `Loops`, so /readyz can say which loop has
stopped turning (stuck on a lost NATS, a mail server away, a hung query) instead of only whether
the connections are up.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
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


class LoopHealth:
    """When a loop last completed a turn, and what went wrong since; monotonic seconds.

    A loop whose step never returns (the relay leading, a consumer reading) calls `turned` itself
    after each pass that did its work; for the others run_forever calls it after each step.
    """

    def __init__(self, name: str, every: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        # The loop's own pause between turns: a job that runs hourly is not stuck after a minute.
        self.every = every
        self._clock = clock
        self.last_turn = clock()  # the start counts as a turn: a loop is given time to make its first
        self.last_error: str | None = None

    def turned(self) -> None:
        self.last_turn = self._clock()
        self.last_error = None

    def failed(self, error: str) -> None:
        self.last_error = error

    def stuck_for(self, allowed: float) -> float | None:
        """Seconds since the last turn when that is more than `allowed` beyond the loop's pause, else None."""
        quiet = self._clock() - self.last_turn
        return quiet if quiet > allowed + self.every else None


class Loops:
    """The loops a runtime runs (each one listed while it runs), for the readiness check."""

    def __init__(self) -> None:
        self._running: list[LoopHealth] = []

    def __iter__(self) -> Iterator[LoopHealth]:
        return iter(list(self._running))

    def add(self, health: LoopHealth) -> None:
        self._running.append(health)

    def remove(self, health: LoopHealth) -> None:
        if health in self._running:
            self._running.remove(health)

    def stuck(self, allowed: float) -> list[str]:
        """A sentence for each loop that has not turned for longer than `allowed` (plus its pause)."""
        reasons = []
        for health in self:
            quiet = health.stuck_for(allowed)
            if quiet is None:
                continue
            error = f"; last error: {health.last_error}" if health.last_error else ""
            reasons.append(
                f"The background loop {health.name} has not completed a turn for {quiet:.0f} s"
                f" (allowed {allowed + health.every:.0f} s){error}."
            )
        return reasons


# The Loops of the runtime whose task runs this code: Runtime sets it in the context of each task it
# starts, so every run_forever inside (the services' own workers too) lists itself without being told.
CURRENT_LOOPS: contextvars.ContextVar[Loops | None] = contextvars.ContextVar("current_loops", default=None)


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
    health: LoopHealth | None = None,
) -> None:
    """Run `step` until cancelled or until `stop` is set.

    After a step that returns, the back-off starts again from its first wait and the loop waits
    `every` seconds. After a step that raises, the loop logs it (a warning for `expected` errors and
    `TryLater`, with the traceback for anything else) and waits the back-off's next wait, or `every`
    without a back-off. Cancellation is never caught: it ends the loop at once, in a step or in a
    wait. Setting `stop` lets the step in progress finish, ends a wait at once, and ends the loop.

    Each step that returns is a turn of `health` (one of its own unless given), and each failure
    its last error; the loop is listed in the runtime's Loops (CURRENT_LOOPS) while it runs.
    """
    health = health or LoopHealth(name, every)
    loops = CURRENT_LOOPS.get()
    if loops is not None:
        loops.add(health)
    try:
        while stop is None or not stop.is_set():
            try:
                await step()
            except TryLater as exc:
                if exc.reason:
                    log.warning(exc.reason, loop=name, **exc.fields)
                    health.failed(exc.reason)
                pause = backoff.next() if backoff is not None else every
            except Exception as exc:
                pause = backoff.next() if backoff is not None else every
                error = str(exc) or type(exc).__name__
                health.failed(error)
                if isinstance(exc, expected):
                    log.warning("background loop failed, retrying", loop=name, error=error, retry_in=pause)
                else:
                    log.exception("background loop failed, retrying", loop=name, retry_in=pause)
            else:
                health.turned()
                if backoff is not None:
                    backoff.reset()
                pause = every
            await _pause(pause, stop)
    finally:
        if loops is not None:
            loops.remove(health)


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
