"""Personal links: only what this service signed, for the action it was signed for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from events.links import Link, Signer
from events.model import ExpiredLink, InvalidLink

SECRET = "a-test-secret-that-is-long-enough-0123456789"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)


def test_a_link_reads_back_as_it_was_signed() -> None:
    link = Link(uuid.uuid4(), "confirm", LATER, 3)
    signer = Signer(SECRET)
    assert signer.read(signer.sign(link, now=NOW), expected="confirm", now=NOW) == link


def test_a_cancel_link_cannot_confirm_an_offer() -> None:
    signer = Signer(SECRET)
    token = signer.sign(Link(uuid.uuid4(), "cancel", LATER), now=NOW)
    with pytest.raises(InvalidLink, match="trasig"):
        signer.read(token, expected="confirm", now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens_are_refused_with_what_to_do(token: str) -> None:
    with pytest.raises(InvalidLink, match="Kopiera hela länken"):
        Signer(SECRET).read(token, expected="cancel", now=NOW)


def test_a_link_signed_with_another_secret_or_changed_is_refused() -> None:
    link = Link(uuid.uuid4(), "cancel", LATER)
    token = Signer("another-secret-that-is-long-enough-0123456789").sign(link, now=NOW)
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(token, expected="cancel", now=NOW)
    good = Signer(SECRET).sign(link, now=NOW)
    head, _body, sig = good.split(".")
    forged = Signer(SECRET).sign(Link(uuid.uuid4(), "cancel", LATER), now=NOW).split(".")[1]
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(f"{head}.{forged}.{sig}", expected="cancel", now=NOW)


def test_a_link_stops_working_when_it_expires_and_says_so() -> None:
    signer = Signer(SECRET)
    token = signer.sign(Link(uuid.uuid4(), "cancel", LATER), now=NOW)
    assert signer.read(token, expected="cancel", now=LATER - timedelta(seconds=1)).expires_at == LATER
    with pytest.raises(ExpiredLink, match="har gått ut"):
        signer.read(token, expected="cancel", now=LATER)


def test_a_link_without_an_expiry_is_refused() -> None:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    claims = {"sub": str(uuid.uuid4()), "act": "cancel", "round": 0}
    token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(SECRET.encode()), algorithms=["HS256"])
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(token, expected="cancel", now=NOW)


def test_two_links_for_the_same_registration_are_different_strings() -> None:
    signer = Signer(SECRET)
    link = Link(uuid.uuid4(), "cancel", LATER)
    assert signer.sign(link, now=NOW) != signer.sign(link, now=NOW)
