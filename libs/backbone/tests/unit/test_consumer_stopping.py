"""A consumer told to stop stops, even when a library call swallowed the cancellation."""

import asyncio

from backbone.consumer import _raise_if_cancelling


async def test_a_cancellation_swallowed_by_a_library_call_still_ends_the_loop() -> None:
    async def loop_like_the_consumers() -> None:
        while True:
            try:  # what nats-py's fetch does on 3.11 when the cancel meets a completed wait_for
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                pass
            _raise_if_cancelling()

    task = asyncio.create_task(loop_like_the_consumers())
    await asyncio.sleep(0.02)
    task.cancel()
    async with asyncio.timeout(5):
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
