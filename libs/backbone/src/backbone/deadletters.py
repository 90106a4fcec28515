"""Look at dead letters and send them back: `python -m backbone.deadletters {list,replay,set-aside}`.

A dead letter keeps the original message as it was, with why it could not be handled. Once the
cause is fixed (a handler bug, say), `replay` publishes the original again on its own subject,
as its own stream still holds it (the dead letter only says where), with its original headers (the
aggregate among them); the consumers' inboxes make sure an event that did get handled has no
second effect, while they remember it: an inbox forgets an event once the stream's max_age has
passed since it was handled. After that a replay from here of an event with an aggregate number is
set aside as too late (a new dead letter, which the service's administrators' replay recognises
as handled: backbone.deadletter_admin), but one without a number would be handled again. So replay
old dead letters through the service's `/v1/admin/dead-letters`, which keeps the record, not here.

`set-aside` lists the other kind: outbox rows the relay could never publish (see relay.py). Their
events never reached any consumer; they stay in the service's outbox until an operator acts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from backbone.outbox import AGGREGATE_HEADER
from backbone.relay import set_aside_rows
from backbone.streams import DEAD_LETTER_STREAM

# Headers a replay leaves behind: the dead letter's own, and JetStream's per-publish ones (an old
# message id would be dropped as a duplicate, an old expectation would refuse the publish).
_NOT_REPLAYED = ("Dead-Letter-", "Nats-")


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    consumer: str
    subject: str
    reason: str
    delivery_count: int
    data: bytes


async def read_dead_letters(nc: NATS, *, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
    """The oldest `limit` dead letters, of one consumer or of all."""
    js = nc.jetstream()
    subject = f"deadletter.*.{consumer}" if consumer else "deadletter.>"
    try:
        pending = (await js.stream_info(DEAD_LETTER_STREAM)).state.messages
    except NotFoundError:
        return []
    sub = await js.pull_subscribe(
        subject, stream=DEAD_LETTER_STREAM, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    found: list[DeadLetter] = []
    try:
        while len(found) < min(limit, pending):
            try:
                msgs = await sub.fetch(min(100, limit - len(found)), timeout=1.0)
            except TimeoutError:
                break
            for msg in msgs:
                headers = msg.headers or {}
                found.append(
                    DeadLetter(
                        sequence=msg.metadata.sequence.stream,
                        consumer=headers.get("Dead-Letter-Consumer", "?"),
                        subject=headers.get("Dead-Letter-Subject", "?"),
                        reason=headers.get("Dead-Letter-Reason", ""),
                        delivery_count=int(headers.get("Dead-Letter-Delivery-Count", "0")),
                        data=msg.data,
                    )
                )
    finally:
        await sub.unsubscribe()
    return found


async def replay(nc: NATS, sequence: int) -> str:
    """Publish the original of dead letter `sequence` again on its subject; returns that subject.

    What is sent is the message as its own stream still holds it, never the dead letter's copy: a
    replay runs with the operator's rights, and anyone who can publish under `deadletter.>` could
    otherwise have any body sent on any subject.
    """
    js = nc.jetstream()
    try:
        stored = await js.get_msg(DEAD_LETTER_STREAM, sequence)
    except NotFoundError:
        raise LookupError(f"There is no dead letter number {sequence}.") from None
    named = stored.headers or {}
    subject = named.get("Dead-Letter-Subject")
    stream = named.get("Dead-Letter-Stream")
    at = named.get("Dead-Letter-Stream-Sequence", "")
    if not subject or not stream or not at.isdigit():
        raise LookupError(
            f"Dead letter {sequence} does not say where its original is (stream and sequence); "
            "it cannot be replayed. Look at it with `list` and publish it by hand if it is genuine."
        )
    if stream == DEAD_LETTER_STREAM:
        raise LookupError(f"Dead letter {sequence} names the dead-letter stream itself; not replaying it.")
    try:
        filters = (await js.stream_info(stream)).config.subjects or []
    except NotFoundError:
        raise LookupError(f"Dead letter {sequence} names stream {stream}, which does not exist.") from None
    if not any(_matches(f, subject) for f in filters):
        raise LookupError(
            f"Dead letter {sequence}: {subject} is not a subject of stream {stream} ({', '.join(filters)}); "
            "refusing to replay it."
        )
    try:
        original = await js.get_msg(stream, int(at))
    except NotFoundError:
        raise LookupError(
            f"The original of dead letter {sequence} (#{at}) is no longer in stream {stream} "
            "(aged out or removed); it cannot be replayed."
        ) from None
    if original.subject != subject or (original.data or b"") != (stored.data or b""):
        raise LookupError(
            f"Dead letter {sequence} differs from the original #{at} in stream {stream}; not replaying it."
        )
    headers = {k: v for k, v in (original.headers or {}).items() if not k.startswith(_NOT_REPLAYED)}
    if AGGREGATE_HEADER not in headers and (aggregate := _aggregate_of(original.data or b"")):
        headers[AGGREGATE_HEADER] = aggregate  # a message that lost it: the event still says it
    headers["Nats-Msg-Id"] = f"replay:{sequence}"
    await js.publish(subject, original.data or b"", headers=headers)
    return subject


def _matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a final `>` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


def _aggregate_of(data: bytes) -> str | None:
    """The aggregate a CloudEvent is about (its `subject`), if the data is one."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    aggregate = doc.get("subject") if isinstance(doc, dict) else None
    return aggregate if isinstance(aggregate, str) and aggregate else None


async def _list_set_aside(database_url: str, limit: int) -> int:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await set_aside_rows(conn, limit=limit)
    finally:
        await conn.close()
    if not rows:
        print("No outbox rows set aside.")
    for r in rows:
        when = r.set_aside_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        print(f"#{r.id}  {r.subject}  {r.aggregate}  event={r.event_id}  {r.size} bytes  set aside {when}")
        print(f"    {r.reason}")
    return 0


async def _main(args: argparse.Namespace) -> int:
    if args.command == "set-aside":
        return await _list_set_aside(args.database_url, args.limit)
    nc = await nats.connect(args.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        if args.command == "list":
            letters = await read_dead_letters(nc, consumer=args.consumer, limit=args.limit)
            if not letters:
                print("No dead letters.")
            for d in letters:
                print(f"#{d.sequence}  {d.subject}  consumer={d.consumer}  deliveries={d.delivery_count}")
                print(f"    {d.reason}")
            return 0
        try:
            subject = await replay(nc, args.sequence)
        except LookupError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"Dead letter #{args.sequence} published again on {subject}.")
        return 0
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backbone.deadletters", description=__doc__)
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show dead letters with their reasons")
    listing.add_argument("--consumer", help="only this consumer's (e.g. notify)")
    listing.add_argument("--limit", type=int, default=100)
    again = commands.add_parser("replay", help="publish one dead letter again on its subject")
    again.add_argument("sequence", type=int, help="its number, as `list` shows it")
    aside = commands.add_parser(
        "set-aside", help="show outbox rows the relay could never publish, with why (read from the database)"
    )
    aside.add_argument(
        "--database-url", required=True, help="the service's database, e.g. postgresql://…/meetings"
    )
    aside.add_argument("--limit", type=int, default=100)
    sys.exit(asyncio.run(_main(parser.parse_args(argv))))


if __name__ == "__main__":
    main()
