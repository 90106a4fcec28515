"""The pace toward the relay: an even one, shared by every send loop."""

import asyncio

from notify.sending import RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_sends_are_spaced_evenly_at_the_set_rate():
    clock = Clock()
    limit = RateLimit(4, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await limit.wait()
    assert clock.slept == [0.25, 0.25, 0.25, 0.25]


async def test_loops_waiting_at_once_line_up_behind_each_other():
    clock = Clock()
    limit = RateLimit(2, clock=clock, sleep=clock.sleep)
    done_at = []

    async def one() -> None:
        await limit.wait()
        done_at.append(clock.now)

    await asyncio.gather(one(), one(), one())  # the fake clock moves only by sleeping
    assert sorted(done_at) == [100.0, 100.5, 101.0]


async def test_no_rate_set_means_no_waiting():
    clock = Clock()
    limit = RateLimit(0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limit.wait()
    assert clock.slept == []
