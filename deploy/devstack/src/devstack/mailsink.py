"""A local SMTP server that keeps every message in a Maildir (`mutt -f var/mail` reads it).

A message whose Message-ID is already in the Maildir is accepted and dropped, as mail stores do,
so a sender that re-sends after a crash leaves one copy in the mailbox.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.parser
import email.policy
import mailbox
import signal
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.box = mailbox.Maildir(str(maildir), create=True)
        self.seen: set[str] = set()
        for key in self.box.iterkeys():
            msg = self.box.get_message(key)
            if msg["Message-ID"]:
                self.seen.add(msg["Message-ID"].strip())
        self.stored = 0
        self.duplicates = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        # Only the headers are needed to recognise a copy; parsing the whole message costs 30 times more.
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        message_id = (headers["Message-ID"] or "").strip()
        if message_id and message_id in self.seen:
            self.duplicates += 1
            return "250 OK (already delivered)"
        self.box.add(mailbox.MaildirMessage(raw))
        if message_id:
            self.seen.add(message_id)
        self.stored += 1
        return "250 OK"


def start_sink(maildir: Path, host: str, port: int) -> tuple[Controller, MaildirHandler]:
    handler = MaildirHandler(maildir)
    controller = Controller(handler, hostname=host, port=port, server_kwargs={"decode_data": False})
    controller.start()
    return controller, handler


def read_maildir(maildir: Path) -> list[email.message.EmailMessage]:
    """Every message in the Maildir, parsed, oldest first."""
    box = mailbox.Maildir(str(maildir), create=True)
    messages: list[Any] = []
    for key in box.iterkeys():
        with box.get_file(key) as f:
            messages.append(email.message_from_binary_file(f, policy=email.policy.default))  # type: ignore[call-overload]
    messages.sort(key=lambda m: m["Date"].datetime if m["Date"] else 0)
    return messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.mailsink", description=__doc__)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args(argv)
    controller, _ = start_sink(args.maildir, args.host, args.port)
    stop = asyncio.Event()

    async def wait() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
