"""Bounces: delivery status notifications (RFC 3464) read, matched to the email they are about, and
acted on; after a permanent bounce, no more bulk email to that address.

A DSN is a `multipart/report; report-type=delivery-status` with a machine-readable part per
recipient (Action, Status, Final-Recipient, Diagnostic-Code) and usually the original's headers.
It is matched by the original's Message-ID, which notify makes itself from the email's id and a
keyed MAC of it (mailing.message_id_for, keyed with the link secret): the id alone can be worked out
by anyone (a uuid5 of event, template and recipient), so a forged DSN naming it is ignored unless its
MAC is right, and it must name the recipient that email went to. Bounces of emails sent before the
MAC (Message-IDs without one) are ignored too. A permanent failure (a
5.x.x status) marks the email bounced; a delay (4.x.x, or Action: delayed) records a deferred try
and changes nothing else. Anything else (an out-of-office reply, a person answering, a DSN for a
message that is not ours) is ignored, and says why.

After a permanent bounce the address gets no more bulk email (preferences.BULK): such an email is
recorded in the delivery log as not sent, with why. Critical ones are still tried.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any, Literal

import asyncpg

from backbone.errors import NotFound
from backbone.logs import get_logger
from notify import deliveries
from notify.deliveries import NotBounceable, q

log = get_logger(__name__)
Outcome = Literal["bounced", "deferred", "ignored"]
_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
# A DSN names the recipients of one message; no MTA writes hundreds of blocks or nests reports.
MAX_RECIPIENTS = 100
# A DSN has three or four parts (text, report, original or its headers, and the original's own).
# More Content-Type headers than this is not a DSN; it is refused before the email package parses
# it, whose parser recurses once per level of nesting.
MAX_PARTS = 40
_CONTENT_TYPE = re.compile(rb"^content-type\s*:", re.I | re.M)


@dataclass(frozen=True)
class RecipientReport:
    """One recipient's block of a DSN."""

    recipient: str | None  # Original-Recipient if given, else Final-Recipient, as an address
    final_recipient: str | None
    action: str  # failed / delayed / delivered / relayed / expanded
    status: str | None  # e.g. 5.1.1
    diagnostic: str | None

    @property
    def kind(self) -> Literal["permanent", "temporary", "other"]:
        if self.status and self.status.startswith("5") and self.action == "failed":
            return "permanent"
        if self.action == "delayed" or (self.status or "").startswith("4"):
            return "temporary"
        return "other"

    @property
    def reason(self) -> str:
        said = " ".join((self.diagnostic or "").split())
        return f"{self.status or '?'} {said}".strip()[:1000]


@dataclass(frozen=True)
class Report:
    """What a message handed to notify turned out to be."""

    is_dsn: bool
    message_id: str | None  # the original's, when the DSN carries its headers
    recipients: tuple[RecipientReport, ...] = ()
    why_not: str = ""  # for a message that is not a DSN we can use


def parse_report(raw: bytes) -> Report:
    """Read a raw message (as an MTA's pipe or a mailbox hands it over) as a DSN, if it is one.

    Never raises: a message the email package cannot read is reported as not a DSN, with why.
    """
    parts = len(_CONTENT_TYPE.findall(raw))
    if parts > MAX_PARTS:
        why = f"Not a delivery status notification ({parts} parts; a DSN has a few)."
        return Report(False, None, why_not=why)
    try:
        return _parsed(raw)
    except Exception as exc:  # noqa: BLE001 - anything may arrive; a message we cannot read is ignored
        return Report(False, None, why_not=f"The message cannot be read as email ({type(exc).__name__}).")


def _parsed(raw: bytes) -> Report:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report" or (msg.get_param("report-type") or "") != (
        "delivery-status"
    ):
        return Report(
            False, None, why_not=f"Not a delivery status notification ({msg.get_content_type()})."
        )
    recipients: list[RecipientReport] = []
    message_id: str | None = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            recipients += _recipient_blocks(part)[: MAX_RECIPIENTS - len(recipients)]
        elif kind in ("message/rfc822", "message/global") and message_id is None:
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                message_id = _clean_id(inner.get("Message-ID"))
        elif kind in ("text/rfc822-headers", "message/global-headers") and message_id is None:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
            message_id = _clean_id(email.message_from_string(text).get("Message-ID"))
    if not recipients:
        return Report(True, message_id, why_not="The report has no recipient with an Action.")
    return Report(True, message_id, tuple(recipients))


def _recipient_blocks(part: Message) -> list[RecipientReport]:
    """The per-recipient blocks (the first block is about the message, and has no Action)."""
    payload = part.get_payload()
    listed = payload if isinstance(payload, list) else []
    blocks: Iterable[Message] = [b for b in listed if isinstance(b, Message)]
    if not listed:
        # Some MTAs send the part as plain text; it is still header blocks separated by blank lines.
        # Read lazily: only as many blocks as are kept are parsed.
        text = part.get_payload(decode=True)
        body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text or "")
        chunks = re.split(r"\r?\n\s*\r?\n", body, maxsplit=MAX_RECIPIENTS + 1)[: MAX_RECIPIENTS + 1]
        blocks = (email.message_from_string(chunk) for chunk in chunks if chunk)
    found: list[RecipientReport] = []
    for block in blocks:
        if len(found) >= MAX_RECIPIENTS:
            break
        action = str(block.get("Action", "")).strip().lower()
        if not action:
            continue
        status = _STATUS.match(str(block.get("Status", "")))
        final = _address(block.get("Final-Recipient"))
        found.append(
            RecipientReport(
                recipient=_address(block.get("Original-Recipient")) or final,
                final_recipient=final,
                action=action,
                status=".".join(status.groups()) if status else None,
                diagnostic=_unfolded(block.get("Diagnostic-Code")),
            )
        )
    return found


def _address(value: object) -> str | None:
    """`rfc822; someone@example.se` to `someone@example.se`."""
    if value is None:
        return None
    text = str(value)
    _, _, address = text.partition(";") if ";" in text else ("", "", text)
    address = address.strip().strip("<>").strip()
    return address.lower() or None


def _unfolded(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    # "smtp; 550 5.1.1 ...": the type is noise for people.
    return re.sub(r"^(smtp|x-[\w-]+)\s*;\s*", "", text, flags=re.I) or None


def _clean_id(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text.startswith("<") and text.endswith(">") else (f"<{text}>" if text else None)


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    detail: str
    recipient: str | None = None
    status: str | None = None
    email_id: uuid.UUID | None = None


async def read_report(raw: bytes, *, timeout: float) -> Report:
    """`parse_report` in a worker thread, so a large or odd message does not hold up the event loop.

    A message that takes longer than `timeout` is reported as not read (its thread runs on to the
    end, bounded by the body limit and the caps above).
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(parse_report, raw), timeout)
    except TimeoutError:
        return Report(False, None, why_not=f"Reading the message took longer than {timeout:g} s; not a DSN.")


async def handle_report(
    conn: asyncpg.Connection, raw: bytes, *, message_key: str, timeout: float = 5.0
) -> list[Handled]:
    """Act on a message handed over as a bounce: one outcome per recipient block, or one `ignored`.

    Only a report whose Message-ID carries our MAC (mailing.message_id_for) and names the recipient
    that email went to counts: anyone can mail the bounce address, nobody else can make our ids.
    """
    report = await read_report(raw, timeout=timeout)
    if not report.is_dsn or not report.recipients:
        return [Handled("ignored", report.why_not)]
    if report.message_id is None:
        return [Handled("ignored", "The report does not carry the original's Message-ID; not ours to match.")]
    from notify.mailing import email_id_in  # mailing imports this module

    if email_id_in(report.message_id, message_key) is None:
        return [Handled("ignored", f"The Message-ID {report.message_id} is not one notify made; not ours.")]
    email_row = await q.email_for_bounce.fetchrow(conn, message_id=report.message_id)
    if email_row is None:
        return [Handled("ignored", f"No email of ours has the Message-ID {report.message_id}.")]
    ours = str(email_row["recipient"]).strip().lower()
    results = []
    for r in report.recipients:
        if ours not in {r.recipient, r.final_recipient}:
            other = Handled("ignored", "The report is about another recipient.", r.recipient, r.status)
            results.append(other)
            continue
        if r.kind == "permanent":
            results.append(await _permanent(conn, email_row, r))
        elif r.kind == "temporary":
            await deliveries.record_attempt(
                conn,
                email_id=email_row["id"],
                outcome="deferred",
                reason=f"Mottagarens server försöker igen: {r.reason}",
            )
            results.append(Handled("deferred", r.reason, ours, r.status, email_row["id"]))
        else:
            results.append(Handled("ignored", f"Action {r.action}: nothing to do.", ours, r.status))
    return results


async def _permanent(conn: asyncpg.Connection, email_row: asyncpg.Record, r: RecipientReport) -> Handled:
    async with conn.transaction():
        try:
            email_id = await deliveries.record_bounce(
                conn, message_id=email_row["message_id"], reason=r.reason
            )
        except (NotFound, NotBounceable) as exc:
            return Handled("ignored", str(exc), r.recipient, r.status)
        await q.remember_bounced_address.execute(
            conn,
            address=str(email_row["recipient"]).strip().lower(),
            status=r.status,
            reason=r.reason,
            email_id=email_id,
        )
    return Handled("bounced", r.reason, r.recipient, r.status, email_id)


async def bounced_address(conn: asyncpg.Connection, *, address: str) -> dict[str, Any] | None:
    """The permanent bounce on record for `address` (any case), or None: bulk mail to it goes."""
    row = await q.bounced_address.fetchrow(conn, address=address.strip().lower())
    return dict(row) if row is not None else None


async def clear_bounced_address(conn: asyncpg.Connection, *, address: str, by: str) -> dict[str, Any]:
    """Let bulk mail to `address` go again: an administrator (`by`, their subject) knows it works now.

    The gateway writes the change to its audit log (who, when, the route); notify's log says who
    cleared which bounced email's address (ids only, never the address)."""
    row = await q.clear_bounced_address.fetchrow(conn, address=address.strip().lower())
    if row is None:
        raise NotFound(
            "Adressen finns inte bland dem som har studsat. Mejl till den skickas redan som vanligt."
        )
    log.info("bounced address cleared", by=by, email_id=str(row["email_id"]), status=row["status"])
    return dict(row)


async def bounced_reason(conn: asyncpg.Connection, *, recipient: str) -> str | None:
    """Why bulk email to `recipient` is not sent any more, or None if it is."""
    row = await q.bounced_address.fetchrow(conn, address=recipient.strip().lower())
    if row is None:
        return None
    when = row["bounced_at"].strftime("%Y-%m-%d")
    return (
        f"Skickades inte: adressen studsade permanent {when} ({row['status'] or '?'}). "
        "Massutskick till den stoppas; viktiga meddelanden skickas ändå."
    )
