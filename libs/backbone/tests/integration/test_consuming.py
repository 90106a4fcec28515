"""The consumer tests' own helpers hold: a stop that really ends what it stops."""

import asyncio

import pytest

from .consuming import stop


async def test_stop_ends_a_task_that_swallowed_the_first_cancellation():
    async def swallows_the_first_cancellation() -> None:
        try:  # as nats-py's fetch can on 3.11 (see backbone.consumer._raise_if_cancelling)
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
        await asyncio.sleep(3600)

    task = asyncio.create_task(swallows_the_first_cancellation())
    await asyncio.sleep(0)  # under way
    async with asyncio.timeout(10):
        await stop([task])
    assert task.cancelled()


async def test_stop_says_when_a_task_had_failed_before_it_was_stopped():
    async def fails() -> None:
        raise RuntimeError("the loop broke")

    task = asyncio.create_task(fails(), name="consumer")
    await asyncio.wait([task])
    with pytest.raises(AssertionError, match="consumer failed before it was stopped"):
        await stop([task])
