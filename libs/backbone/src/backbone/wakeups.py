"""Process-local wake-ups: a writer rings after writing rows that a background loop in the same
process should pick up (the outbox relay, the email sender), so the loop reacts in milliseconds
without `pg_notify`, whose commit-time lock serialises every writing transaction.

Rows written by other processes are still found: an idle loop polls, backing off to `max_wait`.
"""

from __future__ import annotations

import asyncio


class Wakeup:
    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()

    def ring(self) -> None:
        for event in self._events:
            event.set()

    def listen(self, *, min_wait: float = 0.005, max_wait: float = 0.25) -> Listener:
        return Listener(self, min_wait=min_wait, max_wait=max_wait)

    def _add(self, event: asyncio.Event) -> None:
        self._events.add(event)

    def _remove(self, event: asyncio.Event) -> None:
        self._events.discard(event)


class Listener:
    def __init__(self, wakeup: Wakeup, *, min_wait: float, max_wait: float) -> None:
        self._wakeup = wakeup
        self._event = asyncio.Event()
        self._min = min_wait
        self._max = max(max_wait, min_wait)
        self._wait = min_wait
        wakeup._add(self._event)

    async def wait(self, *, found_work: bool) -> None:
        """Return at once after work was found; otherwise when rung, or after a growing pause."""
        if found_work:
            self._wait = self._min
            return
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and a loop that cannot be cancelled never shuts down.
            async with asyncio.timeout(self._wait):
                await self._event.wait()
            # Rung before the writer's commit, maybe: look now, and again soon if nothing is there.
            self._wait = self._min
        except TimeoutError:
            self._wait = min(self._wait * 2, self._max)
        self._event.clear()

    def close(self) -> None:
        self._wakeup._remove(self._event)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
