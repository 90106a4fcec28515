"""The offer links that travel on the bus (volunteers.offer.sent.v1 carries them to notify): what a
token says to anyone who reads it, and that it works only for what and until when it was signed."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from volunteers.links import Link, Signer
from volunteers.model import ExpiredLink, InvalidLink

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_a_token_names_only_the_offer_the_action_and_its_times_no_person() -> None:
    offer_id = uuid.uuid4()
    token = Signer(SECRET).sign(Link(offer_id, "accept", NOW + timedelta(hours=48)), now=NOW)
    claims = _claims(token)
    # Readable by whoever sees the bus: no name, address, phone or volunteer id in it.
    assert set(claims) == {"sub", "act", "iat", "exp", "jti"}
    assert claims["sub"] == str(offer_id) and claims["act"] == "accept"


def test_a_token_is_refused_after_its_time_for_another_action_and_when_forged() -> None:
    signer = Signer(SECRET)
    token = signer.sign(Link(uuid.uuid4(), "accept", NOW + timedelta(hours=1)), now=NOW)
    assert signer.read(token, expected=("accept", "decline"), now=NOW).action == "accept"
    with pytest.raises(ExpiredLink):
        signer.read(token, expected=("accept", "decline"), now=NOW + timedelta(hours=2))
    with pytest.raises(InvalidLink):
        signer.read(token, expected=("cancel",), now=NOW)
    with pytest.raises(InvalidLink):
        Signer(SECRET[::-1]).read(token, expected=("accept",), now=NOW)
