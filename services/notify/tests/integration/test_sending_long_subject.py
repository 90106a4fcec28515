"""A subject with a long run without spaces reaches a real SMTP server in lines it takes, and reads
back as it was written."""

import uuid

from devstack.mailsink import attempts_log_for, deliveries, read_maildir
from notify.sending import EmailSender

from . import test_sending as sending
from .test_sending import _queue, settings, status_of

# The sending tests' fixtures: their database, pool and SMTP sinks.
dsn, pool, sink, make_sink = sending.dsn, sending.pool, sending.sink, sending.make_sink


async def test_a_subject_longer_than_an_smtp_line_is_delivered_whole(pool, sink):
    port, maildir, _ = sink
    subject = "Cancelled " + "x" * 1200  # ASCII: written as it is unless it cannot be
    message_id = await _queue(pool, str(uuid.uuid4()), "long@example.se", subject=subject)
    assert await EmailSender(pool=pool, settings=settings(port)).send_due() == 1
    assert deliveries(attempts_log_for(maildir)) == {message_id: 1}
    [received] = read_maildir(maildir)
    assert str(received["Subject"]) == subject
    assert (await status_of(pool, message_id))["status"] == "sent"
