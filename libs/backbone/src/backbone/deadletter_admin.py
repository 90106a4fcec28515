"""The administrators' API for a service's own dead letters: list them, replay one, discard one.

Every service mounts it (`/v1/admin/dead-letters`, administrators only; see http.install_platform),
and the gateway's page gathers from all of them. A replay needs no NATS rights beyond the service's
own: the service keeps each dead letter in its database as it came (consumer._dead_letter) and runs
its own consumer's handling on that copy, inbox, order and all, so an event that did get handled has
no second effect, and a message that fails again is dead-lettered again with its new reason.

The inbox forgets events once the stream can no longer deliver them (Consumer.prune), but dead
letters stay, so a replay may come long after. An event handled since it was dead-lettered (by a
replay from the command line, or a copy replayed here) is then recognised by what outlives the
inbox: its failures and set-aside mark are gone (only handling it removes them), or another dead
letter of it was replayed. Such a replay is reported as already handled and not run again; one
never handled still has its mark and is handled, after the later events of its aggregate if need be.

A replay that is cancelled (the request went away, the service stops) gives its claim back; one
whose process was killed leaves a claim that reads as open after STALE_REPLAY_SECONDS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from pydantic import BaseModel

from backbone.access import ADMINISTRATOR
from backbone.consumer import Consumer
from backbone.envelope import BadEnvelope, parse_envelope
from backbone.identity import Identity, require_roles
from backbone.logs import get_logger
from backbone.queries import backbone_queries as q

log = get_logger(__name__)

# A replay still marked as running after this long belonged to a process that stopped mid-way.
STALE_REPLAY_SECONDS = 300.0
# The page shows the payload as text; a bigger one is cut (the whole stays in the database).
PAYLOAD_SHOWN_BYTES = 16_384


class _StoredMessage(Msg):
    """A dead letter's stored copy, handed to the consumer as if JetStream delivered it again.

    Its acks go nowhere: they only tell the replay what the consumer decided.
    """

    def __init__(self, nc: NATS, row: asyncpg.Record) -> None:
        super().__init__(
            _client=nc, subject=row["subject"], data=bytes(row["data"]), headers=dict(row["headers"])
        )
        self._metadata = Msg.Metadata(
            sequence=Msg.Metadata.SequencePair(consumer=0, stream=int(row["stream_seq"])),
            num_pending=0,
            # Counted as its first delivery: a subject this version does not read is left at once.
            num_delivered=1,
            timestamp=dt.datetime.now(dt.UTC),
            stream=row["stream"],
            consumer=row["consumer"],
        )
        self.decision: str | None = None

    async def ack(self) -> None:
        self.decision = "ack"

    async def nak(self, delay: float | None = None) -> None:
        self.decision = "nak"

    async def in_progress(self) -> None:
        return None


@dataclass(frozen=True)
class ReplayResult:
    status: str  # replayed (handled now, or had been already) / open (not handled: see outcome)
    outcome: str


class NotReplayable(Exception):
    """The dead letter cannot be replayed now: already dealt with, being replayed, or not ours."""


async def replay_dead_letter(
    *, pool: asyncpg.Pool, nc: NATS, consumers: list[Consumer], letter_id: int, who: str
) -> ReplayResult:
    """Run the consumer that dead-lettered it on the stored message once, and record what came of it.

    Claimed first, so a second click while it runs (or after) does nothing; the inbox makes even a
    second run harmless.
    """
    async with pool.acquire() as conn:
        row = await q.claim_dead_letter_for_replay.fetchrow(
            conn, id=letter_id, stale_seconds=STALE_REPLAY_SECONDS
        )
        if row is None:
            existing = await _letter(conn, letter_id)
            if existing is None:
                raise LookupError(f"There is no dead letter {letter_id} here.")
            raise NotReplayable(_not_open(existing["status"]))
    try:
        result = await _replay_claimed(pool=pool, nc=nc, consumers=consumers, row=row, who=who)
    except asyncio.CancelledError:
        # Not decided: give the claim back, or the letter reads "being replayed" until it goes stale.
        cancelled = ReplayResult("open", "The replay was cancelled before it ended. Try again.")
        await asyncio.shield(_finish(pool, letter_id, cancelled, who))
        raise
    except Exception as exc:
        # The database or NATS went away mid-way: nothing is decided; it stays open for another try.
        await _finish(pool, letter_id, ReplayResult("open", f"The replay stopped: {exc!r}. Try again."), who)
        raise
    log.info("dead letter replayed", letter=letter_id, by=who, status=result.status, outcome=result.outcome)
    return result


async def _replay_claimed(
    *, pool: asyncpg.Pool, nc: NATS, consumers: list[Consumer], row: asyncpg.Record, who: str
) -> ReplayResult:
    letter_id = int(row["id"])
    consumer = next(
        (c for c in consumers if c.durable == row["consumer"] and c.stream == row["stream"]), None
    )
    if consumer is None:
        result = ReplayResult(
            "open",
            f"No consumer {row['consumer']} of stream {row['stream']} runs in this version of the "
            "service, so nothing can handle it. Discard it, or replay it once a version that reads it runs.",
        )
        await _finish(pool, letter_id, result, who)
        return result
    event_id = _event_id(bytes(row["data"]))
    async with pool.acquire() as conn:
        handled_before = bool(
            event_id and await q.inbox_has_event.fetchval(conn, consumer=consumer.durable, event_id=event_id)
        )
        if event_id and not handled_before and await _handled_since_pruned(conn, row, consumer, event_id):
            result = ReplayResult(
                "replayed",
                "It had already been handled (the inbox has since forgotten it); "
                "the replay had no second effect.",
            )
            await _finish(pool, letter_id, result, who)
            return result
    msg = _StoredMessage(nc, row)
    await consumer.handle(msg)
    if msg.decision == "nak":
        async with pool.acquire() as conn:
            error = event_id and await q.last_handler_error.fetchval(
                conn, consumer=consumer.durable, event_id=event_id
            )
        result = ReplayResult(
            "open",
            f"Not handled: {error}" if error else "Not handled yet: it waits for an earlier event "
            "of its aggregate, or no handler in this version reads its subject. Try again later.",
        )
    elif handled_before:
        result = ReplayResult("replayed", "It had already been handled; the replay had no second effect.")
    else:
        result = ReplayResult("replayed", "Handled.")
    if not await _finish(pool, letter_id, result, who):
        # The consumer dead-lettered it again, which opened the row anew with the new reason.
        async with pool.acquire() as conn:
            again = await _letter(conn, letter_id)
        result = ReplayResult("open", f"Dead-lettered again: {again['reason'] if again else '?'}")
        async with pool.acquire() as conn:
            await q.note_replay_outcome.execute(conn, id=letter_id, outcome=result.outcome)
    return result


async def _handled_since_pruned(
    conn: asyncpg.Connection, row: asyncpg.Record, consumer: Consumer, event_id: str
) -> bool:
    """Whether the event was handled although the inbox no longer says so (it was pruned).

    Failing and dead-lettering an event leave a row in `inbox_attempts` (its failures, then its
    set-aside mark, Consumer._set_aside) that only handling it removes, so a letter without one was
    handled. A letter made when a copy came too late has a fresh mark: then another dead letter of
    the same event that a replay handled says so.
    """
    if not await q.inbox_attempts_kept.fetchval(conn, consumer=consumer.durable, event_id=event_id):
        return True
    replayed = await q.replayed_letters_of_subject.fetch(
        conn, consumer=row["consumer"], subject=row["subject"], id=row["id"]
    )
    return any(_event_id(bytes(r["data"])) == event_id for r in replayed)


async def _letter(conn: asyncpg.Connection, letter_id: int) -> asyncpg.Record | None:
    return await q.get_dead_letter.fetchrow(conn, id=letter_id, stale_seconds=STALE_REPLAY_SECONDS)


async def _finish(pool: asyncpg.Pool, letter_id: int, result: ReplayResult, who: str) -> bool:
    async with pool.acquire() as conn:
        done = await q.finish_replay.execute(
            conn, id=letter_id, status=result.status, outcome=result.outcome[:2000], who=who
        )
    return done.endswith(" 1")


async def discard_dead_letter(*, pool: asyncpg.Pool, letter_id: int, who: str, note: str = "") -> None:
    """Mark it dealt with by hand: its message is never handled here."""
    async with pool.acquire() as conn:
        done = await q.discard_dead_letter.fetchval(
            conn,
            id=letter_id,
            who=who,
            outcome=(note.strip() or "Discarded.")[:2000],
            stale_seconds=STALE_REPLAY_SECONDS,
        )
        if done is None:
            existing = await _letter(conn, letter_id)
            if existing is None:
                raise LookupError(f"There is no dead letter {letter_id} here.")
            raise NotReplayable(_not_open(existing["status"]))


PRUNE_BATCH = 5000


async def prune_dead_letters(pool: asyncpg.Pool, *, older_than_seconds: float) -> int:
    """Forget the dead letters dealt with (replayed or discarded) longer ago than `older_than_seconds`;
    how many. Their payloads may name people, and a dealt-with letter has nothing left to do. Open
    ones stay. A batch per statement, so a long backlog holds no lock for long."""
    forgotten = 0
    while True:
        async with pool.acquire() as conn:
            done = await q.prune_dead_letters.execute(
                conn, older_than_seconds=older_than_seconds, batch=PRUNE_BATCH
            )
        count = int(done.rsplit(" ", 1)[-1])
        forgotten += count
        if count < PRUNE_BATCH:
            return forgotten


def _not_open(status: str) -> str:
    return {
        "replaying": "It is being replayed right now. Wait a moment and look again.",
        "replayed": "It has already been replayed and handled.",
        "discarded": "It has already been discarded.",
    }.get(status, f"It is {status}.")


def _event_id(data: bytes) -> str | None:
    try:
        return parse_envelope(data).id
    except BadEnvelope:
        return None


def payload_text(data: bytes) -> str:
    """The payload for people to read: JSON indented, anything else as text with odd bytes marked."""
    return _shown(data[:PAYLOAD_SHOWN_BYTES], len(data))


def _shown(shown: bytes, size: int) -> str:
    try:
        text = json.dumps(json.loads(shown), indent=2, ensure_ascii=False)
    except Exception:  # noqa: BLE001 - not only ValueError: JSON nested deep raises RecursionError
        text = shown.decode("utf-8", errors="backslashreplace")
    if size > len(shown):
        text += f"\n… ({size - len(shown)} more bytes not shown)"
    return text


class DeadLetterPublic(BaseModel):
    service: str
    id: int
    consumer: str
    stream: str
    stream_seq: int
    subject: str
    reason: str
    delivery_count: int
    times: int
    dead_lettered_at: dt.datetime
    status: str
    resolved_at: dt.datetime | None
    resolved_by: str | None
    outcome: str | None
    payload: str
    payload_bytes: int


class DeadLetterCursor(BaseModel):
    """Where the next page starts: the letters dead-lettered before this one (keyset paging)."""

    before_at: dt.datetime
    before_id: int


class DeadLetterPage(BaseModel):
    service: str
    items: list[DeadLetterPublic]
    # None when this page is the last.
    next: DeadLetterCursor | None = None


# Small pages: the gateway gathers one from every service, each payload up to PAYLOAD_SHOWN_BYTES.
PAGE_DEFAULT = 25
PAGE_MAX = 100


async def list_dead_letters(
    *,
    pool: asyncpg.Pool,
    service: str,
    include_resolved: bool,
    limit: int = PAGE_DEFAULT,
    before_at: dt.datetime | None = None,
    before_id: int | None = None,
) -> DeadLetterPage:
    """One page of dead letters, newest first; `next` says where the following page begins."""
    async with pool.acquire() as conn:
        rows = await q.list_dead_letters.fetch(
            conn,
            include_resolved=include_resolved,
            # One more than asked, to know whether another page follows.
            limit=limit + 1,
            before_at=before_at,
            before_id=before_id if before_id is not None else 0,
            shown_bytes=PAYLOAD_SHOWN_BYTES,
            stale_seconds=STALE_REPLAY_SECONDS,
        )
    items = [_public(service, r) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return DeadLetterPage(
        service=service,
        items=items,
        next=DeadLetterCursor(before_at=last.dead_lettered_at, before_id=last.id) if last else None,
    )


# Administrators only: payloads may carry names and addresses.
Admin = Annotated[Identity, require_roles(ADMINISTRATOR)]


class DiscardBody(BaseModel):
    note: str = ""


_NOT_STORED = {"service", "payload", "payload_bytes"}


def _public(service: str, row: asyncpg.Record) -> DeadLetterPublic:
    """`data` is the whole payload, or (from list_dead_letters) its start with `data_bytes` its size."""
    data = bytes(row["data"])[:PAYLOAD_SHOWN_BYTES]
    size = row.get("data_bytes") or len(row["data"])
    return DeadLetterPublic(
        service=service,
        **{k: row[k] for k in DeadLetterPublic.model_fields if k not in _NOT_STORED},
        payload=_shown(data, size),
        payload_bytes=size,
    )


def dead_letter_router(service: str) -> APIRouter:
    router = APIRouter(prefix="/v1/admin/dead-letters", tags=["dead letters"])

    @router.get("", response_model=DeadLetterPage)
    async def list_letters(
        request: Request,
        _who: Admin,
        include_resolved: bool = False,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
        before_at: dt.datetime | None = None,
        before_id: Annotated[int, Query(ge=0)] = 0,
    ) -> DeadLetterPage:
        return await list_dead_letters(
            pool=request.app.state.runtime.pool,
            service=service,
            include_resolved=include_resolved,
            limit=limit,
            before_at=before_at,
            before_id=before_id,
        )

    @router.get("/{letter_id}", response_model=DeadLetterPublic)
    async def one_letter(request: Request, _who: Admin, letter_id: int) -> DeadLetterPublic:
        async with request.app.state.runtime.pool.acquire() as conn:
            row = await _letter(conn, letter_id)
        if row is None:
            raise HTTPException(404, f"There is no dead letter {letter_id} in {service}.")
        return _public(service, row)

    @router.post("/{letter_id}/replay")
    async def replay(request: Request, who: Admin, letter_id: int) -> dict[str, Any]:
        runtime = request.app.state.runtime
        try:
            result = await replay_dead_letter(
                pool=runtime.pool,
                nc=runtime.nc,
                consumers=runtime.build_consumers(),
                letter_id=letter_id,
                who=who.subject,
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        except NotReplayable as exc:
            raise HTTPException(409, str(exc)) from None
        return {"id": letter_id, "status": result.status, "outcome": result.outcome}

    @router.post("/{letter_id}/discard", status_code=204)
    async def discard(request: Request, who: Admin, letter_id: int, body: DiscardBody | None = None) -> None:
        try:
            await discard_dead_letter(
                pool=request.app.state.runtime.pool,
                letter_id=letter_id,
                who=who.subject,
                note=body.note if body else "",
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        except NotReplayable as exc:
            raise HTTPException(409, str(exc)) from None

    return router
