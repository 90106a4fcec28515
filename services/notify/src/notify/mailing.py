"""Queueing emails: a consumer's handler calls this in its transaction; the sender does the sending."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

from backbone.correlation import current_request_id
from backbone.queries import Queries
from backbone.wakeups import Wakeup
from notify.rendering import RenderedEmail

q = Queries(Path(__file__).parent / "sql")
# Rung when an email is queued, so the sender in this process sends it without waiting for its poll.
EMAILS_QUEUED = Wakeup()


def message_id_for(email_id: uuid.UUID, domain: str) -> str:
    return f"<{email_id}@{domain}>"


async def queue_email(
    *,
    conn: asyncpg.Connection,
    cause_event_id: str,
    template: str,
    recipient: str,
    rendered: RenderedEmail,
    mail_domain: str,
) -> None:
    """Queue one email; the same event, template and recipient never queue a second one."""
    # The id comes from what caused the email, so a re-run of the handler yields the same Message-ID.
    email_id = uuid.uuid5(uuid.UUID(cause_event_id), f"{template}:{recipient.lower()}")
    await q.queue_email.execute(
        conn,
        id=email_id,
        cause_event_id=uuid.UUID(cause_event_id),
        template=template,
        recipient=recipient,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=message_id_for(email_id, mail_domain),
        request_id=current_request_id(),
    )
    EMAILS_QUEUED.ring()
