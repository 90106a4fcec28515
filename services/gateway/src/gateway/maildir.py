"""Reads the local SMTP sink's Maildir for the development mailbox page."""

from __future__ import annotations

import email
import email.policy
import mailbox
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path


@dataclass(frozen=True)
class Message:
    key: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    text: str


def _parse(key: str, raw: bytes) -> Message:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    try:
        when = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError):
        when = None
    return Message(
        key=key,
        subject=str(msg["Subject"] or ""),
        sender=str(msg["From"] or ""),
        to=str(msg["To"] or ""),
        date=when,
        text=text,
    )


def messages(path: Path) -> list[Message]:
    """Every message, newest first."""
    if not path.exists():
        return []
    box = mailbox.Maildir(str(path), create=False)
    out = []
    for key in box.iterkeys():
        with box.get_file(key) as f:
            out.append(_parse(key, f.read()))
    out.sort(key=lambda m: m.date.timestamp() if m.date else 0, reverse=True)
    return out


def message(path: Path, key: str) -> Message | None:
    if not path.exists():
        return None
    box = mailbox.Maildir(str(path), create=False)
    try:
        with box.get_file(key) as f:
            return _parse(key, f.read())
    except (KeyError, FileNotFoundError):
        return None
