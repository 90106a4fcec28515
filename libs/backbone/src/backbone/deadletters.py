"""Look at dead letters and send them back: `python -m backbone.deadletters {list,replay}`.

A dead letter keeps the original message as it was, with why it could not be handled. Once the
cause is fixed (a handler bug, say), `replay` publishes the original again on its own subject;
the consumers' inboxes make sure an event that did get handled has no second effect.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from backbone.streams import DEAD_LETTER_STREAM


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
    """Publish dead letter `sequence` again on its original subject; returns that subject."""
    js = nc.jetstream()
    try:
        stored = await js.get_msg(DEAD_LETTER_STREAM, sequence)
    except NotFoundError:
        raise LookupError(f"There is no dead letter number {sequence}.") from None
    subject = (stored.headers or {}).get("Dead-Letter-Subject")
    if not subject:
        raise LookupError(f"Dead letter {sequence} does not say which subject it came from.")
    await js.publish(subject, stored.data or b"", headers={"Nats-Msg-Id": f"replay:{sequence}"})
    return subject


async def _main(args: argparse.Namespace) -> int:
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
    sys.exit(asyncio.run(_main(parser.parse_args(argv))))


if __name__ == "__main__":
    main()
