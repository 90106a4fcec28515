"""Personal links: only what this service signed, for the action it was signed for."""

from __future__ import annotations

import uuid

import pytest

from events.links import Link, Signer
from events.model import InvalidLink

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_link_reads_back_as_it_was_signed() -> None:
    link = Link(uuid.uuid4(), "confirm", 3)
    signer = Signer(SECRET)
    assert signer.read(signer.sign(link), expected="confirm") == link


def test_a_cancel_link_cannot_confirm_an_offer() -> None:
    signer = Signer(SECRET)
    token = signer.sign(Link(uuid.uuid4(), "cancel"))
    with pytest.raises(InvalidLink, match="trasig"):
        signer.read(token, expected="confirm")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens_are_refused_with_what_to_do(token: str) -> None:
    with pytest.raises(InvalidLink, match="Kopiera hela länken"):
        Signer(SECRET).read(token, expected="cancel")


def test_a_link_signed_with_another_secret_or_changed_is_refused() -> None:
    link = Link(uuid.uuid4(), "cancel")
    token = Signer("another-secret-that-is-long-enough-0123456789").sign(link)
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(token, expected="cancel")
    good = Signer(SECRET).sign(link)
    head, _body, sig = good.split(".")
    forged = Signer(SECRET).sign(Link(uuid.uuid4(), "cancel")).split(".")[1]
    with pytest.raises(InvalidLink):
        Signer(SECRET).read(f"{head}.{forged}.{sig}", expected="cancel")
