"""A service keeps its dead letters, and its administrators have it handle one again, once."""

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from backbone.consumer import Consumer, Subscription
from backbone.deadletter_admin import (
    PAYLOAD_SHOWN_BYTES,
    NotReplayable,
    discard_dead_letter,
    list_dead_letters,
    replay_dead_letter,
)
from backbone.queries import backbone_queries as q
from backbone.testing import eventually

from .consuming import consumer, publish, running, stop


class ReadsText(BaseModel):
    """The fixed consumer: it reads `n` as text, as the publisher has come to send it."""

    n: str


async def _effects(pool) -> list:
    async with pool.acquire() as conn:
        return [r["n"] for r in await conn.fetch("SELECT n FROM effects ORDER BY n")]


async def _open_letters(pool) -> list:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT * FROM dead_letters WHERE status IN ('open', 'replaying') ORDER BY id"
        )


async def test_a_malformed_message_is_kept_and_replayed_once_after_the_fix(pool, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n text)")

    async def handler(conn, event, data) -> None:
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", str(data.n))

    await publish(nc, owner, "seven", aggregate="a/1", seq=1)
    tasks = running(consumer(pool, nc, owner, handler))
    try:
        [letter] = await eventually(lambda: _open_letters(pool), "the malformed message kept")
        # The consumer went on: the next event of the same aggregate is handled.
        await publish(nc, owner, 8, aggregate="a/1", seq=2)
        assert await eventually(lambda: _effects(pool), "the next event handled") == ["8"]
    finally:
        await stop(tasks)
    assert letter["subject"] == owner.happened.subject
    assert "cannot read" in letter["reason"] and "n:" in letter["reason"]
    assert b'"seven"' in bytes(letter["data"])

    # The consumer is fixed (a new version reads the field as text), and the letter replayed.
    fixed = Consumer(
        pool=pool, nc=nc, service=owner.name, durable=owner.name, stream=owner.stream,
        subscriptions=[Subscription(owner.happened.subject, ReadsText, handler)],
    )
    def again() -> Any:
        return replay_dead_letter(pool=pool, nc=nc, consumers=[fixed], letter_id=letter["id"], who="admin-1")

    first = await again()
    assert (first.status, first.outcome) == ("replayed", "Handled.")
    with pytest.raises(NotReplayable, match="already been replayed"):
        await again()
    assert await _effects(pool) == ["8", "seven"]
    assert await _open_letters(pool) == []
    async with pool.acquire() as conn:
        done = await q.get_dead_letter.fetchrow(conn, id=letter["id"], stale_seconds=300)
    assert (done["status"], done["resolved_by"]) == ("replayed", "admin-1")


async def test_a_double_click_on_replay_handles_a_transient_failure_once(pool, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    broken = True

    async def handler(conn, event, data) -> None:
        if broken:
            raise RuntimeError("the mail relay is away")
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    await publish(nc, owner, 7, aggregate="a/1")
    the_consumer = consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0)
    tasks = running(the_consumer)
    try:
        [letter] = await eventually(lambda: _open_letters(pool), "the failing event dead-lettered")
    finally:
        await stop(tasks)
    assert "the mail relay is away" in letter["reason"]

    broken = False
    results = await asyncio.gather(
        *(
            replay_dead_letter(pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter["id"], who="a")
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NotReplayable", "ReplayResult"]
    assert await _effects(pool) == [7]


async def test_a_replay_that_fails_again_stays_open_with_why(pool, nc, owner):
    async def handler(conn, event, data) -> None:
        raise RuntimeError("still broken")

    await publish(nc, owner, 7, aggregate="a/1")
    the_consumer = consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0)
    tasks = running(the_consumer)
    try:
        [letter] = await eventually(lambda: _open_letters(pool), "the failing event dead-lettered")
    finally:
        await stop(tasks)

    result = await replay_dead_letter(
        pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter["id"], who="a"
    )
    assert result.status == "open"
    assert "still broken" in result.outcome
    [still] = await _open_letters(pool)
    assert still["outcome"] == result.outcome


async def test_a_discarded_letter_is_never_replayed(pool, nc, owner):
    async def handler(conn, event, data) -> None:
        raise AssertionError("never called")

    await publish(nc, owner, "x", aggregate="a/1")
    the_consumer = consumer(pool, nc, owner, handler)
    tasks = running(the_consumer)
    try:
        [letter] = await eventually(lambda: _open_letters(pool), "the malformed message kept")
    finally:
        await stop(tasks)
    await discard_dead_letter(pool=pool, letter_id=letter["id"], who="a", note="test data")
    with pytest.raises(NotReplayable, match="discarded"):
        await replay_dead_letter(pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter["id"], who="a")
    with pytest.raises(LookupError):
        await discard_dead_letter(pool=pool, letter_id=999_999, who="a")


async def _record(pool, *, seq: int, data: bytes, reason: str) -> None:
    async with pool.acquire() as conn:
        await q.record_dead_letter.execute(
            conn, consumer="c", stream="S", stream_seq=seq, subject="s.x.v1", headers={},
            data=data, reason=reason, delivery_count=1,
        )


async def test_a_new_message_at_an_old_stream_sequence_is_a_new_dead_letter(pool):
    # A stream made anew numbers its messages from 1 again: that must not reopen an old letter.
    await _record(pool, seq=1, data=b'{"old": 1}', reason="old reason")
    [old] = await _open_letters(pool)
    await discard_dead_letter(pool=pool, letter_id=old["id"], who="a")
    await _record(pool, seq=1, data=b'{"new": 2}', reason="new reason")
    [new] = await _open_letters(pool)
    assert new["id"] != old["id"]
    assert (bytes(new["data"]), new["reason"]) == (b'{"new": 2}', "new reason")
    async with pool.acquire() as conn:
        kept = await q.get_dead_letter.fetchrow(conn, id=old["id"], stale_seconds=300)
    assert (kept["status"], bytes(kept["data"])) == ("discarded", b'{"old": 1}')
    # The same message again (a redelivery) is still the one row.
    await _record(pool, seq=1, data=b'{"new": 2}', reason="again")
    [same] = await _open_letters(pool)
    assert (same["id"], same["times"], same["reason"]) == (new["id"], 2, "again")


async def test_the_list_comes_in_pages_with_each_payload_cut_but_its_size_told(pool):
    big = b'{"n": "' + b"x" * 100_000 + b'"}'
    deep = b"[" * 100_000
    for seq, data in enumerate([b'{"n": 1}', big, deep], start=1):
        await _record(pool, seq=seq, data=data, reason=f"reason {seq}")

    first = await list_dead_letters(pool=pool, service="svc", include_resolved=False, limit=2)
    assert [d.reason for d in first.items] == ["reason 3", "reason 2"]
    assert first.next is not None
    assert first.items[0].payload_bytes == len(deep)
    assert first.items[1].payload_bytes == len(big)
    assert len(first.items[1].payload.encode()) < PAYLOAD_SHOWN_BYTES + 200
    assert first.items[1].payload.endswith(f"({len(big) - PAYLOAD_SHOWN_BYTES} more bytes not shown)")

    rest = await list_dead_letters(
        pool=pool, service="svc", include_resolved=False, limit=2,
        before_at=first.next.before_at, before_id=first.next.before_id,
    )
    assert [d.reason for d in rest.items] == ["reason 1"]
    assert rest.next is None


async def _prune_whole_inbox(pool, owner) -> None:
    """As the hourly prune does once the stream's max_age has passed since the events were handled."""
    async with pool.acquire() as conn:
        await q.prune_inbox.execute(conn, consumer=owner.name, older_than_seconds=0)
        await q.prune_inbox_attempts.execute(conn, consumer=owner.name)


async def test_a_cancelled_replay_is_open_again_and_can_be_replayed(pool, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    started, release = asyncio.Event(), asyncio.Event()
    broken = True

    async def handler(conn, event, data) -> None:
        if broken:
            raise RuntimeError("the mail relay is away")
        started.set()
        await release.wait()
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    await publish(nc, owner, 7, aggregate="a/1")
    the_consumer = consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0)
    tasks = running(the_consumer)
    try:
        [letter] = await eventually(lambda: _open_letters(pool), "the failing event dead-lettered")
    finally:
        await stop(tasks)
    broken = False

    def replay() -> Any:
        return replay_dead_letter(pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter["id"], who="a")

    # The administrator's request goes away mid-replay (a closed tab, a stopping service).
    replaying = asyncio.create_task(replay())
    await asyncio.wait_for(started.wait(), 10)
    replaying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await replaying
    [again] = await _open_letters(pool)
    assert again["status"] == "open" and "cancelled" in again["outcome"]
    assert await _effects(pool) == []

    release.set()
    result = await replay()
    assert (result.status, result.outcome) == ("replayed", "Handled.")
    assert await _effects(pool) == [7]


async def test_a_replay_claim_left_by_a_stopped_process_shows_open_and_can_be_discarded(pool):
    async with pool.acquire() as conn:
        await q.record_dead_letter.execute(
            conn, consumer="c", stream="S", stream_seq=1, subject="s.x.happened.v1", headers={},
            data=b"{}", reason="broken", delivery_count=1,
        )
        letter_id = await conn.fetchval("SELECT id FROM dead_letters")
        # A replay that began ten minutes ago in a process that was killed (no cancellation ran).
        await conn.execute(
            "UPDATE dead_letters SET status = 'replaying', replay_started_at = now() - interval '10 minutes'"
        )
    [shown] = (await list_dead_letters(pool=pool, service="s", include_resolved=False)).items
    assert shown.status == "open"
    await discard_dead_letter(pool=pool, letter_id=letter_id, who="admin-1")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM dead_letters") == "discarded"


async def test_a_never_handled_dead_letter_is_handled_on_replay_after_the_inbox_was_pruned(pool, nc, owner):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    broken = True

    async def handler(conn, event, data) -> None:
        if broken:
            raise RuntimeError("the mail relay is away")
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    await publish(nc, owner, 7, aggregate="a/1", seq=1)
    await publish(nc, owner, 8, aggregate="a/1", seq=2)
    the_consumer = consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0)
    tasks = running(the_consumer)
    try:
        async def both() -> list:
            rows = await _open_letters(pool)
            return rows if len(rows) == 2 else []

        letters = await eventually(both, "both dead-lettered")
    finally:
        await stop(tasks)
    broken = False
    await _prune_whole_inbox(pool, owner)
    for letter in letters:
        result = await replay_dead_letter(
            pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter["id"], who="a"
        )
        assert (result.status, result.outcome) == ("replayed", "Handled."), result
    assert await _effects(pool) == [7, 8]


async def test_a_dead_letter_of_an_event_handled_since_is_not_handled_again_after_the_inbox_was_pruned(
    pool, nc, owner
):
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (n int)")
    broken = True

    async def handler(conn, event, data) -> None:
        if broken:
            raise RuntimeError("the mail relay is away")
        await conn.execute("INSERT INTO effects (n) VALUES ($1)", data.n)

    event_id = await publish(nc, owner, 7, aggregate="a/1", seq=1)
    the_consumer = consumer(pool, nc, owner, handler, backoff=[0.05], max_deliver=2, ack_wait=2.0)
    tasks = running(the_consumer)
    try:
        [first] = await eventually(lambda: _open_letters(pool), "the failing event dead-lettered")
        broken = False
        # The operator's command line sends the event again on its subject (backbone.deadletters
        # replay): the running consumer handles it, while the copy kept in the database stays open.
        await publish(nc, owner, 7, aggregate="a/1", seq=1, event_id=event_id, msg_id="replay:1")
        assert await eventually(lambda: _effects(pool), "handled from the command line") == [7]
    finally:
        await stop(tasks)
    await _prune_whole_inbox(pool, owner)

    def replay(letter_id: int) -> Any:
        return replay_dead_letter(pool=pool, nc=nc, consumers=[the_consumer], letter_id=letter_id, who="a")

    late = await replay(first["id"])
    assert late.status == "replayed" and "already been handled" in late.outcome, late
    assert await _effects(pool) == [7]

    # And once more from the command line, after the prune: the consumer sets it aside as too late,
    # and that new dead letter, replayed, has no second effect either.
    tasks = running(the_consumer)
    try:
        await publish(nc, owner, 7, aggregate="a/1", seq=1, event_id=event_id, msg_id="replay:2")
        [second] = await eventually(lambda: _open_letters(pool), "the late copy dead-lettered")
    finally:
        await stop(tasks)
    again = await replay(second["id"])
    assert again.status == "replayed" and "already been handled" in again.outcome, again
    assert await _effects(pool) == [7]
