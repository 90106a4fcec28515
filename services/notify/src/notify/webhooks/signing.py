"""Secrets and signatures of the Standard Webhooks specification, made with its own `standardwebhooks`.

A receiver checks `webhook-signature` over `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256
and its `whsec_` secret. During a rotation the message carries one signature per live secret,
separated by spaces, so a receiver with either secret accepts it.
"""

from __future__ import annotations

import base64
import secrets as random_bytes
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # the spec asks for 24 to 64 bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(SECRET_BYTES)).decode()


def signed_headers(*, message_id: str, at: datetime, body: str, secrets: Sequence[str]) -> dict[str, str]:
    """The three headers of one attempt; the timestamp is the attempt's, so every retry is signed anew."""
    at = at.astimezone(UTC)
    # The library reads the time as UTC whatever its zone says: give it UTC.
    signatures = [Webhook(secret).sign(message_id, at, body) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
