"""Stopping a service: background loops end even when one swallows its first cancellation."""

import asyncio

from backbone.runtime import _cancel_all, _within


async def test_a_loop_that_swallows_one_cancellation_is_cancelled_again():
    swallowed = []

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if not swallowed:
                    swallowed.append(True)  # as asyncio.wait_for on 3.11 may do
                    continue
                raise

    async def polite() -> None:
        await asyncio.sleep(3600)

    tasks = [asyncio.create_task(stubborn()), asyncio.create_task(polite())]
    await asyncio.sleep(0)
    await asyncio.wait_for(_cancel_all(tasks), timeout=5)
    assert all(t.done() for t in tasks)
    assert swallowed == [True]


async def test_a_loop_that_never_stops_is_given_up_on_after_the_patience():
    deaf_until = asyncio.Event()

    async def deaf() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if deaf_until.is_set():
                    raise

    task = asyncio.create_task(deaf())
    await asyncio.sleep(0)
    await asyncio.wait_for(_cancel_all([task], patience=0.6), timeout=5)
    assert not task.done()
    deaf_until.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.done()


async def test_a_shutdown_step_that_hangs_is_left_behind_after_its_time():
    release = asyncio.Event()

    async def hangs() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue  # ignores its cancellation, as a stuck client library might

    started = asyncio.get_running_loop().time()
    assert await _within(hangs(), 0.2) is False
    assert asyncio.get_running_loop().time() - started < 2.0
    assert await _within(asyncio.sleep(0), 1.0) is True
    release.set()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.cancel()
