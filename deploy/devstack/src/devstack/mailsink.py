"""A local SMTP server that keeps every message in a Maildir (`mutt -f var/mail` reads it).

A message whose Message-ID is already in the Maildir is accepted and dropped, as mail stores do,
so the dev mailbox shows one copy. Tests must not count that mailbox to prove "sent once": every
message the sink is handed (every DATA) is also appended, copies included, to a JSON-lines
attempts log beside the Maildir, and that log is what "sent once" is checked against.

For tests of a sender's failure handling the sink can misbehave on the N-th message (counted by
MAIL) as real mail servers do (see `Fault`): answer `421` to MAIL (busy or restarting), answer
`421` after the whole message was sent (not taken), take the message and hang up before its `250`
(the sender cannot know it went), or answer with any bytes at all. It can also be slow to answer
DATA, so a test can act while a message is in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.parser
import email.policy
import json
import mailbox
import signal
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

REFUSAL = "421 4.3.2 Service not available, closing transmission channel; try again later"


def attempts_log_for(maildir: Path) -> Path:
    """Where the sink of `maildir` appends its attempts log: beside it, not inside the Maildir."""
    return maildir.with_name(maildir.name + "-attempts.jsonl")


@dataclass(frozen=True)
class Fault:
    """What the sink does to one message instead of taking it and answering `250`."""

    at: str  # "MAIL": before anything is handed over; "DATA": after the whole message was sent
    reply: str | bytes | None = REFUSAL  # None: hang up without a word
    taken: bool = False  # stored (the recipient has it) although the sender never hears `250`


REFUSE_MAIL = Fault("MAIL")
REFUSE_DATA = Fault("DATA")
DROP_AFTER_DATA = Fault("DATA", reply=None, taken=True)


class MaildirHandler:
    def __init__(
        self,
        maildir: Path,
        *,
        attempts_log: Path | None = None,
        refuse_nth: int | None = None,
        faults: dict[int, Fault] | None = None,
        data_delay: float = 0.0,
    ) -> None:
        self.box = mailbox.Maildir(str(maildir), create=True)
        self.seen: set[str] = set()
        for key in self.box.iterkeys():
            msg = self.box.get_message(key)
            if msg["Message-ID"]:
                self.seen.add(msg["Message-ID"].strip())
        self.stored = 0
        self.duplicates = 0
        self.messages = 0  # messages begun (MAIL commands), counting refused ones
        self.faults = dict(faults or {})
        if refuse_nth is not None:
            self.faults[refuse_nth] = REFUSE_MAIL
        self.data_delay = data_delay
        self._log = (attempts_log or attempts_log_for(maildir)).open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def _record(self, **entry: Any) -> None:
        line = json.dumps({"at": datetime.now(UTC).isoformat(), **entry}, ensure_ascii=False)
        with self._lock:
            self._log.write(line + "\n")
            self._log.flush()  # read by tests in other threads and processes while the sink runs

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str | bytes:
        self.messages += 1
        session.message_number = self.messages  # type: ignore[attr-defined]
        fault = self.faults.get(self.messages)
        if fault is not None and fault.at == "MAIL":
            self._record(stage="MAIL", message_id=None, to=[], reply=_code(fault.reply))
            return _answer(server, fault.reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str | bytes:  # noqa: N802
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        # Only the headers are needed to recognise a copy; parsing the whole message costs 30 times more.
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        message_id = (headers["Message-ID"] or "").strip() or None
        to = list(envelope.rcpt_tos)
        fault = self.faults.get(getattr(session, "message_number", 0))
        if fault is not None and fault.at == "DATA":
            if fault.taken:
                self._store(raw, message_id)
            # A taken message is a delivery whatever the sender heard: `deliveries` counts it.
            reply = "250" if fault.taken else _code(fault.reply)
            self._record(stage="DATA", message_id=message_id, to=to, reply=reply, fault=_code(fault.reply))
            return _answer(server, fault.reply)
        self._record(stage="DATA", message_id=message_id, to=to, reply="250")
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 OK" if self._store(raw, message_id) else "250 OK (already delivered)"

    def _store(self, raw: bytes, message_id: str | None) -> bool:
        """Keep one copy per Message-ID, as mail stores do; False for a copy."""
        if message_id and message_id in self.seen:
            self.duplicates += 1
            return False
        # The bytes as they came, with the line ends of a local file: parsing the message into
        # objects and writing it out again cost most of the sink's time, for the same file.
        self.box.add(raw.replace(b"\r\n", b"\n"))
        if message_id:
            self.seen.add(message_id)
        self.stored += 1
        return True

    def close(self) -> None:
        with self._lock:
            self._log.close()


def _code(reply: str | bytes | None) -> str:
    """The reply code for the attempts log: "421", or "hung up"."""
    if reply is None:
        return "hung up"
    return (reply.decode("ascii", "replace") if isinstance(reply, bytes) else reply)[:3]


def _answer(server: SMTP, reply: str | bytes | None) -> str | bytes:
    if reply is not None:
        return reply
    # Hang up before answering, as a server that crashes or restarts at the wrong moment does.
    assert isinstance(server.transport, asyncio.Transport)
    server.transport.abort()
    return b""


def start_sink(
    maildir: Path,
    host: str,
    port: int,
    *,
    attempts_log: Path | None = None,
    refuse_nth: int | None = None,
    faults: dict[int, Fault] | None = None,
    data_delay: float = 0.0,
    smtputf8: bool = True,
    tls_context: ssl.SSLContext | None = None,
) -> tuple[Controller, MaildirHandler]:
    """`smtputf8=False` plays a relay that cannot take non-ASCII addresses, as many cannot.

    `faults` maps message numbers (1 for the first MAIL) to what the sink does to them instead of
    taking them; `data_delay` is how long it waits before answering each DATA it takes. With
    `tls_context` the sink offers STARTTLS and takes no mail without it.
    """
    handler = MaildirHandler(
        maildir, attempts_log=attempts_log, refuse_nth=refuse_nth, faults=faults, data_delay=data_delay
    )
    tls: dict[str, Any] = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
    controller = Controller(
        handler, hostname=host, port=port, decode_data=False, enable_SMTPUTF8=smtputf8, **tls
    )
    controller.start()
    return controller, handler


def read_maildir(maildir: Path) -> list[email.message.EmailMessage]:
    """Every message in the Maildir, parsed, oldest first (copies with a known Message-ID dropped)."""
    box = mailbox.Maildir(str(maildir), create=True)
    messages: list[Any] = []
    for key in box.iterkeys():
        with box.get_file(key) as f:
            messages.append(email.message_from_binary_file(f, policy=email.policy.default))  # type: ignore[call-overload]
    messages.sort(key=lambda m: m["Date"].datetime if m["Date"] else 0)
    return messages


def read_attempts(log: Path) -> list[dict[str, Any]]:
    """Every attempt the sink recorded, oldest first; a line still being written is left out."""
    if not log.exists():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def deliveries(log: Path) -> Counter[str]:
    """How many times the sink accepted each Message-ID: above 1 means the recipient got copies."""
    accepted = [e for e in read_attempts(log) if e["stage"] == "DATA" and e["reply"] == "250"]
    return Counter(e["message_id"] for e in accepted)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.mailsink", description=__doc__)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    parser.add_argument("--attempts-log", type=Path, default=None, help="default: beside the Maildir")
    parser.add_argument("--refuse-nth", type=int, default=None, help="answer 421 to the N-th message")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args(argv)
    controller, handler = start_sink(
        args.maildir, args.host, args.port, attempts_log=args.attempts_log, refuse_nth=args.refuse_nth
    )
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
        handler.close()


if __name__ == "__main__":
    main()
