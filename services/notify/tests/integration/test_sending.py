"""The sender hands queued emails to a real SMTP server once, and records what happened to each.

"Once" is counted in the sink's attempts log (every message it was handed), not in its Maildir,
which drops copies by Message-ID and so would hide a sender that sends everything twice.
"""

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
import uuid

import asyncpg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backbone.db import create_pool
from backbone.embedded import free_port
from backbone.testing import eventually
from devstack.mailsink import (
    DROP_AFTER_DATA,
    REFUSE_DATA,
    Fault,
    attempts_log_for,
    deliveries,
    read_attempts,
    read_maildir,
    start_sink,
)
from notify.mailing import message_id_for, q, queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender
from notify.settings import DEVELOPMENT_LINK_SECRET, MIGRATIONS_DIR, Settings

DOMAIN = "test.local"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def make_sink(tmp_path):
    controllers = []

    def make(refuse_nth: int | None = None, smtputf8: bool = True, **options):
        port = free_port()
        maildir = tmp_path / f"mail{len(controllers)}"
        controller, handler = start_sink(
            maildir, "127.0.0.1", port, refuse_nth=refuse_nth, smtputf8=smtputf8, **options
        )
        controllers.append((controller, handler))
        return port, maildir, handler

    yield make
    for controller, handler in controllers:
        controller.stop()
        handler.close()


@pytest.fixture
def sink(make_sink):
    return make_sink()


@pytest.fixture
def dsn(make_database):
    return make_database("notify", MIGRATIONS_DIR)


@pytest.fixture
async def pool(dsn):
    p = await create_pool(dsn)
    yield p
    await p.close()


@pytest.fixture
async def failing_outbox(pool):
    """Every insert into the outbox fails, as the mark of a sent email does when the database is in
    trouble; `failing_outbox.heal()` ends it."""

    class Fault:
        async def heal(self) -> None:
            async with pool.acquire() as conn:
                await conn.execute("DROP TRIGGER IF EXISTS outbox_fails ON outbox")

    async with pool.acquire() as conn:
        await conn.execute(
            """CREATE FUNCTION outbox_fails() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'the outbox cannot be written (test fault)'; END $$;
               CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox
               FOR EACH ROW EXECUTE FUNCTION outbox_fails();"""
        )
    fault = Fault()
    yield fault
    await fault.heal()


def settings(port: int, **over) -> Settings:
    return Settings(
        **{"environment": "test", "smtp_port": port, "mail_domain": DOMAIN, "send_retry_seconds": [0.05]}
        | over
    )


async def _queue(pool, cause: str, recipient: str, subject: str = "Nytt möte") -> str:
    """Queue one email; returns its Message-ID."""
    async with pool.acquire() as conn, conn.transaction():
        await queue_email(
            conn=conn,
            cause_event_id=cause,
            template="meeting_scheduled",
            recipient=recipient,
            rendered=RenderedEmail(subject=subject, text="Hej!", html="<p>Hej!</p>"),
            mail_domain=DOMAIN,
            message_key=DEVELOPMENT_LINK_SECRET,
        )
    email_id = uuid.uuid5(uuid.UUID(cause), f"meeting_scheduled:{recipient.lower()}")
    return message_id_for(email_id, DOMAIN, DEVELOPMENT_LINK_SECRET)


async def status_of(pool, message_id: str) -> dict:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, last_error, next_attempt_at <= now() AS due FROM emails"
            " WHERE message_id = $1",
            message_id,
        )
    return dict(row)


async def sent_events(pool) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notify.email.sent.v1'")


def handed_over(maildir) -> list[dict]:
    """Every message the sink was handed (DATA), whatever it answered."""
    return [e for e in read_attempts(attempts_log_for(maildir)) if e["stage"] == "DATA"]


async def nothing_pending(pool) -> bool:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM emails WHERE status = 'pending'") == 0


async def run_sender_until_done(pool, s: Settings) -> None:
    """Run the real send loops until no email is pending, then stop them as a shutdown would."""
    task = asyncio.create_task(EmailSender(pool=pool, settings=s).run())
    try:
        await eventually(lambda: nothing_pending(pool), "every email sent or failed", timeout=20)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_queued_emails_are_sent_once_and_marked_sent(pool, sink):
    port, maildir, _ = sink
    cause = str(uuid.uuid4())
    a = await _queue(pool, cause, "a@example.se")
    await _queue(pool, cause, "a@example.se")  # the same event handled again queues nothing new
    b = await _queue(pool, cause, "b@example.se")
    sender = EmailSender(pool=pool, settings=settings(port))
    assert await sender.send_due() == 2
    assert await sender.send_due() == 0
    assert deliveries(attempts_log_for(maildir)) == {a: 1, b: 1}
    assert sorted(m["To"] for m in read_maildir(maildir)) == ["a@example.se", "b@example.se"]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM emails WHERE status = 'sent'") == 2
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notify.email.sent.v1'") == 2


async def test_a_server_that_refuses_the_third_message_gets_no_copy_of_the_others(pool, make_sink):
    port, maildir, _ = make_sink(refuse_nth=3)
    cause = str(uuid.uuid4())
    ids = [await _queue(pool, cause, f"p{i}@example.se") for i in range(6)]
    await run_sender_until_done(pool, settings(port, send_concurrency=1))
    assert deliveries(attempts_log_for(maildir)) == dict.fromkeys(ids, 1)
    refused = [e for e in read_attempts(attempts_log_for(maildir)) if e["reply"] == "421"]
    assert len(refused) == 1, "the sink did refuse one message"
    states = [await status_of(pool, i) for i in ids]
    assert [s["status"] for s in states] == ["sent"] * 6
    assert sorted(s["attempts"] for s in states) == [1, 1, 1, 1, 1, 2], "the refused one was tried again"


async def test_an_outage_of_the_mail_server_uses_none_of_the_emails_attempts(pool):
    cause = str(uuid.uuid4())
    first = await _queue(pool, cause, "d@example.se")
    untried = await _queue(pool, cause, "d2@example.se")
    sender = EmailSender(pool=pool, settings=settings(free_port()))
    for _ in range(3):
        await eventually(lambda: _due(pool, first), "the email due again", timeout=20)
        await sender.send_due()
    state = await status_of(pool, first)
    assert state["attempts"] == 0, "the server was away: the email itself had no try"
    assert state["status"] == "pending" and "connect" in state["last_error"].lower()
    rest = await status_of(pool, untried)
    assert rest["due"] and rest["attempts"] == 0, "the rest of the batch given back"


async def _due(pool, message_id: str) -> bool:
    return (await status_of(pool, message_id))["due"]


async def test_a_mail_server_that_stays_away_fails_the_email_when_it_is_too_old(pool):
    message_id = await _queue(pool, str(uuid.uuid4()), "e@example.se")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE emails SET created_at = now() - interval '3 days 1 minute'")
    await EmailSender(pool=pool, settings=settings(free_port())).send_due()
    state = await status_of(pool, message_id)
    assert state["status"] == "failed", "queued more than NOTIFY_SEND_GIVE_UP_AFTER_SECONDS ago"
    assert state["attempts"] == 0 and "connect" in state["last_error"].lower()


async def test_a_non_ascii_address_goes_out_when_the_server_takes_smtputf8(pool, sink):
    port, maildir, _ = sink
    message_id = await _queue(pool, str(uuid.uuid4()), "åsa@exempel.se")
    await EmailSender(pool=pool, settings=settings(port)).send_due()
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}


async def test_a_sender_that_dies_before_its_mark_commits_is_followed_by_one_copy(pool, sink, failing_outbox):
    port, maildir, handler = sink
    message_id = await _queue(pool, str(uuid.uuid4()), "c@example.se")
    s = settings(port, send_lease_seconds=0.9, smtp_timeout_seconds=0.25)
    # The server takes the email, its mark cannot commit, and then this sender dies for good.
    await EmailSender(pool=pool, settings=s).send_due()
    await failing_outbox.heal()
    successor = EmailSender(pool=pool, settings=s)

    async def sent() -> bool:
        return await successor.send_due() == 1

    await eventually(sent, "the dead sender's email sent by another once its lease ended", timeout=20)
    assert deliveries(attempts_log_for(maildir)) == {message_id: 2}, "one copy, no more"
    assert len(read_maildir(maildir)) == 1 and handler.duplicates == 1, "same Message-ID: one in the box"
    assert (await status_of(pool, message_id))["status"] == "sent"
    assert await sent_events(pool) == 1


async def test_emails_claimed_by_a_sender_that_died_come_back_when_its_lease_ends(pool, sink):
    port, maildir, _ = sink
    message_id = await _queue(pool, str(uuid.uuid4()), "f@example.se")
    async with pool.acquire() as conn:
        # claimed, then the sender died
        claimed = await q.claim_due_emails.fetch(conn, limit=10, lease_seconds=0.5, lease_token=uuid.uuid4())
        assert len(claimed) == 1
    sender = EmailSender(pool=pool, settings=settings(port))
    assert await sender.send_due() == 0, "leased to the other sender"

    async def sent() -> bool:
        return await sender.send_due() == 1

    await eventually(sent, "the email once the lease ended", timeout=20)
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}


async def test_an_email_the_server_took_is_not_sent_again_when_its_mark_fails(pool, sink, failing_outbox):
    port, maildir, _ = sink
    message_id = await _queue(pool, str(uuid.uuid4()), "g@example.se")
    sender = EmailSender(pool=pool, settings=settings(port))
    for _ in range(3):
        with contextlib.suppress(asyncpg.PostgresError):
            await sender.send_due()
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}
    await failing_outbox.heal()
    assert await sender.send_due() == 0, "only the mark is done again"
    assert (await status_of(pool, message_id))["status"] == "sent"
    assert await sent_events(pool) == 1
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}


async def test_a_message_the_server_took_before_hanging_up_is_not_sent_again_at_once(pool, make_sink):
    port, maildir, _ = make_sink(faults={2: DROP_AFTER_DATA})
    cause = str(uuid.uuid4())
    first = await _queue(pool, cause, "h1@example.se")
    second = await _queue(pool, cause, "h2@example.se")  # on the connection the first one opened
    await EmailSender(pool=pool, settings=settings(port, send_retry_seconds=[60])).send_due()
    assert deliveries(attempts_log_for(maildir)) == {first: 1, second: 1}
    state = await status_of(pool, second)
    assert state["status"] == "pending" and state["attempts"] == 1, "an attempt, retried after its wait"
    assert "lost the mail server" in state["last_error"]


async def test_a_message_refused_after_its_data_is_sent_later_once(pool, make_sink):
    port, maildir, _ = make_sink(faults={1: REFUSE_DATA})
    message_id = await _queue(pool, str(uuid.uuid4()), "i@example.se")
    await run_sender_until_done(pool, settings(port, send_concurrency=1))
    assert [e["reply"] for e in handed_over(maildir)] == ["421", "250"]
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}
    assert (await status_of(pool, message_id))["attempts"] == 2


async def test_an_unreadable_answer_from_the_server_is_kept_readable(pool, make_sink):
    answer = b"550 5.7.1 r\xe4ksm\xf6rg\xe5s \x00 not here"  # Latin-1 and a NUL: neither fits in text
    port, maildir, _ = make_sink(faults={1: Fault("DATA", reply=answer)})
    cause = str(uuid.uuid4())
    refused = await _queue(pool, cause, "j1@example.se")
    good = await _queue(pool, cause, "j2@example.se")
    sender = EmailSender(pool=pool, settings=settings(port))
    for _ in range(2):
        with contextlib.suppress(asyncpg.PostgresError, UnicodeError):
            await sender.send_due()
    state = await status_of(pool, refused)
    assert state["status"] == "failed" and state["attempts"] == 1
    assert state["last_error"].startswith("refused: 550 5.7.1 r") and "\x00" not in state["last_error"]
    assert [e["message_id"] for e in handed_over(maildir)] == [refused, good], "each once"


async def test_a_busy_pool_cannot_let_the_lease_run_out_before_the_mark(pool, dsn, make_sink):
    port, maildir, _ = make_sink(data_delay=0.3)
    message_id = await _queue(pool, str(uuid.uuid4()), "k@example.se")
    s = settings(port, send_lease_seconds=1.5, smtp_timeout_seconds=0.5)
    own_pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        first = asyncio.create_task(EmailSender(pool=own_pool, settings=s).send_due())
        await eventually(lambda: handed_over(maildir), "the email in flight", timeout=20)
        # Other work (consumers under load) takes every connection of the pool that is free.
        held = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                held.append(await own_pool.acquire())

        async def lease_over_or_marked() -> bool:
            state = await status_of(pool, message_id)
            return state["due"] or state["status"] == "sent"

        await eventually(lease_over_or_marked, "the lease over, or the email marked", timeout=20)
        second = await EmailSender(pool=pool, settings=s).send_due()
        for conn in held:
            await own_pool.release(conn)
        await first
    finally:
        await own_pool.close()
    assert second == 0
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}
    assert (await status_of(pool, message_id))["status"] == "sent"


async def test_a_sender_whose_lease_ran_out_cannot_give_back_what_another_holds(pool):
    await _queue(pool, str(uuid.uuid4()), "l@example.se")
    async with pool.acquire() as conn:
        stale, current = uuid.uuid4(), uuid.uuid4()
        [row] = await q.claim_due_emails.fetch(conn, limit=10, lease_seconds=0.05, lease_token=stale)
        await eventually(lambda: _lease_over(pool), "the first lease over", timeout=20)
        assert len(await q.claim_due_emails.fetch(conn, limit=10, lease_seconds=60, lease_token=current)) == 1
        await q.release_emails.execute(conn, ids=[row["id"]], lease_token=stale)
        assert await q.extend_lease.fetchval(conn, id=row["id"], lease_token=stale, lease_seconds=60) is None
        again = await q.claim_due_emails.fetch(conn, limit=10, lease_seconds=60, lease_token=uuid.uuid4())
        assert len(again) == 0, "still held"


async def _lease_over(pool) -> bool:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT bool_and(next_attempt_at <= now()) FROM emails")


async def test_an_orderly_stop_lets_the_email_in_flight_finish_and_be_marked(pool, make_sink):
    port, maildir, _ = make_sink(data_delay=0.5)
    message_id = await _queue(pool, str(uuid.uuid4()), "o@example.se")
    s = settings(port, send_concurrency=1)
    task = asyncio.create_task(EmailSender(pool=pool, settings=s).run())
    await eventually(lambda: handed_over(maildir), "the email in flight", timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await status_of(pool, message_id))["status"] == "sent"
    assert await EmailSender(pool=pool, settings=s).send_due() == 0
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}


async def test_sent_and_failed_emails_are_deleted_after_the_retention_period(pool):
    cause = str(uuid.uuid4())
    ids = {
        name: await _queue(pool, cause, f"{name}@example.se")
        for name in ("old_sent", "old_failed", "old_pending", "new_sent")
    }
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE emails SET status = 'sent' WHERE message_id = ANY($1::text[])",
            [ids["old_sent"], ids["new_sent"]],
        )
        await conn.execute("UPDATE emails SET status = 'failed' WHERE message_id = $1", ids["old_failed"])
        await conn.execute(
            "UPDATE emails SET created_at = now() - interval '91 days',"
            " next_attempt_at = now() + interval '1 hour' WHERE message_id = ANY($1::text[])",
            [ids["old_sent"], ids["old_failed"], ids["old_pending"]],
        )
    task = asyncio.create_task(
        EmailSender(pool=pool, settings=settings(free_port(), prune_interval_seconds=0.1)).run()
    )

    async def kept() -> set[str]:
        async with pool.acquire() as conn:
            return {r["message_id"] for r in await conn.fetch("SELECT message_id FROM emails")}

    async def pruned() -> bool:
        return await kept() == {ids["old_pending"], ids["new_sent"]}

    try:
        await eventually(pruned, "the old sent and failed emails deleted, nothing else", timeout=20)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def self_signed(folder) -> tuple:
    """A certificate for 127.0.0.1, as a relay of our own would have; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


async def test_starttls_goes_out_to_a_relay_whose_certificate_checks_and_never_to_one_that_does_not(
    pool, make_sink, tmp_path
):
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port, maildir, _ = make_sink(tls_context=context)
    message_id = await _queue(pool, str(uuid.uuid4()), "p@example.se")
    untrusting = EmailSender(pool=pool, settings=settings(port, smtp_tls="starttls"))
    assert await untrusting.send_due() == 0
    state = await status_of(pool, message_id)
    assert state["attempts"] == 0 and "certificate" in state["last_error"].lower(), state["last_error"]
    assert handed_over(maildir) == []
    trusting = EmailSender(pool=pool, settings=settings(port, smtp_tls="starttls", smtp_ca_file=cert))
    assert await trusting.send_due() == 1
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        pytest.param("åsa@exempel.se", "SMTPUTF8", id="non-ASCII, which the server cannot take"),
        pytest.param("kenneth@example.se\nBcc: eve@example.se", "", id="one that would inject a header"),
        pytest.param("n@example.se, eve@example.se", "", id="two addresses in one"),
    ],
)
async def test_an_address_that_cannot_be_sent_to_fails_at_once_and_visibly_and_reaches_nobody(
    pool, make_sink, bad: str, error: str
):
    port, maildir, _ = make_sink(smtputf8=False)  # a sink without SMTPUTF8
    cause = str(uuid.uuid4())
    good = await _queue(pool, cause, "leif@example.se")
    refused = await _queue(pool, cause, bad)
    await run_sender_until_done(pool, settings(port))
    failed = await status_of(pool, refused)
    assert failed["status"] == "failed" and failed["attempts"] == 1, "never retried"
    assert failed["last_error"] and error in failed["last_error"]
    assert [e["to"] for e in handed_over(maildir)] == [["leif@example.se"]]
    assert deliveries(attempts_log_for(maildir)) == {good: 1}
