"""The sender hands queued emails to a real SMTP server once, and records that they went."""

import uuid

import pytest

from backbone.db import create_pool
from backbone.embedded import free_port
from devstack.mailsink import read_maildir, start_sink
from notify.mailing import queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender
from notify.settings import MIGRATIONS_DIR, Settings


@pytest.fixture
def sink(tmp_path):
    port = free_port()
    controller, handler = start_sink(tmp_path / "mail", "127.0.0.1", port)
    yield port, tmp_path / "mail", handler
    controller.stop()


@pytest.fixture
async def pool(make_database):
    p = await create_pool(make_database("notify", MIGRATIONS_DIR))
    yield p
    await p.close()


async def _queue(pool, cause: str, recipient: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await queue_email(
            conn=conn,
            cause_event_id=cause,
            template="meeting_scheduled",
            recipient=recipient,
            rendered=RenderedEmail(subject="Nytt möte", text="Hej!", html="<p>Hej!</p>"),
            mail_domain="test.local",
        )


async def test_queued_emails_are_sent_once_and_marked_sent(pool, sink):
    port, maildir, _ = sink
    cause = str(uuid.uuid4())
    await _queue(pool, cause, "a@example.se")
    await _queue(pool, cause, "a@example.se")  # the same event handled again queues nothing new
    await _queue(pool, cause, "b@example.se")
    sender = EmailSender(pool=pool, settings=Settings(smtp_port=port))
    assert await sender.send_due() == 2
    assert await sender.send_due() == 0
    mails = read_maildir(maildir)
    assert sorted(m["To"] for m in mails) == ["a@example.se", "b@example.se"]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM emails WHERE status = 'sent'") == 2
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notify.email.sent.v1'") == 2


async def test_an_email_sent_again_after_a_crash_shows_once_in_the_mailbox(pool, sink):
    port, maildir, handler = sink
    cause = str(uuid.uuid4())
    await _queue(pool, cause, "c@example.se")
    sender = EmailSender(pool=pool, settings=Settings(smtp_port=port))
    await sender.send_due()
    # As if the process died after the SMTP server took the message but before the commit:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE emails SET status = 'pending', sent_at = NULL")
    await sender.send_due()
    assert len(read_maildir(maildir)) == 1
    assert handler.duplicates == 1


async def test_an_unreachable_mail_server_keeps_the_email_for_later(pool):
    await _queue(pool, str(uuid.uuid4()), "d@example.se")
    sender = EmailSender(pool=pool, settings=Settings(smtp_port=free_port()))
    with pytest.raises(OSError):
        await sender.send_due()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM emails") == "pending"
