"""Signatures a receiver checks with the independent `standardwebhooks` package."""

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notify.webhooks.signing import new_secret, signed_headers


def test_a_new_secret_is_whsec_and_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert secret != new_secret()
    Webhook(secret)  # the receiver's library can read it


def test_the_receiver_verifies_the_signature() -> None:
    secret = new_secret()
    body = '{"type":"event.published","data":{"event_id":"e1"}}'
    headers = signed_headers(message_id="msg_1", at=datetime.now(UTC), body=body, secrets=[secret])
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert Webhook(secret).verify(body, headers) == {"type": "event.published", "data": {"event_id": "e1"}}


def test_a_changed_body_or_another_secret_fails_verification() -> None:
    secret = new_secret()
    headers = signed_headers(message_id="msg_1", at=datetime.now(UTC), body="{}", secrets=[secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify('{"x":1}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify("{}", headers)


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers(message_id="msg_2", at=datetime.now(UTC), body="{}", secrets=[new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify("{}", headers)
    Webhook(new).verify("{}", headers)


def test_the_timestamp_is_the_attempts_own_in_whole_seconds() -> None:
    at = datetime(2026, 3, 1, 12, 0, 7, 900000, tzinfo=UTC)
    headers = signed_headers(message_id="msg_3", at=at, body="{}", secrets=[new_secret()])
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    late = datetime.now(UTC) - timedelta(minutes=10)
    with pytest.raises(WebhookVerificationError, match="too old"):
        secret = new_secret()
        Webhook(secret).verify("{}", signed_headers(message_id="m", at=late, body="{}", secrets=[secret]))
