"""The lease of a claimed email, as the database holds it, must cover the send and its mark.

One send has three steps that may each take up to the SMTP timeout: reaching the server, DATA and
the mark. An email whose lease in the database has less left than that must have it renewed before
it goes, whatever this process's clock says about its claim; otherwise the lease ends in the middle,
another sender claims it and the person gets it twice.
"""

import asyncio
import contextlib
import uuid

from backbone.embedded import free_port
from backbone.testing import eventually
from devstack.mailsink import attempts_log_for, deliveries
from notify.sending import EmailSender, RateLimit

from . import test_sending as sending
from .test_sending import _queue, handed_over, settings, status_of

# The sending tests' fixtures: their database, pool and SMTP sinks.
dsn, pool, make_sink = sending.dsn, sending.pool, sending.make_sink

# A step close to the timeout, with room to spare on a busy machine: at 0.45 s against 0.6 s, a loaded
# CI run timed the step out and the email never went.
TIMEOUT = 2.0
LEASE = 6.5  # at least three timeouts, as the settings demand
STEP = 1.2  # how long the relay takes to greet, and to answer DATA


@contextlib.asynccontextmanager
async def slow_to_greet(target_port: int, delay: float):
    """A TCP relay in front of the sink that waits `delay` before it connects a client through, as a
    mail server that is slow to answer a connection does; yields the port to connect to."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)  # the slowness under test, not a wait for an effect
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()


class ShortenLeaseFirst(RateLimit):
    """No pace; before the email is checked, its lease in the database is cut to `left` seconds, as
    when the claim's statement waited or this process's clock runs slow: the claim looks fresh here
    while the database's lease is nearly over."""

    def __init__(self, pool, left: float) -> None:
        super().__init__(0)
        self._pool = pool
        self._left = left

    async def wait(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE emails SET next_attempt_at = now() + make_interval(secs => $1)"
                " WHERE lease_token IS NOT NULL",
                self._left,
            )


async def test_an_email_whose_lease_is_short_in_the_database_is_renewed_and_sent_once(pool, make_sink):
    sink_port, maildir, _ = make_sink(data_delay=STEP)
    message_id = await _queue(pool, str(uuid.uuid4()), "lease@example.se")
    async with slow_to_greet(sink_port, STEP) as slow_port:
        s_slow = settings(slow_port, send_lease_seconds=LEASE, smtp_timeout_seconds=TIMEOUT)
        # Less than connect + DATA left; a clock that says the claim is fresh.
        first_sender = EmailSender(pool=pool, settings=s_slow, rate_limit=ShortenLeaseFirst(pool, 0.5))
        first = asyncio.create_task(first_sender.send_due())
        await eventually(lambda: handed_over(maildir), "the email in flight", timeout=20)

        async def lease_over_or_marked() -> bool:
            state = await status_of(pool, message_id)
            return state["due"] or state["status"] == "sent"

        await eventually(lease_over_or_marked, "the lease over, or the email marked", timeout=20)
        other = settings(sink_port, send_lease_seconds=LEASE, smtp_timeout_seconds=TIMEOUT)
        second = await EmailSender(pool=pool, settings=other).send_due()
        assert await first == 1
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}, "one copy, however short the lease"
    assert second == 0
    assert (await status_of(pool, message_id))["status"] == "sent"
