"""The email sender: hands queued emails to the SMTP server and records that they went.

Rows are claimed with `FOR UPDATE SKIP LOCKED` and held while sending, so two replicas never send
the same email. If the process dies after the SMTP server took a message but before the commit,
the message is sent again with the same Message-ID, which mail stores (and our local sink) use to
drop the copy: delivery is at least once, the mailbox shows it once.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import asyncpg

from backbone.correlation import REQUEST_ID_HEADER
from backbone.db import CONNECTION_ERRORS, _init_connection
from backbone.logs import get_logger
from backbone.outbox import add_event
from notify.contracts import EMAIL_SENT, EmailSentV1
from notify.mailing import q
from notify.settings import Settings

log = get_logger(__name__)
_RETRYABLE: tuple[type[Exception], ...] = (*CONNECTION_ERRORS, smtplib.SMTPException, TimeoutError)
_RETRY_SECONDS = [5, 30, 120, 600, 1800, 3600]


def build_message(row: dict[str, Any], mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = row["recipient"]
    msg["Subject"] = row["subject"]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = row["message_id"]
    msg["Content-Language"] = "sv"
    msg["Auto-Submitted"] = "auto-generated"
    if row["request_id"]:
        msg[REQUEST_ID_HEADER] = row["request_id"]
    msg.set_content(row["body_text"])
    msg.add_alternative(row["body_html"], subtype="html")
    return msg


def _send_all(settings: Settings, messages: list[EmailMessage]) -> list[str | None]:
    """Send over one SMTP connection; returns an error text per message, or None when it went."""
    results: list[str | None] = []
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        for message in messages:
            try:
                smtp.send_message(message)
                results.append(None)
            except smtplib.SMTPRecipientsRefused as exc:
                results.append(f"recipient refused: {exc.recipients}")
            except smtplib.SMTPDataError as exc:
                results.append(f"message refused: {exc.smtp_code}")
    return results


class EmailSender:
    def __init__(self, *, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings
        self._wake = asyncio.Event()

    async def run(self) -> None:
        delay = 0.5
        while True:
            listener: asyncpg.Connection | None = None
            try:
                listener = await asyncpg.connect(self._settings.database_url, timeout=5.0)
                await _init_connection(listener)
                await listener.add_listener("emails", lambda *_: self._wake.set())
                while True:
                    self._wake.clear()
                    sent = await self.send_due()
                    if sent < self._settings.send_batch_size:
                        try:
                            await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                        except TimeoutError:
                            pass
                    delay = 0.5
            except asyncio.CancelledError:
                raise
            except _RETRYABLE as exc:
                log.warning("email sender interrupted, retrying", error=str(exc))
            except Exception:
                log.exception("email sender failed, retrying")
            finally:
                if listener is not None:
                    listener.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def send_due(self) -> int:
        """Send one batch of due emails; returns how many were handed over."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = [dict(r) for r in await conn.fetch(q.claim_due_emails, self._settings.send_batch_size)]
            if not rows:
                return 0
            messages = [build_message(r, self._settings.mail_from) for r in rows]
            results = await asyncio.to_thread(_send_all, self._settings, messages)
            sent = 0
            for row, error in zip(rows, results, strict=True):
                if error is None:
                    await conn.execute(q.mark_sent, row["id"])
                    await add_event(
                        conn,
                        EMAIL_SENT,
                        EmailSentV1(
                            email_id=str(row["id"]),
                            template=row["template"],
                            cause_event_id=str(row["cause_event_id"]),
                            message_id=row["message_id"],
                        ),
                        aggregate_id=str(row["id"]),
                    )
                    sent += 1
                else:
                    retry = _RETRY_SECONDS[min(row["attempts"], len(_RETRY_SECONDS) - 1)]
                    await conn.execute(
                        q.mark_attempt_failed,
                        row["id"],
                        error,
                        self._settings.send_max_attempts,
                        float(retry),
                    )
                    log.warning("email refused", email_id=str(row["id"]), error=error)
            return sent
