"""Identities signed by the gateway: only the right audience, only unexpired, only untampered,
and nothing a service holds lets it sign an identity itself."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from backbone.identity import (
    Identity,
    InvalidIdentity,
    UnusableKey,
    VerifiedTokens,
    load_signing_key,
    load_verifying_key,
    mint,
    verify,
    write_keypair,
)

ALICE = Identity(subject="u1", roles=("staff",), organisation_id="org-1", name="Alice")
ADMIN = Identity(subject="u1", roles=("administrator",))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):
    files = write_keypair(tmp_path_factory.mktemp("identity"))
    return load_signing_key(str(files.signing)), load_verifying_key(str(files.public)), files


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hand_made(header: dict, claims: dict, secret: bytes | None) -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    sig = b"" if secret is None else hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _claims_of(token: str) -> dict:
    return json.loads(_unb64(token.split(".")[1]))


def test_a_fresh_identity_verifies_for_its_audience(keys):
    private, public, _ = keys
    got = verify(mint(ALICE, key=private, audience="meetings"), key=public, audience="meetings")
    assert got == ALICE


def test_a_staff_members_work_address_and_language_travel_with_the_identity(keys):
    private, public, _ = keys
    sara = Identity(subject="u2", roles=("staff",), email="sara@kommun.example.se", language="en")
    got = verify(mint(sara, key=private, audience="volunteers"), key=public, audience="volunteers")
    assert (got.email, got.language) == ("sara@kommun.example.se", "en")


def test_an_identity_for_another_service_is_refused(keys):
    private, public, _ = keys
    with pytest.raises(InvalidIdentity, match="meant for 'events'"):
        verify(mint(ALICE, key=private, audience="events"), key=public, audience="meetings")


def test_an_expired_identity_is_refused(keys):
    private, public, _ = keys
    token = mint(ALICE, key=private, audience="meetings", ttl=-60)
    with pytest.raises(InvalidIdentity, match="expired"):
        verify(token, key=public, audience="meetings")


def test_every_identity_has_its_own_id_and_lives_a_minute(keys):
    private, _, _ = keys
    first = _claims_of(mint(ALICE, key=private, audience="meetings"))
    second = _claims_of(mint(ALICE, key=private, audience="meetings"))
    assert first["jti"] and first["jti"] != second["jti"]
    assert first["exp"] - first["iat"] == 60


def test_a_tampered_or_foreign_identity_is_refused(keys, tmp_path: Path):
    private, public, _ = keys
    token = mint(ALICE, key=private, audience="meetings")
    header, _body, sig = token.split(".")
    other = load_signing_key(str(write_keypair(tmp_path).signing))
    forged = mint(ADMIN, key=other, audience="meetings")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(f"{header}.{forged.split('.')[1]}.{sig}", key=public, audience="meetings")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify(forged, key=public, audience="meetings")
    with pytest.raises(InvalidIdentity, match="malformed"):
        verify("garbage", key=public, audience="meetings")


def test_a_service_cannot_sign_an_identity_with_what_it_holds(keys):
    """What a service is given (its key setting) must not let it mint an administrator for itself or
    for another service: not as an HMAC secret, and not with `alg: none`."""
    _, public, files = keys
    held = files.public.read_bytes()
    claims = {
        "iss": "gateway",
        "aud": "events",
        "sub": "intruder",
        "roles": ["administrator"],
        "iat": 2_000_000_000,
        "exp": 4_000_000_000,
        "jti": "x",
    }
    for secret in (held, held.strip(), str(files.public).encode()):
        with pytest.raises(InvalidIdentity):
            verify(_hand_made({"alg": "HS256", "typ": "JWT"}, claims, secret), key=public, audience="events")
    with pytest.raises(InvalidIdentity):
        verify(_hand_made({"alg": "none", "typ": "JWT"}, claims, None), key=public, audience="events")


def test_an_identity_without_an_id_is_refused(keys):
    private, public, _ = keys
    from joserfc import jwt

    token = jwt.encode(
        {"alg": "Ed25519"},
        {"iss": "gateway", "aud": "m", "sub": "u", "roles": [], "iat": 2_000_000_000, "exp": 4_000_000_000},
        private,
        algorithms=["Ed25519"],
    )
    with pytest.raises(InvalidIdentity, match="jti"):
        verify(token, key=public, audience="m")


def test_unknown_roles_are_dropped(keys):
    private, public, _ = keys
    token = mint(Identity(subject="u", roles=("staff", "superuser")), key=private, audience="m")
    assert verify(token, key=public, audience="m").roles == ("staff",)


def test_keys_are_read_from_pem_or_a_pem_file(keys):
    _, _, files = keys
    token = mint(ALICE, key=load_signing_key(files.signing.read_text()), audience="m")
    for given in (files.public.read_text(), str(files.public)):
        assert verify(token, key=load_verifying_key(given), audience="m") == ALICE


def test_raw_base64_keys_are_refused_as_the_private_and_public_ones_look_alike(keys):
    """A raw Ed25519 seed and a raw public key are both 32 bytes of base64: a service given the
    gateway's private seed by mistake must not take it as its public key."""
    private, public, _ = keys
    raw_private = base64.b64encode(private.as_bytes(encoding="DER", private=True)[-32:]).decode()
    raw_public = base64.b64encode(public.as_bytes(encoding="DER", private=False)[-32:]).decode()
    with pytest.raises(UnusableKey, match="PEM"):
        load_verifying_key(raw_private)
    with pytest.raises(UnusableKey, match="PEM"):
        load_verifying_key(raw_public)
    with pytest.raises(UnusableKey, match="PEM"):
        load_signing_key(raw_private)


def test_a_file_is_read_even_when_its_name_looks_like_base64(keys, tmp_path: Path, monkeypatch):
    private, _, files = keys
    monkeypatch.chdir(tmp_path)
    name = "identity_public_key_for_the_meetings_servic"
    assert len(name) == 43
    Path(name).write_bytes(files.public.read_bytes())
    token = mint(ALICE, key=private, audience="m")
    assert verify(token, key=load_verifying_key(name), audience="m") == ALICE


def test_the_gateway_refuses_a_public_key_where_its_private_one_belongs(keys):
    _, _, files = keys
    with pytest.raises(UnusableKey, match="public key"):
        load_signing_key(files.public.read_text())
    with pytest.raises(UnusableKey, match="public key"):
        load_signing_key(str(files.public))


def test_a_new_private_key_file_is_owner_only_even_over_an_existing_file(tmp_path: Path):
    signing = tmp_path / "identity-signing.pem"
    signing.write_text("old")
    signing.chmod(0o644)
    files = write_keypair(tmp_path)
    assert files.signing.stat().st_mode & 0o777 == 0o600
    assert load_signing_key(str(files.signing)).is_private


def test_writing_a_keypair_never_follows_a_planted_link(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "identity-signing.pem").symlink_to(elsewhere)
    files = write_keypair(tmp_path / "keys")
    assert elsewhere.read_text() == "not yours"
    assert not files.signing.is_symlink()
    assert [p.name for p in (tmp_path / "keys").iterdir() if p.name.startswith(".")] == []


def _signed(private, **claims) -> str:
    from joserfc import jwt

    now = int(time.time())
    base = {"iss": "gateway", "aud": "m", "sub": "u", "roles": [], "iat": now, "exp": now + 60, "jti": "j"}
    return jwt.encode({"alg": "Ed25519"}, {**base, **claims}, private, algorithms=["Ed25519"])


def test_a_service_whose_clock_is_twenty_seconds_behind_still_accepts_identities(keys):
    private, public, _ = keys
    now = int(time.time())
    token = _signed(private, iat=now + 20, exp=now + 80)
    assert verify(token, key=public, audience="m").subject == "u"


def test_an_identity_issued_far_in_the_future_is_refused(keys):
    private, public, _ = keys
    now = int(time.time())
    with pytest.raises(InvalidIdentity, match="issued"):
        verify(_signed(private, iat=now + 90, exp=now + 150), key=public, audience="m")


def test_an_identity_that_would_live_longer_than_two_minutes_is_refused(keys):
    private, public, _ = keys
    now = int(time.time())
    with pytest.raises(InvalidIdentity, match="lives"):
        verify(_signed(private, iat=now, exp=now + 3600), key=public, audience="m")


def test_expiry_keeps_its_small_leeway(keys):
    private, public, _ = keys
    now = int(time.time())
    with pytest.raises(InvalidIdentity, match="expired"):
        verify(_signed(private, iat=now - 70, exp=now - 10), key=public, audience="m")


def test_a_service_refuses_to_be_given_the_private_key(keys):
    _, _, files = keys
    with pytest.raises(UnusableKey, match="private key"):
        load_verifying_key(files.signing.read_text())
    with pytest.raises(UnusableKey, match="PEM"):
        load_verifying_key("development-only-signing-key-change-me")


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_identity_is_refused_once_it_has_expired(keys):
    private, public, _ = keys
    clock = _Clock()
    tokens = VerifiedTokens(key=public, audience="meetings", clock=clock)
    token = mint(ALICE, key=private, audience="meetings", ttl=60)
    assert tokens.verify(token) == ALICE
    clock.now += 30
    assert tokens.verify(token) == ALICE
    clock.now += 40  # past exp and its 5 s leeway
    with pytest.raises(InvalidIdentity, match="expired"):
        tokens.verify(token)


def test_each_token_is_verified_for_itself(keys):
    private, public, _ = keys
    tokens = VerifiedTokens(key=public, audience="meetings")
    bob = Identity(subject="u2", roles=("org_representative",), organisation_id="org-2")
    assert tokens.verify(mint(ALICE, key=private, audience="meetings")) == ALICE
    assert tokens.verify(mint(bob, key=private, audience="meetings")) == bob
    with pytest.raises(InvalidIdentity):
        tokens.verify(mint(ALICE, key=private, audience="events"))


def test_a_tampered_copy_of_a_remembered_token_is_never_accepted(keys):
    private, public, _ = keys
    tokens = VerifiedTokens(key=public, audience="meetings")
    token = mint(ALICE, key=private, audience="meetings")
    assert tokens.verify(token) == ALICE
    header, _, signature = token.split(".")
    claims = {**_claims_of(token), "roles": ["administrator"]}
    tampered = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    forged = mint(ALICE, key=OKPKey.generate_key("Ed25519"), audience="meetings")
    for bad in (tampered, forged, token + "x", token[:-2]):
        for _ in range(2):
            with pytest.raises(InvalidIdentity):
                tokens.verify(bad)
    assert tokens.verify(token) == ALICE


def test_the_remembered_tokens_are_bounded(keys):
    private, public, _ = keys
    tokens = VerifiedTokens(key=public, audience="meetings", size=2)
    minted = [mint(ALICE, key=private, audience="meetings") for _ in range(3)]
    for token in minted:
        tokens.verify(token)
    assert len(tokens) == 2
