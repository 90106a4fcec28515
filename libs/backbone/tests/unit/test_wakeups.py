"""Wake-ups: a ring reaches the waiting loop at once; silence makes it poll less and less often."""

import asyncio
import time

from backbone.wakeups import Wakeup


async def test_a_ring_wakes_the_loop_at_once():
    bell = Wakeup()
    with bell.listen(min_wait=5.0, max_wait=5.0) as listener:
        asyncio.get_running_loop().call_later(0.01, bell.ring)
        started = time.monotonic()
        await listener.wait(found_work=False)
        assert time.monotonic() - started < 1.0


async def test_an_idle_loop_backs_off_to_its_longest_wait():
    bell = Wakeup()
    with bell.listen(min_wait=0.01, max_wait=0.04) as listener:
        waits = []
        for _ in range(4):
            started = time.monotonic()
            await listener.wait(found_work=False)
            waits.append(time.monotonic() - started)
        assert waits[0] < waits[2]
        assert 0.035 < waits[3] < 0.5


async def test_after_work_the_loop_goes_again_without_waiting():
    bell = Wakeup()
    with bell.listen(min_wait=1.0, max_wait=1.0) as listener:
        started = time.monotonic()
        await listener.wait(found_work=True)
        assert time.monotonic() - started < 0.1


async def test_a_closed_listener_hears_nothing_more():
    bell = Wakeup()
    listener = bell.listen()
    listener.close()
    bell.ring()
    assert not listener._event.is_set()
