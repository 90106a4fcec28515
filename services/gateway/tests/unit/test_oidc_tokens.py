"""ID tokens: signatures checked against the provider's keys, every claim that matters, and key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from backbone.testing import run_async
from gateway.oidc import (
    DISCOVERY_TTL,
    InvalidIdToken,
    Provider,
    ProviderUnusable,
    SigningKeys,
    UnknownSigningKey,
    verified_email,
    verify_id_token,
)
from gateway.settings import Settings

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
ROTATED_KEY = RSAKey.generate_key(2048, parameters={"kid": "k2"})


def key_set(*keys: RSAKey) -> KeySet:
    return KeySet.import_key_set({"keys": [k.as_dict(private=False) for k in keys or (KEY,)]})


def token(claims: dict[str, Any], key: RSAKey = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key)


def claims(**changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://idp.example",
        "aud": "delaktig",
        "sub": "u1",
        "nonce": "n1",
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def check(raw: str, keys: KeySet | None = None) -> dict[str, Any]:
    return verify_id_token(
        raw, keys=keys or key_set(), issuer="https://idp.example", client_id="delaktig", nonce="n1"
    )


def test_a_valid_token_gives_its_claims() -> None:
    assert check(token(claims()))["sub"] == "u1"


def test_several_audiences_are_fine_when_we_are_the_authorized_party() -> None:
    assert check(token(claims(aud=["delaktig", "someone-else"], azp="delaktig")))["sub"] == "u1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hmac_with_the_public_key() -> str:
    """The classic algorithm confusion: HS256 with the provider's public key as the secret.
    Made by hand, because joserfc refuses to build it."""
    header, body = json.dumps({"alg": "HS256", "kid": "k1"}), json.dumps(claims())
    signing_input = f"{_b64(header.encode())}.{_b64(body.encode())}"
    secret = KEY.as_pem(private=False)
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


CONFUSED = _hmac_with_the_public_key()
UNSIGNED = f"{_b64(json.dumps({'alg': 'none'}).encode())}.{_b64(json.dumps(claims()).encode())}."


@pytest.mark.parametrize(
    "raw",
    [
        token(claims(), key=OTHER_KEY),
        token(claims(iss="https://evil.example")),
        token(claims(iss=None)),
        token(claims(aud="someone-else")),
        token(claims(aud="someone-else", azp="delaktig")),
        token(claims(exp=int(time.time()) - 3600)),
        token(claims(exp=None)),
        token(claims(nonce="replayed")),
        token(claims(nonce=None)),
        token(claims(aud=["someone-else", "delaktig"])),
        token(claims(aud=["someone-else", "delaktig"], azp="someone-else")),
        CONFUSED,
        UNSIGNED,
        "not.a.token",
        "",
    ],
    ids=[
        "wrong key",
        "wrong issuer",
        "no issuer",
        "wrong audience",
        "wrong audience, right azp",
        "expired",
        "no expiry",
        "wrong nonce",
        "no nonce",
        "several audiences without azp",
        "several audiences for another party",
        "HMAC with the public key",
        "alg none",
        "malformed",
        "empty",
    ],
)
def test_bad_tokens_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdToken):
        check(raw)


def test_a_token_signed_with_a_key_we_do_not_have_says_so() -> None:
    with pytest.raises(UnknownSigningKey):
        check(token(claims(), key=ROTATED_KEY))


@pytest.mark.parametrize("verified", [True, False, "true", "false", 1, None])
def test_only_the_json_true_makes_an_email_verified(verified: object) -> None:
    found = verified_email({"email": "a@example.se", "email_verified": verified})
    assert found == ("a@example.se" if verified is True else None)


class Clock:
    def __init__(self) -> None:
        self.now = 5.0  # a monotonic clock shortly after boot

    def __call__(self) -> float:
        return self.now


def test_signing_keys_are_fetched_again_after_their_ttl_or_early_for_an_unknown_key_id() -> None:
    clock, fetched = Clock(), []

    async def fetch() -> KeySet:
        fetched.append(clock.now)
        return key_set()

    keys = SigningKeys(fetch, ttl=3600, min_refresh=60, clock=clock)

    async def story() -> None:
        await keys.key_set()
        clock.now += 10
        await keys.key_set()
        assert len(fetched) == 1, "kept while fresh"
        await keys.key_set(unknown_kid=True)
        assert len(fetched) == 2, "a key id we do not know fetches again at once"
        clock.now += 10
        await keys.key_set(unknown_kid=True)
        assert len(fetched) == 2, "but not again within a minute"
        clock.now += 60
        await keys.key_set(unknown_kid=True)
        assert len(fetched) == 3, "once the minute has passed it may"
        clock.now += 3600
        await keys.key_set()
        assert len(fetched) == 4, "fetched again after the TTL"

    run_async(story())


def test_the_authorization_request_carries_the_s256_challenge_of_rfc_7636() -> None:
    settings = Settings(
        environment="test",
        oidc_issuer="https://idp.example",
        oidc_client_id="delaktig",
        oidc_redirect_url="https://delaktig.example/sign-in/sso/callback",
    )

    async def authorization_url() -> str:
        async with httpx.AsyncClient() as http, Provider(http, settings).client({}) as client:
            url, _state = client.create_authorization_url(
                "https://idp.example/authorize",
                state="s1",
                nonce="n1",
                code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",  # RFC 7636, appendix B
            )
            return str(url)

    params = httpx.URL(run_async(authorization_url())).params
    assert params["code_challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert params["code_challenge_method"] == "S256"
    assert params["nonce"] == "n1"
    assert params["scope"] == "openid email profile"


ISSUER = "https://idp.example"
SSO_SETTINGS = Settings(
    environment="test",
    oidc_issuer=ISSUER,
    oidc_client_id="delaktig",
    oidc_redirect_url="https://delaktig.example/sign-in/sso/callback",
)


class Idp:
    """Discovery and JWKS of a provider, over httpx's in-memory transport; it can be made to fail."""

    def __init__(self, *, algorithms: list[str] | None = None, jwks: dict[str, Any] | None = None) -> None:
        self.discovery: dict[str, Any] = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "id_token_signing_alg_values_supported": algorithms or ["RS256"],
        }
        self.jwks = jwks or {"keys": [KEY.as_dict(private=False)]}
        self.failing = False
        self.requests: list[str] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.failing:
            return httpx.Response(503, text="down for maintenance")
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery)
        if request.url.path == "/jwks":
            return httpx.Response(200, json=self.jwks)
        return httpx.Response(404)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.answer))


def test_a_provider_offering_only_symmetric_algorithms_is_unusable() -> None:
    # Without an asymmetric algorithm left, joserfc would fall back to its default list, HS256
    # included, and a secret "key" in the JWKS would sign tokens anybody could make.
    secret = OctKey.generate_key(256, parameters={"kid": "k1"})
    idp = Idp(algorithms=["HS256"], jwks={"keys": [secret.as_dict(private=True)]})
    raw = jwt.encode({"alg": "HS256", "kid": "k1", "typ": "JWT"}, claims(iss=ISSUER), secret)

    async def sign_in() -> dict[str, Any]:
        async with idp.http() as http:
            return await Provider(http, SSO_SETTINGS).verify(raw, nonce="n1")

    with pytest.raises(ProviderUnusable, match="asymmetric"):
        run_async(sign_in())


def test_signing_keys_stay_in_use_when_fetching_them_again_fails() -> None:
    clock, failing = Clock(), [False]

    async def fetch() -> KeySet:
        if failing[0]:
            raise ProviderUnusable("the JWKS address answers 503")
        return key_set()

    keys = SigningKeys(fetch, ttl=3600, min_refresh=60, clock=clock)

    async def story() -> None:
        first = await keys.key_set()
        failing[0] = True
        clock.now += 3600
        assert await keys.key_set() is first, "a failed refresh after the TTL keeps the keys we have"
        assert await keys.key_set(unknown_kid=True) is first, "and so does a failed early refresh"

    run_async(story())

    with pytest.raises(ProviderUnusable):
        run_async(SigningKeys(fetch, clock=clock).key_set())


def test_discovery_is_read_again_after_its_ttl_and_kept_when_that_fails() -> None:
    clock, idp = Clock(), Idp()

    async def story() -> None:
        async with idp.http() as http:
            provider = Provider(http, SSO_SETTINGS, clock=clock)
            await provider.metadata()
            await provider.metadata()
            assert idp.requests.count("/.well-known/openid-configuration") == 1, "kept while fresh"
            clock.now += DISCOVERY_TTL
            idp.discovery["token_endpoint"] = f"{ISSUER}/token-v2"
            assert (await provider.metadata())["token_endpoint"] == f"{ISSUER}/token-v2"
            idp.failing = True
            clock.now += DISCOVERY_TTL
            assert (await provider.metadata())["token_endpoint"] == f"{ISSUER}/token-v2", (
                "the document we have is kept while the provider cannot give a new one"
            )

    run_async(story())
