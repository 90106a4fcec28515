"""The loop every background worker runs in: stop, back-off, failing steps, cancellation."""

import asyncio

import pytest

from backbone.workers import CURRENT_LOOPS, Backoff, LoopHealth, Loops, TryLater, run_forever


class RecordingBackoff(Backoff):
    """A back-off of no real length that records what the loop asked of it."""

    def __init__(self) -> None:
        super().__init__(first=0.0, most=0.0)
        self.calls: list[str] = []

    def next(self) -> float:
        self.calls.append("next")
        return super().next()

    def reset(self) -> None:
        self.calls.append("reset")
        super().reset()


def test_backoff_grows_to_its_most_and_starts_again_after_a_reset():
    backoff = Backoff(first=0.5, most=3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_backoff_refuses_a_first_wait_longer_than_its_most():
    with pytest.raises(ValueError, match="first"):
        Backoff(first=5.0, most=1.0)


async def test_a_failing_step_never_ends_the_loop_and_backs_off_until_a_step_succeeds():
    outcomes = iter([RuntimeError("db away"), OSError("again"), None, KeyError("x"), None])
    stop = asyncio.Event()
    ran: list[str] = []

    async def step() -> None:
        outcome = next(outcomes)
        ran.append(type(outcome).__name__)
        if ran[-1] == "NoneType" and len(ran) == 5:
            stop.set()
        if outcome is not None:
            raise outcome

    backoff = RecordingBackoff()
    await asyncio.wait_for(run_forever(step, name="test", backoff=backoff, expected=(OSError,), stop=stop), 5)
    assert ran == ["RuntimeError", "OSError", "NoneType", "KeyError", "NoneType"]
    assert backoff.calls == ["next", "next", "reset", "next", "reset"]


async def test_try_later_backs_off_like_a_failure():
    attempts: list[int] = []
    stop = asyncio.Event()

    async def step() -> None:
        attempts.append(1)
        if len(attempts) == 3:
            stop.set()
        raise TryLater("mail server unreachable, retrying", kind="refused")

    backoff = RecordingBackoff()
    await asyncio.wait_for(run_forever(step, name="test", backoff=backoff, stop=stop), 5)
    assert len(attempts) == 3
    assert backoff.calls == ["next", "next", "next"]


async def test_without_a_backoff_a_failing_step_waits_its_usual_pause():
    stop = asyncio.Event()
    attempts: list[int] = []

    async def step() -> None:
        attempts.append(1)
        raise RuntimeError("always")

    task = asyncio.create_task(run_forever(step, name="test", every=3600, stop=stop))
    for _ in range(50):
        await asyncio.sleep(0.01)
    assert len(attempts) == 1, "a failure must not skip the pause"
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_stop_ends_a_pause_at_once():
    stop = asyncio.Event()
    steps: list[int] = []

    async def step() -> None:
        steps.append(1)

    task = asyncio.create_task(run_forever(step, name="test", every=3600, stop=stop))
    while not steps:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert steps == [1]


async def test_stop_lets_the_step_in_progress_finish_and_runs_no_other():
    stop = asyncio.Event()
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[int] = []

    async def step() -> None:
        started.set()
        await release.wait()
        finished.append(1)

    task = asyncio.create_task(run_forever(step, name="test", stop=stop))
    await asyncio.wait_for(started.wait(), 5)
    stop.set()
    release.set()
    await asyncio.wait_for(task, 5)
    assert finished == [1]


async def test_cancelling_ends_the_loop_in_a_step():
    started = asyncio.Event()
    cancelled_in_step: list[bool] = []

    async def step() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_in_step.append(True)
            raise

    task = asyncio.create_task(run_forever(step, name="test", backoff=Backoff(0.0, 0.0)))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert cancelled_in_step == [True]


@pytest.mark.parametrize("with_stop", [False, True])
async def test_cancelling_ends_the_loop_in_a_pause(with_stop):
    steps: list[int] = []

    async def step() -> None:
        steps.append(1)

    stop = asyncio.Event() if with_stop else None
    task = asyncio.create_task(run_forever(step, name="test", every=3600, stop=stop))
    while not steps:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert steps == [1]


async def test_a_cancellation_raised_inside_a_step_is_not_taken_for_a_failure():
    async def step() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(run_forever(step, name="test", backoff=Backoff(0.0, 0.0)), 5)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_is_stuck_once_it_has_not_turned_for_longer_than_allowed_beyond_its_pause():
    clock = Clock()
    hourly = LoopHealth("due-check", every=3600, clock=clock)
    busy = LoopHealth("relay", clock=clock)
    loops = Loops()
    loops.add(hourly)
    loops.add(busy)
    clock.now += 100
    assert loops.stuck(120) == []
    clock.now += 30
    busy.failed("JetStream did not acknowledge every event")
    assert loops.stuck(120) == [
        "The background loop relay has not completed a turn for 130 s (allowed 120 s);"
        " last error: JetStream did not acknowledge every event."
    ]
    busy.turned()
    assert loops.stuck(120) == [], "a turn clears it, and its last error"
    assert busy.last_error is None
    clock.now += 3600
    assert [reason.split(" has")[0] for reason in loops.stuck(120)] == [
        "The background loop due-check",
        "The background loop relay",
    ]


async def test_run_forever_records_each_turn_and_failure_and_lists_itself_while_it_runs():
    loops = Loops()
    outcomes = iter([None, RuntimeError("db away"), TryLater("mail server unreachable"), None])
    seen: list[tuple[float, str | None]] = []
    health = LoopHealth("sender")
    stop = asyncio.Event()

    async def step() -> None:
        seen.append((health.last_turn, health.last_error))
        assert list(loops) == [health]
        outcome = next(outcomes, None)
        if len(seen) == 4:
            stop.set()
        if outcome is not None:
            raise outcome

    CURRENT_LOOPS.set(loops)
    await asyncio.wait_for(
        run_forever(step, name="sender", backoff=Backoff(0.0, 0.0), stop=stop, health=health), 5
    )
    errors = [error for _, error in seen]
    assert errors == [None, None, "db away", "mail server unreachable"]
    assert seen[1][0] > seen[0][0], "the first step's return was a turn"
    assert seen[2][0] == seen[3][0], "failures are no turns"
    assert health.last_error is None, "the last step returned"
    assert list(loops) == [], "a loop that ended is no longer listed"
