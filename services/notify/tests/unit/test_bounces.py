"""Delivery status notifications as MTAs write them, read with the standard email package."""

from __future__ import annotations

from pathlib import Path

import pytest

from notify.bounces import MAX_RECIPIENTS, parse_report

SAMPLES = Path(__file__).parents[1] / "samples" / "dsn"
MESSAGE_ID = "<0b5d3c1e-2f4a-5b6c-8d7e-9f0a1b2c3d4e@delaktig.example>"
RECIPIENT = "anna.andersson@example.se"


def sample(name: str, *, message_id: str = MESSAGE_ID, recipient: str = RECIPIENT) -> bytes:
    text = (SAMPLES / name).read_text()
    return text.replace("{message_id}", message_id).replace("{recipient}", recipient).encode()


@pytest.mark.parametrize(
    ("name", "kind", "status", "said"),
    [
        ("postfix_user_unknown.eml", "permanent", "5.1.1", "User unknown in virtual mailbox table"),
        ("exchange_recipient_not_found.eml", "permanent", "5.1.10", "RESOLVER.ADR.RecipientNotFound"),
        ("postfix_delayed.eml", "temporary", "4.4.1", "Connection timed out"),
    ],
)
def test_a_dsn_names_the_original_the_recipient_and_what_happened(
    name: str, kind: str, status: str, said: str
) -> None:
    report = parse_report(sample(name))
    assert report.is_dsn
    assert report.message_id == MESSAGE_ID
    [one] = report.recipients
    assert (one.recipient, one.kind, one.status) == (RECIPIENT, kind, status)
    assert said in one.reason and one.reason.startswith(status)
    assert "smtp;" not in one.reason.lower()


def test_an_out_of_office_reply_is_not_a_dsn_even_when_it_quotes_a_status() -> None:
    report = parse_report(sample("out_of_office.eml"))
    assert not report.is_dsn
    assert report.recipients == ()
    assert "text/plain" in report.why_not


def _nested_reports(depth: int) -> bytes:
    """A multipart/report inside a multipart/report, `depth` times: no MTA writes this."""
    head = "MIME-Version: 1.0\n"
    body = "Action: failed\n"
    for level in range(depth):
        boundary = f"b{level}"
        body = (
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
            f"--{boundary}\n{body}\n--{boundary}--\n"
        )
    return (head + body).encode()


def test_a_report_nested_a_thousand_deep_is_not_read_and_raises_nothing() -> None:
    report = parse_report(_nested_reports(1000))
    assert report.recipients == ()
    assert report.why_not


def test_a_report_with_thousands_of_recipient_blocks_is_read_only_up_to_a_cap() -> None:
    block = "Final-Recipient: rfc822; x{n}@example.se\nAction: failed\nStatus: 5.1.1\n\n"
    raw = (
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
        + "".join(block.format(n=n) for n in range(5000))
        + "--b--\n"
    ).encode()
    report = parse_report(raw)
    assert 0 < len(report.recipients) <= MAX_RECIPIENTS
