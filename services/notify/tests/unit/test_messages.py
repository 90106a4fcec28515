"""What the sender writes (one-line subject, a date with its real offset, nothing a row can inject)
and how it reads the mail server's answers (temporary: retry; permanent: fail at once)."""

import email.utils
from datetime import UTC, datetime

import aiosmtplib
import pytest

from notify import sending
from notify.rendering import render
from notify.sending import build_message, classify
from notify.settings import Settings

ROW = {
    "recipient": "leif@example.se",
    "subject": "Nytt möte: Gemensam utvecklingsgrupp",
    "message_id": "<1@test.local>",
    "request_id": None,
    "body_text": "Hej!",
    "body_html": "<p>Hej!</p>",
}
# The default zone of the settings (Stockholm): the one the tests' dates are checked in.
ZONE = Settings(environment="test").zone


def test_the_date_says_stockholm_time_with_its_offset_in_winter_and_in_summer():
    winter = build_message(ROW, "noreply@test.local", zone=ZONE, now=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    summer = build_message(ROW, "noreply@test.local", zone=ZONE, now=datetime(2026, 7, 15, 12, 0, tzinfo=UTC))
    assert winter["Date"] == "Thu, 15 Jan 2026 13:00:00 +0100"
    assert summer["Date"] == "Wed, 15 Jul 2026 14:00:00 +0200"


def test_the_date_is_in_the_configured_time_zone():
    zone = Settings(environment="test", timezone="America/New_York").zone
    message = build_message(
        ROW, "noreply@test.local", zone=zone, now=datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    )
    assert message["Date"] == "Thu, 15 Jan 2026 07:00:00 -0500"


def test_the_date_of_an_email_sent_now_is_never_of_unknown_zone():
    date = build_message(ROW, "noreply@test.local", zone=ZONE)["Date"]
    assert not date.endswith("-0000"), date
    assert email.utils.parsedate_to_datetime(date).utcoffset() is not None


def test_a_title_with_line_breaks_makes_a_one_line_subject():
    email_ = render(
        "meeting_scheduled",
        {
            "name": "Leif",
            "title": "Gemensam\nutvecklingsgrupp\r\n  Bcc: eve@example.se",
            "group_name": None,
            "starts_at": datetime(2026, 3, 2, 12, 30, tzinfo=UTC),
            "ends_at": datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
            "place": None,
        },
        timezone=ZONE.key,
    )
    assert "\n" not in email_.subject and "\r" not in email_.subject
    assert email_.subject.startswith("Nytt möte: Gemensam utvecklingsgrupp Bcc: eve@example.se")


def test_a_stored_subject_with_line_breaks_is_folded_to_one_line_when_sent():
    message = build_message(
        {**ROW, "subject": "Nytt möte:\nGemensam\u2028grupp"}, "noreply@test.local", zone=ZONE
    )
    assert message["Subject"] == "Nytt möte: Gemensam grupp"


def refused_recipient(code: int, text: str) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, text, "x@example.se")])


@pytest.mark.parametrize(
    ("failure", "permanent", "server_away"),
    [
        (aiosmtplib.SMTPDataError(421, "closing channel"), False, False),
        (aiosmtplib.SMTPDataError(451, "try again later"), False, False),
        (aiosmtplib.SMTPDataError(554, "message rejected"), True, False),
        (refused_recipient(550, "no such user"), True, False),
        (refused_recipient(452, "mailbox full"), False, False),
        (aiosmtplib.SMTPSenderRefused(553, "sender not allowed", "noreply"), False, False),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server"), True, False),
        # Lost in the middle of an email: whether the server took it is unknown; an attempt.
        (aiosmtplib.SMTPServerDisconnected("gone"), False, False),
        (aiosmtplib.SMTPReadTimeoutError("timed out"), False, False),
        (TimeoutError(), False, False),
        (ConnectionResetError(), False, False),
        # Never got as far as an email: the server is away, and no attempt is counted.
        (aiosmtplib.SMTPConnectError("refused"), False, True),
        (sending.MailServerAway("could not connect: refused"), False, True),
        (ValueError("Header values may not contain linefeed or carriage return characters"), True, False),
        (RuntimeError("a fault nobody foresaw"), False, False),
    ],
)
def test_every_smtp_outcome_is_either_retried_or_failed_for_good(failure, permanent, server_away):
    refusal = classify(failure)
    assert refusal.permanent is permanent
    assert refusal.server_away is server_away
    assert refusal.error


def test_a_lease_shorter_than_a_send_and_its_mark_is_refused_at_start():
    with pytest.raises(ValueError, match="NOTIFY_SEND_LEASE_SECONDS"):
        Settings(environment="test", send_lease_seconds=20, smtp_timeout_seconds=10)


@pytest.mark.parametrize(
    "recipient",
    ["a@example.se, eve@example.se", "a@example.se\nBcc: eve@example.se", "Leif <a@example.se>", "", "a"],
)
def test_a_recipient_that_is_not_exactly_one_address_is_refused(recipient):
    with pytest.raises(ValueError):
        build_message({**ROW, "recipient": recipient}, "noreply@test.local", zone=ZONE)


def test_the_one_recipient_is_the_to_header_and_the_envelope():
    message = build_message(ROW, "noreply@test.local", zone=ZONE)
    assert message["To"] == "leif@example.se"
    assert sending.envelope_recipient(ROW) == "leif@example.se"


def test_a_servers_answer_is_made_storable_text():
    answer = "550 r\udce4ksm\udcf6rg\udce5s \x00 nej " + "x" * 5000  # as aiosmtplib decodes bad bytes
    text = sending.storable(answer)
    assert "\x00" not in text and len(text) <= 1000
    text.encode("utf-8")  # no lone surrogates left
    assert text.startswith("550 r")


@pytest.fixture
def production(identity_keys):
    def make(**over):
        key = str(identity_keys.public)
        secret = "a production link secret of 32 characters or more"
        return Settings(
            **{"environment": "production", "identity_public_key": key, "link_secret": secret}
            # Production needs the webhook sealing keys too (notify.webhooks.sealing).
            | {"webhooks_secret_keys": "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
            # And the bounce pipe's token (NOTIFY_BOUNCE_TOKEN).
            | {"bounce_token": "a production bounce token, 32 characters or more"}
            | over
        )

    return make


@pytest.mark.parametrize(
    ("over", "refused"),
    [
        ({"smtp_host": "smtp.example.se"}, "NOTIFY_SMTP_TLS"),
        ({"smtp_host": "smtp.example.se", "smtp_tls": "starttls"}, None),
        ({"smtp_host": "smtp.example.se", "smtp_tls": "tls"}, None),
        ({"smtp_host": "smtp.example.se", "smtp_allow_plain": True}, None),
        ({"smtp_host": "127.0.0.1"}, None),
        ({"smtp_host": "localhost"}, None),
        ({"smtp_host": "::1"}, None),
        (
            {"smtp_host": "smtp.example.se", "smtp_tls": "starttls", "smtp_username": "delaktig"},
            "NOTIFY_SMTP_PASSWORD",
        ),
    ],
)
def test_production_refuses_plain_smtp_to_another_host_unless_allowed(production, over, refused):
    if refused is None:
        production(**over)
    else:
        with pytest.raises(ValueError, match=refused):
            production(**over)


def test_a_password_never_crosses_the_network_in_clear_even_in_development():
    with pytest.raises(ValueError, match="NOTIFY_SMTP_TLS"):
        Settings(
            environment="development",
            smtp_host="smtp.example.se",
            smtp_username="delaktig",
            smtp_password="hemligt",
        )


@pytest.mark.parametrize(
    ("tls", "use_tls", "start_tls"), [("none", False, False), ("starttls", False, True), ("tls", True, None)]
)
def test_the_smtp_client_gets_the_tls_and_login_settings(tls, use_tls, start_tls):
    s = Settings(
        environment="test",
        smtp_tls=tls,
        smtp_username="delaktig",
        smtp_password="hemligt",
        smtp_allow_plain=True,
    )
    client = sending.SmtpLink(s).client()
    assert client.use_tls is use_tls
    assert client._start_tls_on_connect is start_tls
    assert client.validate_certs is True
    assert (client._login_username, client._login_password) == ("delaktig", "hemligt")


def test_variables_docker_compose_passes_on_empty_count_as_unset(production):
    s = production(smtp_host="relay.example.se", smtp_tls="starttls", smtp_username="", smtp_password="")
    assert s.smtp_username is None and s.smtp_password is None
