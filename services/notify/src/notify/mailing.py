"""Queueing emails: a consumer's handler calls this in its transaction; the sender does the sending."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg

from backbone.correlation import current_request_id
from backbone.queries import Queries
from backbone.wakeups import Wakeup
from notify import bounces, digests, preferences
from notify.rendering import TEMPLATES, RenderedEmail

q = Queries(Path(__file__).parent / "sql")
# Worth nothing a day late: an invitation, a reminder, an offer waiting for an answer. Never held
# for a digest, whatever the person chose for their category (switched off still means off).
TIME_BOUND: frozenset[str] = frozenset(
    {
        "meeting_scheduled",
        "action_item_due_soon",
        "event_reminder",
        "offer_made",
        "volunteer_offer",
    }
)
# Rung when an email is queued, so the sender in this process sends it without waiting for its poll.
EMAILS_QUEUED = Wakeup()


@dataclass(frozen=True)
class Attachment:
    """A file that goes with an email, stored with it so every retry sends the same bytes."""

    filename: str
    content_type: str  # with its parameters: "text/calendar; method=REQUEST; charset=utf-8"
    content: str  # text (an .ics is text)


def add_attachments(msg: EmailMessage, attachments: Iterable[Mapping[str, Any]] | None) -> None:
    """Add a queued email's attachments (the `attachments` column) to its message.

    The text and HTML stay a multipart/alternative of their own; each file follows it in a
    multipart/mixed. A calendar file names its METHOD in its type, which is what makes mail
    programs show an invitation (RFC 6047).
    """
    items = list(attachments or ())
    if not items:
        return
    language = msg["Content-Language"]
    for item in items:
        maintype, _, rest = item["content_type"].partition("/")
        if maintype != "text":
            raise ValueError(f"only text attachments can be sent, not {item['content_type']}")
        subtype, *parameters = (part.strip() for part in rest.split(";"))
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        params.pop("charset", None)  # the email package writes the charset itself
        msg.add_attachment(
            item["content"], subtype=subtype, filename=item["filename"], params=params, charset="utf-8"
        )
    if language is not None and msg["Content-Language"] is None:
        # Making the message multipart/mixed moves every Content-* header into the part it wraps;
        # the language is the whole message's.
        for part in msg.iter_parts():
            del part["Content-Language"]
        msg["Content-Language"] = language


def _message_mac(email_id: uuid.UUID, key: str) -> str:
    return hmac.new(key.encode(), b"message-id\x00" + email_id.bytes, hashlib.sha256).hexdigest()[:32]


def message_id_for(email_id: uuid.UUID, domain: str, key: str) -> str:
    """The Message-ID of an email: its id and a keyed MAC of it, so a bounce can only name one we sent."""
    return f"<{email_id}.{_message_mac(email_id, key)}@{domain}>"


def email_id_in(message_id: str, key: str) -> uuid.UUID | None:
    """The email id a Message-ID of ours carries, or None if its MAC does not check out."""
    local = message_id.strip().strip("<>").partition("@")[0]
    raw_id, _, mac = local.rpartition(".")
    try:
        email_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    return email_id if hmac.compare_digest(mac, _message_mac(email_id, key)) else None


async def queue_email(
    *,
    conn: asyncpg.Connection,
    cause_event_id: str,
    template: str,
    recipient: str,
    rendered: RenderedEmail,
    mail_domain: str,
    message_key: str,
    language: str = "sv",
    attachments: Sequence[Attachment] = (),
) -> None:
    """Queue one email; the same event, template and recipient never queue a second one.

    The template says the email's category and whether it is critical (`rendering.TEMPLATES`; an
    unknown template is a KeyError, not an email that slips past the person's choices). Unless it
    is critical, the person's choice for that category decides (preferences.decide): at once, held
    for a digest, or not at all. An email with a file or bound to a time (`TIME_BOUND`) is never
    held: an invitation or a reminder that comes in tomorrow's digest comes too late.
    """
    info = TEMPLATES[template]
    category = info.category
    # The id comes from what caused the email, so a re-run of the handler yields the same Message-ID.
    email_id = uuid.uuid5(uuid.UUID(cause_event_id), f"{template}:{recipient.lower()}")
    choice = await preferences.decide(conn, recipient=recipient, category=category, critical=info.critical)
    if choice == "off":
        return
    # After a permanent bounce no bulk email goes to the address; the log says so (notify.bounces).
    not_sent = (
        await bounces.bounced_reason(conn, recipient=recipient)
        if category in preferences.BULK and not info.critical
        else None
    )
    if not_sent is None and choice in preferences.DIGESTS and not attachments and template not in TIME_BOUND:
        await digests.hold(
            conn,
            item_id=email_id,
            recipient=recipient,
            frequency=choice,
            category=category,
            template=template,
            cause_event_id=uuid.UUID(cause_event_id),
            language=language,
            rendered=rendered,
        )
        return
    await q.queue_email.execute(
        conn,
        id=email_id,
        cause_event_id=uuid.UUID(cause_event_id),
        template=template,
        recipient=recipient,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=message_id_for(email_id, mail_domain, message_key),
        request_id=current_request_id(),
        language=language,
        attachments=[asdict(a) for a in attachments],
        category=category,
    )
    if not_sent is not None:
        if await q.mark_not_sent.fetchval(conn, id=email_id, reason=not_sent) is not None:
            await q.record_attempt.execute(conn, email_id=email_id, outcome="failed", reason=not_sent)
        return
    EMAILS_QUEUED.ring()
