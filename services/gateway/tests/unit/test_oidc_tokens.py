"""ID tokens: RS256 signatures checked against the provider's keys, and every claim that matters."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gateway.oidc import InvalidIdToken, b64url, verify_id_token

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey = KEY, kid: str = "k1") -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "kid": kid,
                "alg": "RS256",
                "use": "sig",
                "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": b64url(numbers.e.to_bytes(3, "big")),
            }
        ]
    }


def token(claims: dict, key: rsa.RSAPrivateKey = KEY, alg: str = "RS256") -> str:
    header = b64url(json.dumps({"alg": alg, "kid": "k1", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64url(signature)}"


def claims(**changes: object) -> dict:
    base = {
        "iss": "https://idp.example",
        "aud": "delaktig",
        "sub": "u1",
        "nonce": "n1",
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
    }
    base.update(changes)
    return base


def check(raw: str, **kwargs: object) -> dict:
    options = {"jwks": jwks(), "issuer": "https://idp.example", "client_id": "delaktig", "nonce": "n1"}
    options.update(kwargs)
    return verify_id_token(raw, **options)  # type: ignore[arg-type]


def test_a_valid_token_gives_its_claims() -> None:
    assert check(token(claims()))["sub"] == "u1"


@pytest.mark.parametrize(
    "raw",
    [
        token(claims(), key=OTHER_KEY),
        token(claims(iss="https://evil.example")),
        token(claims(aud="someone-else")),
        token(claims(exp=int(time.time()) - 3600)),
        token(claims(nonce="replayed")),
        token(claims(), alg="none"),
        "not.a.token",
    ],
    ids=["wrong key", "wrong issuer", "wrong audience", "expired", "wrong nonce", "alg none", "malformed"],
)
def test_bad_tokens_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdToken):
        check(raw)
