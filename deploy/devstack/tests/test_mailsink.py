"""The SMTP sink keeps each message as it was handed over (one copy per Message-ID in the Maildir,
every DATA in the attempts log), and its files read back as the emails that were sent."""

from __future__ import annotations

import email
import email.policy
import smtplib
from pathlib import Path

import pytest

from backbone.embedded import free_port
from devstack.mailsink import attempts_log_for, deliveries, read_maildir, start_sink

RAW = (
    b"Content-Type: multipart/alternative;\r\n boundary=\"=_b1\"\r\n"
    b"MIME-Version: 1.0\r\n"
    b"From: noreply@delaktig.example.se\r\n"
    b"To: anna@example.se\r\n"
    b"Subject: =?utf-8?b?SW5zdMOkbGx0?=\r\n"
    b"Message-ID: <m1@delaktig.example.se>\r\n"
    b"\r\n"
    b"--=_b1\r\n"
    b"Content-Type: text/plain; charset=\"utf-8\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"SGVqIEFubmEhDQo=\r\n"
    b"\r\n"
    b"--=_b1--\r\n"
)


@pytest.fixture
def sink(tmp_path: Path):
    port = free_port()
    maildir = tmp_path / "mail"
    controller, handler = start_sink(maildir, "127.0.0.1", port)
    yield port, maildir
    controller.stop()
    handler.close()


def _send(port: int, raw: bytes, to: str = "anna@example.se") -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.sendmail("noreply@delaktig.example.se", [to], raw)


def test_a_message_is_kept_as_it_was_sent_with_the_line_ends_of_a_local_file(sink):
    port, maildir = sink
    _send(port, RAW)
    files = list((maildir / "new").iterdir())
    assert len(files) == 1
    assert files[0].read_bytes() == RAW.replace(b"\r\n", b"\n")
    (kept,) = read_maildir(maildir)
    assert str(kept["Subject"]) == "Inställt"
    assert kept.get_body(preferencelist=("plain",)).get_content() == "Hej Anna!\r\n"


def test_a_copy_is_logged_as_an_attempt_but_kept_once(sink):
    port, maildir = sink
    _send(port, RAW)
    _send(port, RAW)
    assert len(list((maildir / "new").iterdir())) == 1
    assert deliveries(attempts_log_for(maildir))["<m1@delaktig.example.se>"] == 2


def test_a_sink_started_again_still_knows_the_messages_it_kept(tmp_path: Path):
    maildir = tmp_path / "mail"
    for _ in range(2):
        port = free_port()
        controller, handler = start_sink(maildir, "127.0.0.1", port)
        try:
            _send(port, RAW)
        finally:
            controller.stop()
            handler.close()
    assert len(list((maildir / "new").iterdir())) == 1
    kept = next((maildir / "new").iterdir()).read_bytes()
    parsed = email.message_from_bytes(kept, policy=email.policy.default)
    assert parsed["Message-ID"] == "<m1@delaktig.example.se>"
