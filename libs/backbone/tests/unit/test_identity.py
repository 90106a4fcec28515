"""Identities signed by the gateway: only the right audience, only unexpired, only untampered."""

import pytest

from backbone.identity import Identity, InvalidIdentity, mint, verify

KEY = "test-key"
ALICE = Identity(subject="u1", roles=("staff",), organisation_id="org-1", name="Alice")


def test_a_fresh_identity_verifies_for_its_audience():
    got = verify(mint(ALICE, key=KEY, audience="meetings"), key=KEY, audience="meetings")
    assert got == ALICE


def test_an_identity_for_another_service_is_refused():
    with pytest.raises(InvalidIdentity, match="meant for 'events'"):
        verify(mint(ALICE, key=KEY, audience="events"), key=KEY, audience="meetings")


def test_an_expired_identity_is_refused():
    token = mint(ALICE, key=KEY, audience="meetings", ttl=-60)
    with pytest.raises(InvalidIdentity, match="expired"):
        verify(token, key=KEY, audience="meetings")


def test_a_tampered_or_foreign_identity_is_refused():
    token = mint(ALICE, key=KEY, audience="meetings")
    header, _body, sig = token.split(".")
    forged = mint(Identity(subject="u1", roles=("administrator",)), key="other", audience="meetings")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(f"{header}.{forged.split('.')[1]}.{sig}", key=KEY, audience="meetings")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(forged, key=KEY, audience="meetings")
    with pytest.raises(InvalidIdentity, match="malformed"):
        verify("garbage", key=KEY, audience="meetings")


def test_unknown_roles_are_dropped():
    token = mint(Identity(subject="u", roles=("staff", "superuser")), key=KEY, audience="m")
    assert verify(token, key=KEY, audience="m").roles == ("staff",)
