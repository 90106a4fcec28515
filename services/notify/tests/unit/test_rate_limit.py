"""The pace toward the relay: an even one, shared by every send loop."""

import asyncio

from notify.sending import RateLimit, claim_size
from notify.settings import Settings


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


def test_a_loop_claims_no_more_than_the_pace_lets_go_out_within_one_lease():
    def size(**over: float) -> int:
        return claim_size(Settings(environment="test", **over))

    assert size(send_rate_per_second=0, send_batch_size=20) == 20, "no limit: the batch"
    # 0.1 a second over 4 loops, a 120 s lease: 3 each, not 20 of which 17 would outlive the lease.
    assert size(send_rate_per_second=0.1, send_lease_seconds=120, send_concurrency=4, send_batch_size=20) == 3
    assert size(send_rate_per_second=0.01, send_lease_seconds=120, send_concurrency=4) == 1, "never none"
    assert size(send_rate_per_second=100, send_batch_size=20) == 20
