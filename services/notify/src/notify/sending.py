"""The email sender: hands queued emails to the SMTP server and records that they went.

Rows are claimed with `FOR UPDATE SKIP LOCKED` and held while sending, so several send loops (and
replicas) never send the same email. If the process dies after the SMTP server took a message but
before the commit, the message is sent again with the same Message-ID, which mail stores (and our
local sink) use to drop the copy: delivery is at least once, the mailbox shows it once.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import asyncpg

from backbone.correlation import REQUEST_ID_HEADER
from backbone.db import CONNECTION_ERRORS
from backbone.logs import get_logger
from backbone.outbox import add_event
from notify.contracts import EMAIL_SENT, EmailSentV1
from notify.mailing import EMAILS_QUEUED, q
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


class SmtpLink:
    """One SMTP connection, kept open between batches and opened again when the server drops it.

    Its methods block; the sender calls them in a worker thread.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send_batch(self, rows: list[dict[str, Any]]) -> list[str | None]:
        """Send each row; returns an error text per row, or None when the server took it."""
        return [self._send(build_message(row, self._settings.mail_from)) for row in rows]

    def _send(self, message: EmailMessage) -> str | None:
        for attempt in (1, 2):
            try:
                self._connected().send_message(message)
                return None
            except smtplib.SMTPRecipientsRefused as exc:
                return f"recipient refused: {sorted(exc.recipients.values())}"
            except smtplib.SMTPDataError as exc:
                return f"message refused: {exc.smtp_code}"
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=30)
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


class EmailSender:
    def __init__(self, *, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    async def run(self) -> None:
        """Several send loops: SMTP round trips, not the CPU, set the pace of one loop."""
        await asyncio.gather(*(self._loop() for _ in range(self._settings.send_concurrency)))

    async def _loop(self) -> None:
        delay = 0.5
        link = SmtpLink(self._settings)
        with EMAILS_QUEUED.listen(max_wait=1.0) as wake:
            while True:
                try:
                    sent = await self.send_due(link)
                    await wake.wait(found_work=sent > 0)
                    delay = 0.5
                except asyncio.CancelledError:
                    await asyncio.to_thread(link.close)
                    raise
                except Exception as exc:  # the loop must outlive any one failure
                    if isinstance(exc, _RETRYABLE):
                        log.warning("email sender interrupted, retrying", error=str(exc))
                    else:
                        log.exception("email sender failed, retrying")
                    await asyncio.to_thread(link.close)  # quitting SMTP blocks; not on the event loop
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)

    async def send_due(self, link: SmtpLink | None = None) -> int:
        """Send one batch of due emails; returns how many the SMTP server took."""
        own_link = link is None
        link = link or SmtpLink(self._settings)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                rows = [dict(r) for r in await conn.fetch(q.claim_due_emails, self._settings.send_batch_size)]
                if not rows:
                    return 0
                results = await asyncio.to_thread(link.send_batch, rows)
                return await self._record(conn, rows, results)
        finally:
            if own_link:
                await asyncio.to_thread(link.close)

    async def _record(
        self, conn: asyncpg.Connection, rows: list[dict[str, Any]], results: list[str | None]
    ) -> int:
        sent = [row for row, error in zip(rows, results, strict=True) if error is None]
        if sent:
            await conn.execute(q.mark_sent, [row["id"] for row in sent])
        for row in sent:
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
        for row, error in zip(rows, results, strict=True):
            if error is not None:
                retry = _RETRY_SECONDS[min(row["attempts"], len(_RETRY_SECONDS) - 1)]
                await conn.execute(
                    q.mark_attempt_failed, row["id"], error, self._settings.send_max_attempts, float(retry)
                )
                log.warning("email refused", email_id=str(row["id"]), error=error)
        return len(sent)
