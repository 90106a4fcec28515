"""No header line the fast builder writes is longer than SMTP allows (998 characters, RFC 5322 2.1.1),
whatever the subject: compat32 folds only where there is a space, so a long run without one must be
written as encoded words instead, and still read back as the subject it was."""

import email
import email.policy

import pytest

from notify.sending import build_message, one_line, wire_bytes
from notify.settings import Settings

ZONE = Settings(environment="test").zone
LIMIT = 998

ROW = {
    "id": "00000000-0000-0000-0000-000000000001",
    "recipient": "anna@example.se",
    "body_text": "Hej!",
    "body_html": "<p>Hej!</p>",
    "message_id": "<m1@test.local>",
    "request_id": None,
    "language": "sv",
    "attachments": None,
}

SUBJECTS = {
    "a long run after a word": "Cancelled " + "x" * 1200,
    "no space at all": "x" * 2000,
    "a run just under the limit": "Möte " + "y" * 990,
    "runs on both sides of a space": "a" * 899 + " " + "b" * 899,
    "a long run that is not ASCII": "Inställt " + "å" * 1200,
    "ASCII run then non-ASCII": "x" * 1000 + " ärende",
    "many short words": "ord " * 600,
    "runs that each fit but not together": "a" * 500 + " " + "b" * 500 + " " + "c" * 500,
    "a run of commas and semicolons": ",;" * 700,
}


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_no_header_line_is_longer_than_smtp_allows_and_the_subject_reads_back(subject):
    raw = wire_bytes(build_message({**ROW, "subject": subject}, "noreply@delaktig.example.se", zone=ZONE))
    head = raw.split(b"\r\n\r\n", 1)[0]
    longest = max(len(line) for line in head.split(b"\r\n"))
    assert longest <= LIMIT, f"a header line of {longest} characters"
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == one_line(subject)


@pytest.mark.parametrize(
    "subject",
    ["Inställt: Stora föreläsningen fredag 4 december 2026 kl. 18.00", "Möte 🎉🎉🎉 " * 20, "ö" * 200, "é"],
)
def test_a_subject_that_is_not_ascii_is_written_in_lines_of_78_and_reads_back(subject):
    raw = wire_bytes(build_message({**ROW, "subject": subject}, "noreply@delaktig.example.se", zone=ZONE))
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Subject: "))
    subject_lines = [lines[at], *(line for line in lines[at + 1:] if line.startswith(" ") and "=?" in line)]
    assert all(len(line) <= 78 for line in subject_lines), subject_lines
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == one_line(subject)
